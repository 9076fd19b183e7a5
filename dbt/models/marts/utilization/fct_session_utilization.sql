{#- Seats per session (docs/semantics.md): booked = attended + no_show + still booked (cancelled
    bookings excluded); fill_rate = booked / capacity; utilization_rate = seats used / capacity
    (seats used = attended; for a self-paced licence pool, learners who started);
    no_show_rate = no_show / (attended + no_show), null when both are 0; cost per attendee when
    the session was billed per learner. Ratios are exact decimal(9, 4) fractions (0.8125 =
    81.25 %), null when the denominator is missing or 0. Roll-ups must sum the seat counts and
    divide, never average these ratios (rpt_utilization_monthly). -#}
with

sessions as (
    select * from {{ ref('int_sessions_served') }}
),

billed as (
    select * from {{ ref('int_sessions_billed') }}
),

final as (
    select
        sessions.session_id,
        sessions.course_ref,
        sessions.course_title,
        sessions.vendor_id,
        sessions.modality,
        sessions.session_date,
        sessions.session_month,
        sessions.starts_at,
        sessions.ends_at,
        sessions.status,
        {{ dbt.cast('sessions.capacity', dbt.type_bigint()) }} as capacity,
        {{ dbt.cast('sessions.booked', dbt.type_bigint()) }} as booked,
        {{ dbt.cast('sessions.attended', dbt.type_bigint()) }} as attended,
        {{ dbt.cast('sessions.no_show', dbt.type_bigint()) }} as no_show,
        {{ dbt.cast('sessions.cancelled', dbt.type_bigint()) }} as cancelled,
        {{ dbt.cast('sessions.learners_started', dbt.type_bigint()) }} as learners_started,
        {{ dbt.cast('sessions.learners_completed', dbt.type_bigint()) }} as learners_completed,
        {{ dbt.cast('sessions.seats_used', dbt.type_bigint()) }} as seats_used,
        {{ safe_ratio('sessions.booked', 'sessions.capacity') }} as fill_rate,
        {{ safe_ratio('sessions.seats_used', 'sessions.capacity') }} as utilization_rate,
        {{ safe_ratio('sessions.no_show', 'sessions.attended + sessions.no_show') }} as no_show_rate,
        {{ safe_ratio('sessions.learners_completed', 'sessions.learners_started') }} as completion_rate,
        sessions.contract_id,
        sessions.pricing_model,
        billed.billed_currency,
        billed.billed_amount,
        {{ money(exact_divide('billed.billed_amount', 'sessions.attended', 2)) }} as cost_per_attendee
    from sessions
    left join billed
        on sessions.session_id = billed.session_id
)

select * from final
