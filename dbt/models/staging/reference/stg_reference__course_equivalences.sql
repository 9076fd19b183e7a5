with

source_rows as (
    select * from {{ reference_rows('course_equivalences') }} as course_equivalences
),

final as (
    select distinct
        {{ clean_text('course_ref') }} as course_ref,
        {{ clean_text('satisfies_course_ref') }} as satisfies_course_ref
    from source_rows
    where {{ clean_text('course_ref') }} is not null
        and {{ clean_text('satisfies_course_ref') }} is not null
)

select * from final
