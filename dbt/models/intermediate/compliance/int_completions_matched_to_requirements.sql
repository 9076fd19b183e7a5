{#- Every completion that can serve as evidence for a requirement, with the days on which it is
    the employee's latest one (docs/semantics.md). Qualifying: a completion (verb completed / passed /
    satisfied, not failed, not voided — int_learning_records_effective), learner resolved to an
    employee, course in the requirement's set (equivalences count). On a date D the evidence is
    the latest completion whose occurred_date (business timezone) ≤ D: this record from
    completed_date until superseded_on, the completed_date of the next qualifying completion
    (exclusive; null = still the latest). Expiry is applied by fct_compliance_history, which knows
    the requirement's recurrence. Date-free, so one row per completion serves every date. -#}
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

qualifying as (
    select
        learning_records.employee_id,
        requirement_courses.requirement_id,
        learning_records.record_id,
        learning_records.course_ref,
        requirement_courses.is_via_equivalence,
        learning_records.verb,
        learning_records.occurred_at,
        learning_records.occurred_date,
        learning_records.source_system,
        learning_records._source,
        loads.kind as source_kind,
        learning_records._load_id,
        learning_records._row,
        learning_records._source_file,
        learning_records._source_line,
        learning_records.resolution_method
    from learning_records
    inner join requirement_courses
        on learning_records.course_ref = requirement_courses.course_ref
    left join loads
        on learning_records._load_id = loads.load_id
    where learning_records.is_completion
        and learning_records.employee_id is not null
),

sequenced as (
    -- Ties on occurred_at break by record_id (the highest is the later one).
    select
        *,
        lead(occurred_date) over (
            partition by employee_id, requirement_id
            order by occurred_at, record_id
        ) as superseded_on
    from qualifying
),

final as (
    select
        employee_id,
        requirement_id,
        record_id as evidence_record_id,
        course_ref as evidence_course_ref,
        is_via_equivalence as is_evidence_via_equivalence,
        verb as evidence_verb,
        occurred_at as completed_at,
        occurred_date as completed_date,
        superseded_on,
        source_system as evidence_source_system,
        _source as evidence_source,
        source_kind as evidence_source_kind,
        _load_id as evidence_load_id,
        _row as evidence_landed_row,
        _source_file as evidence_source_file,
        _source_line as evidence_source_line,
        resolution_method as evidence_resolution_method
    from sequenced
)

select * from final
