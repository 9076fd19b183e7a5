{#- Utilization by course, vendor, modality and month (docs/semantics.md): sums of seats, and rates
    computed from those sums — never averages of per-session ratios. Sessions cancelled (by the
    vendor or the client) offered no seats: they are counted apart and left out of the seat sums.
    Self-paced licence pools: capacity = licences purchased, seats used = learners who started. -#}
with

sessions as (
    select * from {{ ref('fct_session_utilization') }}
),

grouped as (
    select
        course_ref,
        max(course_title) as course_title,
        vendor_id,
        modality,
        session_month as month_start,
        count(*) as sessions,
        count(case when status not like 'cancelled%' then 1 end) as sessions_held,
        count(case when status = 'cancelled_by_vendor' then 1 end) as sessions_cancelled_by_vendor,
        count(case when status = 'cancelled_by_client' then 1 end) as sessions_cancelled_by_client,
        sum(case when status not like 'cancelled%' then capacity else 0 end) as capacity,
        sum(case when status not like 'cancelled%' then booked else 0 end) as booked,
        sum(case when status not like 'cancelled%' then attended else 0 end) as attended,
        sum(case when status not like 'cancelled%' then no_show else 0 end) as no_show,
        sum(cancelled) as cancelled_bookings,
        sum(case when status not like 'cancelled%' then seats_used else 0 end) as seats_used,
        sum(learners_started) as learners_started,
        sum(learners_completed) as learners_completed,
        max(billed_currency) as billed_currency,
        count(distinct billed_currency) as billed_currencies,
        sum(billed_amount) as billed_amount,
        sum(case when billed_amount is not null then attended else 0 end) as billed_attended
    from sessions
    group by course_ref, vendor_id, modality, session_month
),

final as (
    select
        {{ dbt.hash(dbt.concat([
            "coalesce(course_ref, '')", "'|'", "coalesce(vendor_id, '')", "'|'",
            "coalesce(modality, '')", "'|'", dbt.cast('month_start', dbt.type_string())
        ])) }} as utilization_month_id,
        course_ref,
        course_title,
        vendor_id,
        modality,
        month_start,
        {{ dbt.cast('sessions', dbt.type_bigint()) }} as sessions,
        {{ dbt.cast('sessions_held', dbt.type_bigint()) }} as sessions_held,
        {{ dbt.cast('sessions_cancelled_by_vendor', dbt.type_bigint()) }} as sessions_cancelled_by_vendor,
        {{ dbt.cast('sessions_cancelled_by_client', dbt.type_bigint()) }} as sessions_cancelled_by_client,
        {{ dbt.cast('capacity', dbt.type_bigint()) }} as capacity,
        {{ dbt.cast('booked', dbt.type_bigint()) }} as booked,
        {{ dbt.cast('attended', dbt.type_bigint()) }} as attended,
        {{ dbt.cast('no_show', dbt.type_bigint()) }} as no_show,
        {{ dbt.cast('cancelled_bookings', dbt.type_bigint()) }} as cancelled_bookings,
        {{ dbt.cast('seats_used', dbt.type_bigint()) }} as seats_used,
        {{ dbt.cast('learners_started', dbt.type_bigint()) }} as learners_started,
        {{ dbt.cast('learners_completed', dbt.type_bigint()) }} as learners_completed,
        {{ safe_ratio('booked', 'capacity') }} as fill_rate,
        {{ safe_ratio('seats_used', 'capacity') }} as utilization_rate,
        {{ safe_ratio('no_show', 'attended + no_show') }} as no_show_rate,
        {{ safe_ratio('learners_completed', 'learners_started') }} as completion_rate,
        case when billed_currencies = 1 then billed_currency end as billed_currency,
        case when billed_currencies = 1 then {{ money('billed_amount') }} end as billed_amount,
        case
            when billed_currencies = 1 then {{ money(exact_divide('billed_amount', 'billed_attended', 2)) }}
        end as cost_per_attendee
    from grouped
)

select * from final
