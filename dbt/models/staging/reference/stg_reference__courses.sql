with

source_rows as (
    select * from {{ reference_rows('courses') }} as courses
),

final as (
    select
        {{ clean_text('course_ref') }} as course_ref,
        {{ clean_text('title') }} as title,
        lower({{ clean_text('modality') }}) as modality,
        {{ clean_text('vendor_id') }} as vendor_id,
        {{ dbt.cast(clean_text('duration_minutes'), dbt.type_int()) }} as duration_minutes,
        {{ clean_text('activity_id') }} as activity_id
    from source_rows
    where {{ clean_text('course_ref') }} is not null
)

select * from final
