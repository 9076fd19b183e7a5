{#- Seats and learners served per session (docs/semantics.md), with the vendor contract valid on the
    session date.
    - ILT / VILT: booked = attended + no_show + still booked (cancelled bookings excluded);
      learners_served = attended, plus no-shows when the contract bills them.
    - self-paced: a session of modality self_paced is a licence pool — capacity = licences
      purchased for the window starts_at .. ends_at (open-ended when ends_at is null).
      learners_started = distinct learners with a standing learning record (any verb, voided
      records excluded) on the course in the window; learners_completed = those with a
      completion (completed / passed) in it. A licence is used when a learner starts, so
      seats_used = learners_started.
    learners_served (what per-learner, hybrid and retainer billing counts, docs/semantics.md) is session
    attendance for every modality: self-paced starts are licence use, measured against the
    licences bought, not billable attendances. -#}
with

sessions as (
    select * from {{ ref('stg_lms__sessions') }}
),

bookings as (
    select * from {{ ref('stg_lms__bookings') }}
),

courses as (
    select * from {{ ref('stg_reference__courses') }}
),

contracts as (
    select * from {{ ref('stg_reference__vendor_contracts') }}
),

learning_records as (
    select * from {{ ref('int_learning_records_effective') }}
),

booking_counts as (
    select
        session_id,
        count(case when status in ('booked', 'attended', 'no_show') then 1 end) as booked,
        count(case when status = 'attended' then 1 end) as attended,
        count(case when status = 'no_show' then 1 end) as no_show,
        count(case when status = 'cancelled' then 1 end) as cancelled
    from bookings
    group by session_id
),

described as (
    select
        sessions.session_id,
        sessions.course_ref,
        courses.title as course_title,
        coalesce(sessions.vendor_id, courses.vendor_id) as vendor_id,
        coalesce(sessions.modality, courses.modality) as modality,
        sessions.session_date,
        sessions.session_month,
        sessions.starts_at,
        sessions.ends_at,
        sessions.status,
        sessions.capacity,
        coalesce(booking_counts.booked, 0) as booked,
        coalesce(booking_counts.attended, 0) as attended,
        coalesce(booking_counts.no_show, 0) as no_show,
        coalesce(booking_counts.cancelled, 0) as cancelled
    from sessions
    left join booking_counts
        on sessions.session_id = booking_counts.session_id
    left join courses
        on sessions.course_ref = courses.course_ref
),

self_paced_learners as (
    select
        described.session_id,
        count(distinct learning_records.learner_identity) as learners_started,
        count(distinct case when learning_records.is_completion then learning_records.learner_identity end)
            as learners_completed
    from described
    inner join learning_records
        on described.course_ref = learning_records.course_ref
        and learning_records.occurred_at >= described.starts_at
        and (described.ends_at is null or learning_records.occurred_at <= described.ends_at)
    where described.modality = 'self_paced'
    group by described.session_id
),

contract_candidates as (
    select
        described.session_id,
        contracts.contract_id,
        contracts.pricing_model,
        contracts.bills_no_shows,
        row_number() over (
            partition by described.session_id
            order by contracts.valid_from desc nulls last, contracts.contract_id desc
        ) as contract_rank
    from described
    inner join contracts
        on described.vendor_id = contracts.vendor_id
        and (contracts.valid_from is null or contracts.valid_from <= described.session_date)
        and (contracts.valid_to is null or contracts.valid_to >= described.session_date)
),

final as (
    select
        described.*,
        case when described.modality = 'self_paced' then coalesce(self_paced_learners.learners_started, 0) end
            as learners_started,
        case when described.modality = 'self_paced' then coalesce(self_paced_learners.learners_completed, 0) end
            as learners_completed,
        case
            when described.modality = 'self_paced' then coalesce(self_paced_learners.learners_started, 0)
            else described.attended
        end as seats_used,
        case
            when coalesce(contract_candidates.bills_no_shows, false) then described.attended + described.no_show
            else described.attended
        end as learners_served,
        contract_candidates.contract_id,
        contract_candidates.pricing_model
    from described
    left join self_paced_learners
        on described.session_id = self_paced_learners.session_id
    left join contract_candidates
        on described.session_id = contract_candidates.session_id
        and contract_candidates.contract_rank = 1
)

select * from final
