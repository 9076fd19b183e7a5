with

source_rows as (
    select * from {{ reference_rows('exemptions') }} as exemptions
),

final as (
    select
        {{ clean_text('employee_id') }} as employee_id,
        {{ clean_text('requirement_id') }} as requirement_id,
        {{ clean_text('reason') }} as reason,
        {{ clean_text('approved_by') }} as approved_by,
        {{ dbt.cast(clean_text('valid_from'), 'date') }} as valid_from,
        {{ dbt.cast(clean_text('valid_to'), 'date') }} as valid_to
    from source_rows
    where {{ clean_text('employee_id') }} is not null
)

select * from final
