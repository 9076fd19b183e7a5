{#- Billing per vendor contract and billing period (docs/semantics.md). The expectation, by what the
    contract's pricing model has (seed pricing_models, via int_vendor_contracts): line-level expectations = the sum of its
    lines' expectations (per_learner); a period fee = the fee per period (retainer); a fee with
    overage = fee + max(0, learners served − included_learners) × overage_rate (hybrid). This is
    the one place the period formulas live. Billed = the
    signed sum of the contract's lines in the contract currency whose service date falls in the
    period (duplicate copies and credit notes included, so the variance shows them; lines in
    another currency are counted apart and never summed in). Periods come from
    int_contract_periods; periods ending before the vendor's first invoiced service or session
    predate the data and are skipped. See _billing__models.yml. -#}
with

contracts as (
    select * from {{ ref('int_vendor_contracts') }}
),

contract_periods as (
    select * from {{ ref('int_contract_periods') }}
),

lines as (
    select * from {{ ref('fct_invoice_line_reconciliation') }}
),

sessions as (
    select * from {{ ref('int_sessions_served') }}
),

parameters as (
    select {{ as_of_date() }} as as_of_date
),

vendor_activity as (
    -- the data window: the vendor's earliest contracted invoice line or session (a line billing a
    -- service from before any contract does not open years of empty periods)
    select
        vendor_id,
        min(activity_date) as first_activity_date
    from (
        select vendor_id, service_date as activity_date from lines where contract_id is not null
        union all
        select vendor_id, session_date as activity_date from sessions
    ) as activity
    group by vendor_id
),

bounded_periods as (
    select contract_periods.*
    from contract_periods
    inner join vendor_activity
        on contract_periods.vendor_id = vendor_activity.vendor_id
    where contract_periods.period_end >= vendor_activity.first_activity_date
),

period_learners as (
    select
        bounded_periods.contract_id,
        bounded_periods.period_start,
        sum(sessions.learners_served) as learners_served,
        count(*) as sessions
    from bounded_periods
    inner join sessions
        on bounded_periods.contract_id = sessions.contract_id
        and sessions.session_date >= bounded_periods.period_start
        and sessions.session_date <= bounded_periods.period_end
    group by bounded_periods.contract_id, bounded_periods.period_start
),

period_lines as (
    select
        bounded_periods.contract_id,
        bounded_periods.period_start,
        sum(case when lines.currency = bounded_periods.currency then lines.billed_amount end) as billed_amount,
        sum(case when lines.currency = bounded_periods.currency then lines.expected_amount end)
            as line_expected_amount,
        count(case when lines.currency = bounded_periods.currency then 1 end) as invoice_lines,
        count(case when lines.currency <> bounded_periods.currency then 1 end) as other_currency_lines,
        count(case when lines.currency = bounded_periods.currency and lines.flags is not null then 1 end)
            as flagged_lines
    from bounded_periods
    inner join lines
        on bounded_periods.contract_id = lines.contract_id
        and lines.service_date >= bounded_periods.period_start
        and lines.service_date <= bounded_periods.period_end
    group by bounded_periods.contract_id, bounded_periods.period_start
),

combined as (
    select
        bounded_periods.vendor_id,
        bounded_periods.contract_id,
        bounded_periods.pricing_model,
        bounded_periods.currency,
        bounded_periods.period_start,
        bounded_periods.period_end,
        bounded_periods.period_months,
        coalesce(period_learners.sessions, 0) as sessions,
        coalesce(period_learners.learners_served, 0) as learners_served,
        contracts.included_learners,
        contracts.per_learner_rate,
        contracts.retainer_fee,
        contracts.overage_rate,
        coalesce(period_lines.invoice_lines, 0) as invoice_lines,
        coalesce(period_lines.other_currency_lines, 0) as other_currency_lines,
        coalesce(period_lines.flagged_lines, 0) as flagged_lines,
        coalesce(period_lines.billed_amount, 0) as billed_amount,
        coalesce(period_lines.line_expected_amount, 0) as line_expected_amount,
        contracts.expectation_level,
        contracts.has_period_fee,
        contracts.has_overage
    from bounded_periods
    inner join contracts
        on bounded_periods.contract_id = contracts.contract_id
    left join period_learners
        on bounded_periods.contract_id = period_learners.contract_id
        and bounded_periods.period_start = period_learners.period_start
    left join period_lines
        on bounded_periods.contract_id = period_lines.contract_id
        and bounded_periods.period_start = period_lines.period_start
),

expected as (
    select
        *,
        case
            when has_overage then greatest(learners_served - coalesce(included_learners, 0), 0)
            else 0
        end as overage_learners,
        case
            when expectation_level = 'line' then line_expected_amount
            when has_period_fee and has_overage
                then round(
                    coalesce(retainer_fee, 0)
                    + greatest(learners_served - coalesce(included_learners, 0), 0) * coalesce(overage_rate, 0),
                    2
                )
            when has_period_fee then coalesce(retainer_fee, 0)
        end as expected_amount
    from combined
),

measured as (
    select
        expected.vendor_id,
        expected.contract_id,
        expected.pricing_model,
        expected.currency,
        expected.period_start,
        expected.period_end,
        {{ dbt.cast('expected.period_months', dbt.type_int()) }} as period_months,
        {{ dbt.cast('expected.sessions', dbt.type_bigint()) }} as sessions,
        {{ dbt.cast('expected.learners_served', dbt.type_bigint()) }} as learners_served,
        {{ dbt.cast('expected.included_learners', dbt.type_bigint()) }} as included_learners,
        {{ dbt.cast('expected.overage_learners', dbt.type_bigint()) }} as overage_learners,
        case
            when expected.has_period_fee
                then {{ safe_ratio('expected.learners_served', 'expected.included_learners') }}
        end as retainer_utilisation,
        {{ money('expected.retainer_fee') }} as retainer_fee,
        {{ money('expected.overage_rate') }} as overage_rate,
        {{ money('expected.per_learner_rate') }} as per_learner_rate,
        {{ dbt.cast('expected.invoice_lines', dbt.type_bigint()) }} as invoice_lines,
        {{ dbt.cast('expected.flagged_lines', dbt.type_bigint()) }} as flagged_lines,
        {{ dbt.cast('expected.other_currency_lines', dbt.type_bigint()) }} as other_currency_lines,
        {{ money('expected.billed_amount') }} as billed_amount,
        {{ money('expected.expected_amount') }} as expected_amount,
        {{ money('expected.billed_amount - expected.expected_amount') }} as variance,
        (expected.period_end < parameters.as_of_date) as is_period_complete,
        (expected.has_period_fee and expected.billed_amount > expected.expected_amount) as is_over_billed,
        (
            expected.has_period_fee
            and expected.period_end < parameters.as_of_date
            and expected.invoice_lines = 0
            and expected.expected_amount > 0
        ) as is_not_invoiced
    from expected
    cross join parameters
),

final as (
    select
        *,
        {{ flag_list([
            ('is_not_invoiced', 'not_invoiced'),
            ('is_over_billed', 'over_billed'),
        ]) }} as period_flags
    from measured
)

select * from final
