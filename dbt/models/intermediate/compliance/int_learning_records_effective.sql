{#- Learning records that still stand: voiding statements removed and the records they void
    retracted; learners resolved to employees; course_ref mapped through courses.activity_id when
    the catalogue maps the full activity IRI. -#}
with

learning_records as (
    select * from {{ ref('stg_lms__learning_records') }}
),

learners as (
    select * from {{ ref('int_learners_resolved') }}
),

courses as (
    select * from {{ ref('stg_reference__courses') }}
),

voided_records as (
    select distinct voids_record_id as record_id
    from learning_records
    where is_voiding_statement
        and voids_record_id is not null
),

activity_courses as (
    select
        activity_id,
        min(course_ref) as course_ref
    from courses
    where activity_id is not null
    group by activity_id
),

standing as (
    select learning_records.*
    from learning_records
    left join voided_records
        on learning_records.record_id = voided_records.record_id
    where not learning_records.is_voiding_statement
        and voided_records.record_id is null
),

final as (
    select
        standing.record_id,
        standing.learner_ref,
        learners.employee_id,
        learners.learner_identity,
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
        on standing.learner_ref = learners.learner_ref
    left join activity_courses
        on standing.activity_id = activity_courses.activity_id
)

select * from final
