{#- The billing periods of every vendor contract (docs/semantics.md: retainer and hybrid expectations are
    per vendor-period). Periods are anchored on the contract's valid_from and step by its
    retainer_period (seed retainer_periods: monthly by default, quarterly 3 months, yearly 12)
    when its pricing model has a period fee (seed pricing_models); otherwise (per_learner) they
    are reporting months. Period n starts at
    valid_from + n × period months (computed from valid_from each time, so a contract starting on
    the 31st does not drift to the 28th) and ends the day before period n + 1, or on valid_to
    when that comes first (a period cut short is still a whole period: no pro-rating). Periods
    are generated up to the later of D and the vendor's last invoiced service date, never past
    valid_to. -#}
with recursive

contracts as (
    select * from {{ ref('stg_reference__vendor_contracts') }}
),

pricing_models as (
    select * from {{ ref('pricing_models') }}
),

retainer_periods as (
    select * from {{ ref('retainer_periods') }}
),

lines as (
    select * from {{ ref('int_invoice_lines_contracted') }}
),

parameters as (
    select {{ as_of_date() }} as as_of_date
),

last_service as (
    select
        vendor_id,
        max(service_date) as last_service_date
    from lines
    group by vendor_id
),

contract_windows as (
    select
        contracts.contract_id,
        contracts.valid_from,
        contracts.valid_to,
        case
            when pricing_models.has_period_fee then coalesce(retainer_periods.period_months, 1)
            else 1
        end as period_months,
        case
            when contracts.valid_to is not null
                and contracts.valid_to < greatest(parameters.as_of_date, coalesce(last_service.last_service_date, parameters.as_of_date))
                then contracts.valid_to
            else greatest(parameters.as_of_date, coalesce(last_service.last_service_date, parameters.as_of_date))
        end as generate_until
    from contracts
    cross join parameters
    left join last_service
        on contracts.vendor_id = last_service.vendor_id
    left join pricing_models
        on contracts.pricing_model = pricing_models.pricing_model
    left join retainer_periods
        on contracts.retainer_period = retainer_periods.retainer_period
    where contracts.valid_from is not null
),

periods (contract_id, valid_from, valid_to, period_months, generate_until, period_number, period_start) as (
    select
        contract_id,
        valid_from,
        valid_to,
        period_months,
        generate_until,
        0 as period_number,
        valid_from as period_start
    from contract_windows
    where valid_from <= generate_until

    union all

    select
        contract_id,
        valid_from,
        valid_to,
        period_months,
        generate_until,
        period_number + 1 as period_number,
        {{ add_months('valid_from', '(period_number + 1) * period_months') }} as period_start
    from periods
    where {{ add_months('valid_from', '(period_number + 1) * period_months') }} <= generate_until
),

final as (
    select
        periods.contract_id,
        contracts.vendor_id,
        contracts.pricing_model,
        contracts.currency,
        periods.period_number,
        periods.period_months,
        periods.period_start,
        case
            when periods.valid_to is not null
                and periods.valid_to < {{ add_days(add_months('periods.valid_from', '(periods.period_number + 1) * periods.period_months'), -1) }}
                then periods.valid_to
            else {{ add_days(add_months('periods.valid_from', '(periods.period_number + 1) * periods.period_months'), -1) }}
        end as period_end
    from periods
    inner join contracts
        on periods.contract_id = contracts.contract_id
)

select * from final
