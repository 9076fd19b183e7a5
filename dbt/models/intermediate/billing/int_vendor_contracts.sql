{#- Every vendor contract with what its pricing model means for billing (seed pricing_models:
    expectation_level, has_period_fee, has_overage) and its billing period length (seed
    retainer_periods when the model has a period fee, else 1 month: reporting months), so the billing
    marts read a contract's terms and behaviour from one place. See _billing__models.yml. -#}
with

contracts as (
    select * from {{ ref('stg_reference__vendor_contracts') }}
),

pricing_models as (
    select * from {{ ref('pricing_models') }}
),

retainer_periods as (
    select * from {{ ref('retainer_periods') }}
),

final as (
    select
        contracts.contract_id,
        contracts.vendor_id,
        contracts.pricing_model,
        pricing_models.expectation_level,
        pricing_models.has_period_fee,
        pricing_models.has_overage,
        contracts.currency,
        contracts.per_learner_rate,
        contracts.retainer_fee,
        contracts.retainer_period,
        case
            when pricing_models.has_period_fee then coalesce(retainer_periods.period_months, 1)
            else 1
        end as period_months,
        contracts.included_learners,
        contracts.overage_rate,
        contracts.bills_no_shows,
        contracts.valid_from,
        contracts.valid_to,
        contracts.sla_on_time_delivery_pct,
        contracts.sla_reporting_days
    from contracts
    left join pricing_models
        on contracts.pricing_model = pricing_models.pricing_model
    left join retainer_periods
        on contracts.retainer_period = retainer_periods.retainer_period
)

select * from final
