{#- Billing per vendor contract and billing period (DESIGN §5): retainer = fee per period;
    hybrid = fee + max(0, learners - included_learners) x overage_rate; per_learner = rate x
    learners. Learners = attendances (plus no-shows where the contract bills them) of the
    vendor's sessions whose business date falls in the period, known to HR or not. Billed = the
    signed sum of the contract's invoice lines whose service date falls in the period (duplicates
    and credit notes included, so the variance shows them). Periods run from the contract's start
    to its end or D (var `as_of`), whichever is first, skipping periods that end before the
    vendor's first invoiced service or session (they predate the data); retainer_period month /
    quarter / year (default month; per_learner contracts are reported monthly). The period that
    contains D is reported with is_period_complete = false (its invoice may not be issued yet). -#}
with recursive

contracts as (
    select * from {{ ref('stg_reference__vendor_contracts') }}
),

lines as (
    select * from {{ ref('fct_invoice_line_reconciliation') }}
),

bookings as (
    select * from {{ ref('int_bookings_resolved') }}
),

parameters as (
    select {{ as_of_date() }} as as_of_date
),

contract_periods as (
    select
        contracts.contract_id,
        case
            when contracts.pricing_model = 'per_learner' then 1
            when contracts.retainer_period in ('quarter', 'quarterly') then 3
            when contracts.retainer_period in ('year', 'yearly', 'annual', 'annually') then 12
            else 1
        end as period_months,
        contracts.valid_from,
        case
            when contracts.valid_to is null or contracts.valid_to > parameters.as_of_date then parameters.as_of_date
            else contracts.valid_to
        end as report_until
    from contracts
    cross join parameters
    where contracts.valid_from is not null
),

periods (contract_id, period_months, report_until, period_start) as (
    select
        contract_id,
        period_months,
        report_until,
        valid_from as period_start
    from contract_periods
    where valid_from <= report_until

    union all

    select
        contract_id,
        period_months,
        report_until,
        {{ add_months('period_start', 'period_months') }} as period_start
    from periods
    where {{ add_months('period_start', 'period_months') }} <= report_until
),

vendor_activity as (
    -- The data window: the vendor's earliest invoiced service or session.
    select
        vendor_id,
        min(activity_date) as first_activity_date
    from (
        select vendor_id, service_date as activity_date from lines
        union all
        select vendor_id, session_date as activity_date from bookings
    ) as activity
    group by vendor_id
),

bounded_periods as (
    -- Periods that end before the vendor's first invoiced service or session predate the data
    -- and are not reported.
    select
        periods.contract_id,
        periods.period_start,
        {{ add_days(add_months('periods.period_start', 'periods.period_months'), -1) }} as period_end
    from periods
    inner join contracts
        on periods.contract_id = contracts.contract_id
    inner join vendor_activity
        on contracts.vendor_id = vendor_activity.vendor_id
    where {{ add_days(add_months('periods.period_start', 'periods.period_months'), -1) }}
        >= vendor_activity.first_activity_date
),

period_learners as (
    select
        bounded_periods.contract_id,
        bounded_periods.period_start,
        count(
            case
                when bookings.status = 'attended' then 1
                when bookings.status = 'no_show' and contracts.bills_no_shows then 1
            end
        ) as learners_served
    from bounded_periods
    inner join contracts
        on bounded_periods.contract_id = contracts.contract_id
    inner join bookings
        on contracts.vendor_id = bookings.vendor_id
        and bookings.session_date >= bounded_periods.period_start
        and bookings.session_date <= bounded_periods.period_end
    group by bounded_periods.contract_id, bounded_periods.period_start
),

period_billing as (
    select
        bounded_periods.contract_id,
        bounded_periods.period_start,
        sum(lines.billed_amount) as billed_amount,
        count(lines.document_line_id) as invoice_lines,
        max(lines.currency) as billed_currency
    from bounded_periods
    inner join lines
        on bounded_periods.contract_id = lines.contract_id
        and lines.service_date >= bounded_periods.period_start
        and lines.service_date <= bounded_periods.period_end
    group by bounded_periods.contract_id, bounded_periods.period_start
),

combined as (
    select
        contracts.vendor_id,
        contracts.contract_id,
        contracts.pricing_model,
        contracts.currency,
        bounded_periods.period_start,
        bounded_periods.period_end,
        coalesce(period_learners.learners_served, 0) as learners_served,
        contracts.included_learners,
        case
            when contracts.pricing_model = 'hybrid'
                then greatest(coalesce(period_learners.learners_served, 0) - coalesce(contracts.included_learners, 0), 0)
            else 0
        end as overage_learners,
        contracts.per_learner_rate,
        contracts.retainer_fee,
        contracts.overage_rate,
        coalesce(period_billing.billed_amount, 0) as billed_amount,
        coalesce(period_billing.invoice_lines, 0) as invoice_lines
    from bounded_periods
    inner join contracts
        on bounded_periods.contract_id = contracts.contract_id
    left join period_learners
        on bounded_periods.contract_id = period_learners.contract_id
        and bounded_periods.period_start = period_learners.period_start
    left join period_billing
        on bounded_periods.contract_id = period_billing.contract_id
        and bounded_periods.period_start = period_billing.period_start
),

expected as (
    select
        *,
        case
            when pricing_model = 'per_learner' then round(coalesce(per_learner_rate, 0) * learners_served, 2)
            when pricing_model = 'retainer' then coalesce(retainer_fee, 0)
            when pricing_model = 'hybrid'
                then round(coalesce(retainer_fee, 0) + overage_learners * coalesce(overage_rate, 0), 2)
        end as expected_amount
    from combined
),

final as (
    select
        vendor_id,
        contract_id,
        pricing_model,
        currency,
        period_start,
        period_end,
        {{ dbt.cast('learners_served', dbt.type_bigint()) }} as learners_served,
        {{ dbt.cast('included_learners', dbt.type_bigint()) }} as included_learners,
        {{ dbt.cast('overage_learners', dbt.type_bigint()) }} as overage_learners,
        {{ dbt.cast('invoice_lines', dbt.type_bigint()) }} as invoice_lines,
        cast(billed_amount as decimal(20, 6)) as billed_amount,
        cast(expected_amount as decimal(20, 6)) as expected_amount,
        cast(billed_amount - expected_amount as decimal(20, 6)) as variance,
        (period_end < as_of_date) as is_period_complete
    from expected
    cross join parameters
)

select * from final
