{#- Which courses satisfy which requirement: the requirement's own course set plus every course
    that satisfies one of them through course_equivalences, transitively (A satisfies B and
    B satisfies C => A satisfies C). -#}
with recursive

requirements as (
    select * from {{ ref('stg_reference__training_requirements') }}
),

equivalences as (
    select * from {{ ref('stg_reference__course_equivalences') }}
),

required_courses as (
    select
        requirements.requirement_id,
        required.course_ref
    from requirements
    cross join {{ unnest_list('requirements.course_refs') }} as required (course_ref)
),

satisfying (requirement_id, course_ref, required_course_ref, equivalence_depth) as (
    select
        requirement_id,
        course_ref,
        course_ref as required_course_ref,
        0 as equivalence_depth
    from required_courses

    union all

    select
        satisfying.requirement_id,
        equivalences.course_ref,
        satisfying.required_course_ref,
        satisfying.equivalence_depth + 1 as equivalence_depth
    from satisfying
    inner join equivalences
        on equivalences.satisfies_course_ref = satisfying.course_ref
    where satisfying.equivalence_depth < 10
),

final as (
    select
        requirement_id,
        course_ref,
        min(equivalence_depth) as equivalence_depth,
        (min(equivalence_depth) > 0) as is_via_equivalence
    from satisfying
    group by requirement_id, course_ref
)

select * from final
