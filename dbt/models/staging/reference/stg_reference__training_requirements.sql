with

source_rows as (
    select * from {{ reference_rows('training_requirements') }} as training_requirements
),

final as (
    select
        {{ clean_text('requirement_id') }} as requirement_id,
        {{ clean_text('title') }} as title,
        {{ split_list('course_refs') }} as course_refs,
        {{ split_list('applies_to_job_codes') }} as applies_to_job_codes,
        {{ split_list('applies_to_departments') }} as applies_to_departments,
        {{ split_list('applies_to_countries') }} as applies_to_countries,
        {{ split_list('applies_to_regions') }} as applies_to_regions,
        {{ dbt.cast(clean_text('due_within_days'), dbt.type_int()) }} as due_within_days,
        {{ dbt.cast(clean_text('recurrence_months'), dbt.type_int()) }} as recurrence_months,
        coalesce({{ dbt.cast(clean_text('grace_days'), dbt.type_int()) }}, 0) as grace_days,
        {{ clean_text('regime') }} as regime,
        {{ dbt.cast(clean_text('effective_from'), 'date') }} as effective_from,
        {{ dbt.cast(clean_text('effective_to'), 'date') }} as effective_to
    from source_rows
    where {{ clean_text('requirement_id') }} is not null
)

select * from final
