{#- Bookings with their learner resolved (per source, on the booking's date: its last update, else
    when it was booked, in the business timezone) and their session's course, vendor and date. -#}
with

bookings as (
    select * from {{ ref('stg_lms__bookings') }}
),

sessions as (
    select * from {{ ref('stg_lms__sessions') }}
),

courses as (
    select * from {{ ref('stg_reference__courses') }}
),

learners as (
    select * from {{ ref('int_learners_resolved') }}
),

final as (
    select
        bookings.session_id,
        bookings.learner_ref,
        learners.employee_id,
        coalesce(learners.learner_identity, {{ normalize_learner_ref('bookings.learner_ref') }}) as learner_identity,
        coalesce(learners.resolution_method, 'unresolved') as resolution_method,
        bookings.status,
        sessions.course_ref,
        coalesce(sessions.vendor_id, courses.vendor_id) as vendor_id,
        coalesce(sessions.modality, courses.modality) as modality,
        sessions.session_date,
        sessions.starts_at,
        sessions.ends_at,
        sessions.status as session_status,
        bookings.booked_at,
        bookings.updated_at
    from bookings
    left join sessions
        on bookings.session_id = sessions.session_id
    left join courses
        on sessions.course_ref = courses.course_ref
    left join learners
        on {{ learner_resolved_on('learners', 'bookings._source', 'bookings.learner_ref',
                                  to_business_date('coalesce(bookings.updated_at, bookings.booked_at)')) }}
)

select * from final
