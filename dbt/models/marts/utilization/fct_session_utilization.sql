{#- Seats per session (DESIGN §5): booked = attended + no_show + still booked (cancelled
    bookings excluded); fill_rate = booked / capacity; utilization_rate = attended / capacity;
    no_show_rate = no_show / (attended + no_show), null when both are 0. Ratios are
    decimal(9, 4) fractions (0.8125 = 81.25 %), null when capacity is missing or 0. Roll-ups must
    sum the seat counts and divide, never average these ratios. -#}
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

counted as (
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

final as (
    select
        session_id,
        course_ref,
        course_title,
        vendor_id,
        modality,
        session_date,
        session_month,
        starts_at,
        ends_at,
        status,
        {{ dbt.cast('capacity', dbt.type_bigint()) }} as capacity,
        {{ dbt.cast('booked', dbt.type_bigint()) }} as booked,
        {{ dbt.cast('attended', dbt.type_bigint()) }} as attended,
        {{ dbt.cast('no_show', dbt.type_bigint()) }} as no_show,
        {{ dbt.cast('cancelled', dbt.type_bigint()) }} as cancelled,
        case
            when capacity > 0 then cast(round(cast(booked as decimal(18, 6)) / capacity, 4) as decimal(9, 4))
        end as fill_rate,
        case
            when capacity > 0 then cast(round(cast(attended as decimal(18, 6)) / capacity, 4) as decimal(9, 4))
        end as utilization_rate,
        case
            when attended + no_show > 0
                then cast(round(cast(no_show as decimal(18, 6)) / (attended + no_show), 4) as decimal(9, 4))
        end as no_show_rate
    from counted
)

select * from final
