{#- Per invoice line (docs/semantics.md billing): what was billed (signed: credit notes negative), what
    was served, what the contract valid on the service date expects and where that expectation
    lives, the variance and one flag per billing problem. See _billing__models.yml for every rule. -#}
with

lines as (
    select * from {{ ref('int_invoice_lines_contracted') }}
),

served_learners as (
    select * from {{ ref('int_invoice_line_learners_served') }}
),

line_learners as (
    select * from {{ ref('int_invoice_line_learners_checked') }}
),

documents as (
    select * from {{ ref('int_invoice_documents_classified') }}
),

contract_periods as (
    select * from {{ ref('int_contract_periods') }}
),

pricing_models as (
    select * from {{ ref('pricing_models') }}
),

served_counts as (
    select
        document_line_id,
        count(*) as learners_served
    from served_learners
    group by document_line_id
),

learner_flags as (
    select
        document_line_id,
        count(*) as learners_billed,
        max(case when is_unknown_learner then 1 else 0 end) as has_unknown_learner,
        max(case when is_terminated_learner then 1 else 0 end) as has_terminated_learner,
        max(case when is_no_show_billed then 1 else 0 end) as has_no_show_billed
    from line_learners
    group by document_line_id
),

served as (
    select
        lines.*,
        (lines.document_type = 'invoice') as is_invoice,
        case
            -- the learners this line is expected for (int_invoice_line_learners_served)
            when lines.item_kind in ('session', 'course') then coalesce(served_counts.learners_served, 0)
            -- a line expected per learner served, billing something that is neither a session nor a
            -- course: no served learner can be seen behind it
            when pricing_models.expectation_level = 'line' then 0
        end as learners_served,
        coalesce(learner_flags.learners_billed, 0) as learners_billed,
        coalesce(learner_flags.has_unknown_learner, 0) = 1 as has_unknown_learner,
        coalesce(learner_flags.has_terminated_learner, 0) = 1 as has_terminated_learner,
        coalesce(learner_flags.has_no_show_billed, 0) = 1 as has_no_show_billed,
        pricing_models.expectation_level as pricing_expectation_level,
        case
            when lines.item_kind in ('session', 'course') then pricing_models.service_line_price
            else pricing_models.other_line_price
        end as contract_price_name
    from lines
    left join pricing_models
        on lines.pricing_model = pricing_models.pricing_model
    left join served_counts
        on lines.document_line_id = served_counts.document_line_id
    left join learner_flags
        on lines.document_line_id = learner_flags.document_line_id
),

flagged as (
    select
        served.*,
        {{ money('served.amount_sign * served.line_amount') }} as billed_amount,
        (served.contract_id is null) as has_no_contract,
        (served.contract_id is not null and served.currency is distinct from served.contract_currency)
            as is_currency_mismatch,
        -- learner, rate and quantity checks concern what an invoice charges; a credit note only
        -- gives money back
        (served.is_invoice and served.has_unknown_learner) as is_unknown_learner,
        (served.is_invoice and served.has_terminated_learner) as is_terminated_learner,
        (served.is_invoice and served.has_no_show_billed) as is_no_show_billed,
        coalesce(
            served.is_invoice
            and served.contract_id is not null
            -- prices in another currency than the contract's cannot be compared
            and served.currency = served.contract_currency
            -- the price the pricing model checks this kind of line against (seed pricing_models)
            and served.unit_price <> {{ contract_price('served.contract_price_name', 'served') }},
            false
        ) as is_rate_mismatch,
        coalesce(
            served.is_invoice
            and served.learners_served is not null
            and served.quantity > served.learners_served,
            false
        ) as is_over_quantity
    from served
),

expected as (
    select
        flagged.*,
        case
            when flagged.is_duplicate then 'line'
            when flagged.document_type = 'credit_note' then 'line'
            when flagged.has_no_contract then 'line'
            when flagged.is_currency_mismatch then 'line'
            else flagged.pricing_expectation_level
        end as expectation_level,
        case
            -- the later copy of a duplicate document is expected to cost nothing
            when flagged.is_duplicate then {{ money(0) }}
            -- a credit note delivers nothing: its whole (negative) amount is variance, which nets
            -- against the over-billing it corrects
            when flagged.document_type = 'credit_note' then {{ money(0) }}
            -- nothing is contracted: the whole amount is unsupported
            when flagged.has_no_contract then {{ money(0) }}
            -- nothing is contracted in this currency (no FX conversion is guessed)
            when flagged.is_currency_mismatch then {{ money(0) }}
            when flagged.pricing_expectation_level = 'line'
                then {{ money('round(flagged.per_learner_rate * flagged.learners_served, 2)') }}
            -- otherwise (retainer / hybrid): expected per vendor-period (fct_vendor_period_billing)
        end as expected_amount
    from flagged
),

final as (
    select
        expected.document_line_id,
        expected.document_id,
        expected.vendor_id,
        expected.invoice_number,
        expected.line_id,
        expected.document_type,
        expected.document_file,
        expected.issue_date,
        expected.currency,
        expected.item_ref,
        expected.item_kind,
        expected.service_date,
        expected.service_end as service_end_date,
        expected.quantity as billed_quantity,
        expected.unit_price,
        expected.billed_amount,
        {{ dbt.cast('expected.learners_billed', dbt.type_bigint()) }} as learners_billed,
        {{ dbt.cast('expected.learners_served', dbt.type_bigint()) }} as learners_served,
        expected.contract_id,
        expected.pricing_model,
        expected.contract_currency,
        expected.expectation_level,
        case
            when expected.expectation_level = 'vendor_period' then contract_periods.period_start
        end as billing_period_start,
        expected.expected_amount,
        {{ money('expected.billed_amount - expected.expected_amount') }} as variance,
        expected.is_unknown_learner,
        expected.is_terminated_learner,
        expected.is_no_show_billed,
        expected.is_rate_mismatch,
        expected.is_over_quantity,
        expected.is_duplicate as is_duplicate_invoice,
        expected.is_currency_mismatch,
        expected.is_credit_note_unmatched,
        expected.has_no_contract,
        original.invoice_number as duplicate_of_invoice_number,
        {{ flag_list([
            ('expected.is_credit_note_unmatched', 'credit_note_unmatched'),
            ('expected.is_currency_mismatch', 'currency_mismatch'),
            ('expected.is_duplicate', 'duplicate_invoice'),
            ('expected.has_no_contract', 'no_contract'),
            ('expected.is_no_show_billed', 'no_show_billed'),
            ('expected.is_over_quantity', 'over_quantity'),
            ('expected.is_rate_mismatch', 'rate_mismatch'),
            ('expected.is_terminated_learner', 'terminated_learner'),
            ('expected.is_unknown_learner', 'unknown_learner'),
        ]) }} as flags,
        expected._load_id as load_id
    from expected
    left join documents as original
        on expected.duplicate_of_document_id = original.document_id
    left join contract_periods
        on expected.contract_id = contract_periods.contract_id
        and expected.service_date >= contract_periods.period_start
        and expected.service_date <= contract_periods.period_end
)

select * from final
