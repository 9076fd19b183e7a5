{#- Learning records that still stand (int_learning_records_standing: voiding statements and the
    records they retract are out); learners resolved to employees on the record's date, with the
    resolution method; course_ref mapped through courses.activity_id when the catalogue maps the
    full activity IRI. -#}
with

standing as (
    select * from {{ ref('int_learning_records_standing') }}
),

learners as (
    select * from {{ ref('int_learners_resolved') }}
),

courses as (
    select * from {{ ref('stg_reference__courses') }}
),

activity_courses as (
    select
        activity_id,
        min(course_ref) as course_ref
    from courses
    where activity_id is not null
    group by activity_id
),

final as (
    select
        standing.record_id,
        standing.learner_ref,
        learners.employee_id,
        learners.learner_identity,
        learners.resolution_method,
        coalesce(activity_courses.course_ref, standing.course_ref) as course_ref,
        standing.course_ref as source_course_ref,
        standing.activity_id,
        standing.verb,
        -- cmi5's LMS-issued `satisfied` is the course-level completion; a statement that reports
        -- success = false is a failed attempt whatever its verb. cmi5 `waived` (success and
        -- completion true) never counts: waivers go through exemptions.csv, with approver and dates.
        (standing.verb in ('completed', 'passed', 'satisfied') and coalesce(standing.success, true))
            as is_completion,
        standing.success,
        standing.completion,
        standing.score_scaled,
        standing.occurred_at,
        standing.occurred_date,
        standing.stored_at,
        standing.source_system,
        standing._load_id,
        standing._row,
        standing._source,
        standing._source_file,
        standing._source_line
    from standing
    left join learners
        on {{ learner_resolved_on('learners', 'standing._source', 'standing.learner_ref', 'standing.occurred_date') }}
    left join activity_courses
        on standing.activity_id = activity_courses.activity_id
)

select * from final
