{#- The evidence per employee and requirement as of D: the latest completion (verb completed /
    passed / satisfied, not failed, not voided, learner resolved to the employee) of a course in
    the requirement's set (equivalences count) that occurred on or before D in the business
    timezone. Expiry is applied by the mart, which knows the requirement's recurrence. -#}
with

learning_records as (
    select * from {{ ref('int_learning_records_effective') }}
),

requirement_courses as (
    select * from {{ ref('int_requirement_courses_expanded') }}
),

loads as (
    select * from {{ ref('stg_landing__loads') }}
),

parameters as (
    select {{ as_of_date() }} as as_of_date
),

qualifying as (
    select
        learning_records.employee_id,
        requirement_courses.requirement_id,
        learning_records.record_id,
        learning_records.course_ref,
        requirement_courses.is_via_equivalence,
        learning_records.occurred_at,
        learning_records.occurred_date,
        learning_records.source_system,
        learning_records._source,
        loads.kind as source_kind,
        learning_records._load_id,
        row_number() over (
            partition by learning_records.employee_id, requirement_courses.requirement_id
            order by learning_records.occurred_at desc, learning_records.record_id desc
        ) as recency_rank
    from learning_records
    inner join requirement_courses
        on learning_records.course_ref = requirement_courses.course_ref
    left join loads
        on learning_records._load_id = loads.load_id
    cross join parameters
    where learning_records.is_completion
        and learning_records.employee_id is not null
        and learning_records.occurred_date <= parameters.as_of_date
),

final as (
    select
        employee_id,
        requirement_id,
        record_id as evidence_record_id,
        course_ref as evidence_course_ref,
        is_via_equivalence as is_evidence_via_equivalence,
        occurred_at as last_completed_at,
        occurred_date as last_completed_date,
        source_system as evidence_source_system,
        _source as evidence_source,
        source_kind as evidence_source_kind,
        _load_id as evidence_load_id
    from qualifying
    where recency_rank = 1
)

select * from final
