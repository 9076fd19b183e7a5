{#- Vendor SLA figures per vendor and month against the contract's targets (docs/semantics.md): sessions
    delivered as scheduled, completion-reporting lag, invoice accuracy. See _billing__models.yml
    for the definitions. -#}
with

sessions as (
    select * from {{ ref('int_sessions_served') }}
),

bookings as (
    select * from {{ ref('int_bookings_resolved') }}
),

learning_records as (
    select * from {{ ref('int_learning_records_effective') }}
),

lines as (
    select * from {{ ref('fct_invoice_line_reconciliation') }}
),

contracts as (
    select * from {{ ref('int_vendor_contracts') }}
),

parameters as (
    select
        {{ as_of_date() }} as as_of_date,
        cast({{ var('sla_invoice_accuracy_pct', 100) }} as decimal(9, 4)) as invoice_accuracy_target_pct
),

scheduled_sessions as (
    -- instructor-led sessions that should have taken place by D (self-paced licence pools are
    -- not scheduled deliveries)
    select sessions.*
    from sessions
    cross join parameters
    where sessions.vendor_id is not null
        and sessions.modality in ('ilt', 'vilt')
        and sessions.session_date < parameters.as_of_date
),

delivery as (
    select
        vendor_id,
        session_month as month_start,
        count(case when status <> 'cancelled_by_client' then 1 end) as sessions_due,
        count(case when status = 'cancelled_by_vendor' then 1 end) as sessions_cancelled_by_vendor,
        count(case when status = 'cancelled_by_client' then 1 end) as sessions_cancelled_by_client
    from scheduled_sessions
    group by vendor_id, session_month
),

first_records as (
    -- the first learning record of each learner on a session's course dated within the session
    -- (from its start to a day after its end)
    select
        bookings.session_id,
        bookings.learner_ref,
        min(learning_records.stored_at) as first_record_stored_at
    from bookings
    inner join scheduled_sessions
        on bookings.session_id = scheduled_sessions.session_id
    inner join learning_records
        on bookings.learner_identity = learning_records.learner_identity
        and scheduled_sessions.course_ref = learning_records.course_ref
        and learning_records.occurred_at >= scheduled_sessions.starts_at
        and learning_records.occurred_at
            <= {{ dbt.dateadd('day', 1, 'coalesce(scheduled_sessions.ends_at, scheduled_sessions.starts_at)') }}
    where bookings.status in ('attended', 'no_show')
    group by bookings.session_id, bookings.learner_ref
),

outcomes as (
    -- one row per booking whose outcome the vendor owes: attended / no-show, or still `booked`
    -- on a session that was not cancelled (an outcome never reported)
    select
        scheduled_sessions.vendor_id,
        scheduled_sessions.session_month as month_start,
        scheduled_sessions.session_id,
        coalesce(scheduled_sessions.ends_at, scheduled_sessions.starts_at) as session_end_at,
        bookings.status,
        case
            when bookings.status in ('attended', 'no_show')
                then least(bookings.updated_at, first_records.first_record_stored_at)
        end as reported_at
    from bookings
    inner join scheduled_sessions
        on bookings.session_id = scheduled_sessions.session_id
    left join first_records
        on bookings.session_id = first_records.session_id
        and bookings.learner_ref = first_records.learner_ref
    where bookings.status in ('attended', 'no_show')
        or (bookings.status = 'booked' and scheduled_sessions.status not like 'cancelled%')
),

month_contracts as (
    -- the vendor's contract for the month: the latest-starting one valid on the month's last day
    -- (or D, in the current month), else on any day of the month
    select
        months.vendor_id,
        months.month_start,
        contracts.contract_id,
        contracts.sla_on_time_delivery_pct,
        contracts.sla_reporting_days,
        row_number() over (
            partition by months.vendor_id, months.month_start
            order by
                case
                    when contracts.valid_from <= least({{ add_days(add_months('months.month_start', 1), -1) }}, parameters.as_of_date)
                        and (contracts.valid_to is null
                            or contracts.valid_to >= least({{ add_days(add_months('months.month_start', 1), -1) }}, parameters.as_of_date))
                        then 0
                    else 1
                end,
                contracts.valid_from desc,
                contracts.contract_id desc
        ) as contract_rank
    from (
        select vendor_id, month_start from delivery
        union
        select vendor_id, cast({{ dbt.date_trunc('month', "case when expectation_level = 'vendor_period' then billing_period_start else service_date end") }} as date)
        from lines
    ) as months
    cross join parameters
    inner join contracts
        on months.vendor_id = contracts.vendor_id
        and (contracts.valid_from is null or contracts.valid_from <= {{ add_days(add_months('months.month_start', 1), -1) }})
        and (contracts.valid_to is null or contracts.valid_to >= months.month_start)
),

reporting as (
    select
        outcomes.vendor_id,
        outcomes.month_start,
        count(*) as outcomes_due,
        count(outcomes.reported_at) as outcomes_reported,
        sum(
            case
                when outcomes.reported_at is null then 0
                when outcomes.reported_at <= outcomes.session_end_at then 0
                else {{ dbt.datediff('outcomes.session_end_at', 'outcomes.reported_at', 'hour') }}
            end
        ) as reporting_lag_hours,
        max(
            case
                when outcomes.reported_at is null then null
                when outcomes.reported_at <= outcomes.session_end_at then 0
                else {{ dbt.datediff('outcomes.session_end_at', 'outcomes.reported_at', 'hour') }}
            end
        ) as max_reporting_lag_hours,
        count(
            case
                when month_contracts.sla_reporting_days is null then null
                -- reported later than the target
                when outcomes.reported_at is not null
                    and outcomes.reported_at > {{ dbt.dateadd('day', 'month_contracts.sla_reporting_days', 'outcomes.session_end_at') }}
                    then 1
                -- never reported, and the target has passed
                when outcomes.reported_at is null
                    and {{ to_business_date(dbt.dateadd('day', 'month_contracts.sla_reporting_days', 'outcomes.session_end_at')) }}
                        < parameters.as_of_date
                    then 1
            end
        ) as outcomes_reported_late
    from outcomes
    cross join parameters
    left join month_contracts
        on outcomes.vendor_id = month_contracts.vendor_id
        and outcomes.month_start = month_contracts.month_start
        and month_contracts.contract_rank = 1
    group by outcomes.vendor_id, outcomes.month_start
),

invoicing as (
    select
        vendor_id,
        cast({{ dbt.date_trunc('month', "case when expectation_level = 'vendor_period' then billing_period_start else service_date end") }} as date)
            as month_start,
        count(*) as invoice_lines,
        count(case when flags is null then 1 end) as clean_invoice_lines
    from lines
    group by 1, 2
),

months as (
    select vendor_id, month_start from delivery
    union
    select vendor_id, month_start from invoicing
),

measured as (
    select
        months.vendor_id,
        months.month_start,
        month_contracts.contract_id,
        coalesce(delivery.sessions_due, 0) as sessions_due,
        coalesce(delivery.sessions_due, 0) - coalesce(delivery.sessions_cancelled_by_vendor, 0)
            as sessions_delivered_as_scheduled,
        coalesce(delivery.sessions_cancelled_by_vendor, 0) as sessions_cancelled_by_vendor,
        coalesce(delivery.sessions_cancelled_by_client, 0) as sessions_cancelled_by_client,
        month_contracts.sla_on_time_delivery_pct,
        coalesce(reporting.outcomes_due, 0) as outcomes_due,
        coalesce(reporting.outcomes_reported, 0) as outcomes_reported,
        coalesce(reporting.outcomes_reported_late, 0) as outcomes_reported_late,
        reporting.reporting_lag_hours,
        reporting.max_reporting_lag_hours,
        month_contracts.sla_reporting_days,
        coalesce(invoicing.invoice_lines, 0) as invoice_lines,
        coalesce(invoicing.clean_invoice_lines, 0) as clean_invoice_lines,
        parameters.invoice_accuracy_target_pct
    from months
    cross join parameters
    left join delivery
        on months.vendor_id = delivery.vendor_id
        and months.month_start = delivery.month_start
    left join reporting
        on months.vendor_id = reporting.vendor_id
        and months.month_start = reporting.month_start
    left join invoicing
        on months.vendor_id = invoicing.vendor_id
        and months.month_start = invoicing.month_start
    left join month_contracts
        on months.vendor_id = month_contracts.vendor_id
        and months.month_start = month_contracts.month_start
        and month_contracts.contract_rank = 1
),

rated as (
    select
        *,
        cast({{ exact_divide('100 * sessions_delivered_as_scheduled', 'sessions_due', 2) }} as decimal(9, 2))
            as on_time_delivery_pct,
        cast({{ exact_divide('reporting_lag_hours', '24 * outcomes_reported', 2) }} as decimal(9, 2))
            as avg_reporting_lag_days,
        cast({{ exact_divide('max_reporting_lag_hours', 24, 2) }} as decimal(9, 2)) as max_reporting_lag_days,
        cast({{ exact_divide('100 * clean_invoice_lines', 'invoice_lines', 2) }} as decimal(9, 2))
            as invoice_accuracy_pct
    from measured
),

final as (
    select
        vendor_id,
        month_start,
        contract_id,
        {{ dbt.cast('sessions_due', dbt.type_bigint()) }} as sessions_due,
        {{ dbt.cast('sessions_delivered_as_scheduled', dbt.type_bigint()) }} as sessions_delivered_as_scheduled,
        {{ dbt.cast('sessions_cancelled_by_vendor', dbt.type_bigint()) }} as sessions_cancelled_by_vendor,
        {{ dbt.cast('sessions_cancelled_by_client', dbt.type_bigint()) }} as sessions_cancelled_by_client,
        on_time_delivery_pct,
        cast(sla_on_time_delivery_pct as decimal(9, 2)) as on_time_delivery_target_pct,
        case
            when sessions_due > 0 and sla_on_time_delivery_pct is not null
                then on_time_delivery_pct >= sla_on_time_delivery_pct
        end as is_on_time_delivery_attained,
        {{ dbt.cast('outcomes_due', dbt.type_bigint()) }} as outcomes_due,
        {{ dbt.cast('outcomes_reported', dbt.type_bigint()) }} as outcomes_reported,
        {{ dbt.cast('outcomes_reported_late', dbt.type_bigint()) }} as outcomes_reported_late,
        avg_reporting_lag_days,
        max_reporting_lag_days,
        {{ dbt.cast('sla_reporting_days', dbt.type_int()) }} as reporting_target_days,
        case
            when outcomes_due > 0 and sla_reporting_days is not null then outcomes_reported_late = 0
        end as is_reporting_attained,
        {{ dbt.cast('invoice_lines', dbt.type_bigint()) }} as invoice_lines,
        {{ dbt.cast('clean_invoice_lines', dbt.type_bigint()) }} as clean_invoice_lines,
        invoice_accuracy_pct,
        cast(invoice_accuracy_target_pct as decimal(9, 2)) as invoice_accuracy_target_pct,
        case
            when invoice_lines > 0 then invoice_accuracy_pct >= invoice_accuracy_target_pct
        end as is_invoice_accuracy_attained
    from rated
)

select * from final
