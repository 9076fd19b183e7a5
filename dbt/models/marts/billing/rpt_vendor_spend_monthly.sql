{#- Vendor spend by month (docs/semantics.md): billed, expected, variance, credits, learners served,
    cost per learner, retainer utilisation — per vendor, currency and month. Amounts are never
    summed across currencies. A later copy of a duplicate document never adds to spend: its amount
    is duplicate_billed, beside billed. See _billing__models.yml for each figure. -#}
with

vendors as (
    select * from {{ ref('int_vendors') }}
),

lines as (
    select * from {{ ref('fct_invoice_line_reconciliation') }}
),

documents as (
    select * from {{ ref('fct_invoice_reconciliation') }}
),

vendor_periods as (
    select * from {{ ref('fct_vendor_period_billing') }}
),

sessions as (
    select * from {{ ref('int_sessions_served') }}
),

contracts as (
    select * from {{ ref('int_vendor_contracts') }}
),

pricing_models as (
    select * from {{ ref('pricing_models') }}
),

parameters as (
    select {{ as_of_date() }} as as_of_date
),

periods as (
    -- each period with what its contract's pricing model has (seed pricing_models)
    select
        vendor_periods.*,
        pricing_models.expectation_level,
        pricing_models.has_period_fee
    from vendor_periods
    left join pricing_models
        on vendor_periods.pricing_model = pricing_models.pricing_model
),

month_offsets as (
    -- 0 .. 11: the months of a billing period (a yearly period has 12)
    select 0 as month_offset
    {% for offset in range(1, 12) %}
    union all select {{ offset }}
    {% endfor %}
),

line_facts as (
    select
        vendor_id,
        currency,
        cast({{ dbt.date_trunc('month', "case when expectation_level = 'vendor_period' then billing_period_start else service_date end") }} as date)
            as month_start,
        case when document_type = 'invoice' and not is_duplicate_invoice then billed_amount else 0 end
            as invoiced_amount,
        case when document_type = 'credit_note' and not is_duplicate_invoice then billed_amount else 0 end
            as credited_amount,
        {{ money(0) }} as unitemised_amount,
        case when is_duplicate_invoice then billed_amount else 0 end as duplicate_billed,
        case when expectation_level = 'line' then expected_amount else 0 end as expected_amount,
        1 as invoice_lines,
        case when flags is not null then 1 else 0 end as flagged_lines,
        0 as learners_served,
        0 as sessions,
        cast(null as decimal(18, 6)) as included_learners
    from lines
),

unitemised_facts as (
    -- money a document claims that no readable line carries (quarantined lines)
    select
        vendor_id,
        currency,
        cast({{ dbt.date_trunc('month', 'coalesce(first_service_date, period_start, issue_date)') }} as date)
            as month_start,
        0 as invoiced_amount,
        0 as credited_amount,
        case when duplicate_of_invoice_number is null then unitemised_amount else 0 end as unitemised_amount,
        case when duplicate_of_invoice_number is not null then unitemised_amount else 0 end as duplicate_billed,
        0 as expected_amount,
        0 as invoice_lines,
        0 as flagged_lines,
        0 as learners_served,
        0 as sessions,
        cast(null as decimal(18, 6)) as included_learners
    from documents
    where unitemised_amount <> 0
),

period_facts as (
    -- period-level expectations (retainer / hybrid), in the month their period starts
    select
        vendor_id,
        currency,
        cast({{ dbt.date_trunc('month', 'period_start') }} as date) as month_start,
        0 as invoiced_amount,
        0 as credited_amount,
        0 as unitemised_amount,
        0 as duplicate_billed,
        expected_amount,
        0 as invoice_lines,
        0 as flagged_lines,
        0 as learners_served,
        0 as sessions,
        cast(null as decimal(18, 6)) as included_learners
    from periods
    where expectation_level = 'vendor_period'
),

included_facts as (
    -- a period fee's included learners (retainer / hybrid), spread evenly over its months
    select
        periods.vendor_id,
        periods.currency,
        cast({{ dbt.date_trunc('month', add_months('periods.period_start', 'month_offsets.month_offset')) }} as date)
            as month_start,
        0 as invoiced_amount,
        0 as credited_amount,
        0 as unitemised_amount,
        0 as duplicate_billed,
        0 as expected_amount,
        0 as invoice_lines,
        0 as flagged_lines,
        0 as learners_served,
        0 as sessions,
        cast({{ exact_divide('periods.included_learners', 'periods.period_months', 6) }} as decimal(18, 6)) as included_learners
    from periods
    inner join month_offsets
        on month_offsets.month_offset < periods.period_months
    where periods.has_period_fee
        and periods.included_learners is not null
),

session_facts as (
    select
        sessions.vendor_id,
        contracts.currency,
        sessions.session_month as month_start,
        0 as invoiced_amount,
        0 as credited_amount,
        0 as unitemised_amount,
        0 as duplicate_billed,
        0 as expected_amount,
        0 as invoice_lines,
        0 as flagged_lines,
        sessions.learners_served,
        1 as sessions,
        cast(null as decimal(18, 6)) as included_learners
    from sessions
    inner join contracts
        on sessions.contract_id = contracts.contract_id
    where sessions.status not in ('cancelled_by_vendor', 'cancelled_by_client')
),

facts as (
    select * from line_facts
    union all
    select * from unitemised_facts
    union all
    select * from period_facts
    union all
    select * from included_facts
    union all
    select * from session_facts
),

monthly as (
    select
        vendor_id,
        currency,
        month_start,
        sum(invoiced_amount) as invoiced_amount,
        sum(credited_amount) as credited_amount,
        sum(unitemised_amount) as unitemised_amount,
        sum(duplicate_billed) as duplicate_billed,
        sum(expected_amount) as expected_amount,
        sum(invoice_lines) as invoice_lines,
        sum(flagged_lines) as flagged_lines,
        sum(learners_served) as learners_served,
        sum(sessions) as sessions,
        sum(included_learners) as included_learners
    from facts
    group by vendor_id, currency, month_start
),

final as (
    select
        monthly.vendor_id,
        vendors.vendor_name,
        monthly.currency,
        monthly.month_start,
        {{ dbt.cast('monthly.sessions', dbt.type_bigint()) }} as sessions,
        {{ dbt.cast('monthly.learners_served', dbt.type_bigint()) }} as learners_served,
        {{ dbt.cast('monthly.invoice_lines', dbt.type_bigint()) }} as invoice_lines,
        {{ dbt.cast('monthly.flagged_lines', dbt.type_bigint()) }} as flagged_lines,
        {{ money('monthly.invoiced_amount') }} as invoiced_amount,
        {{ money('monthly.credited_amount') }} as credited_amount,
        {{ money('monthly.unitemised_amount') }} as unitemised_amount,
        {{ money('monthly.invoiced_amount + monthly.credited_amount + monthly.unitemised_amount') }}
            as billed_amount,
        {{ money('monthly.duplicate_billed') }} as duplicate_billed,
        {{ money('monthly.expected_amount') }} as expected_amount,
        {{ money('monthly.invoiced_amount + monthly.credited_amount + monthly.unitemised_amount - monthly.expected_amount') }}
            as variance,
        {{ money(exact_divide('monthly.invoiced_amount + monthly.credited_amount + monthly.unitemised_amount', 'monthly.learners_served', 2)) }}
            as cost_per_learner,
        cast(round(monthly.included_learners, 4) as decimal(18, 4)) as included_learners,
        {{ safe_ratio('monthly.learners_served', 'monthly.included_learners') }} as retainer_utilisation,
        ({{ add_days(add_months('monthly.month_start', 1), -1) }} < parameters.as_of_date) as is_month_complete
    from monthly
    cross join parameters
    left join vendors
        on monthly.vendor_id = vendors.vendor_id
)

select * from final
