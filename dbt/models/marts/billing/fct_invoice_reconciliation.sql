{#- Per received invoice / credit-note document (docs/semantics.md): its own total (signed), the sum of
    its lines, what part of it is expected on the lines and what part is checked per vendor-period,
    the variance and the union of its lines' flags; a later copy of a duplicate shows its amount as
    duplicate_billed. See _billing__models.yml. -#}
with

documents as (
    select * from {{ ref('int_invoice_documents_classified') }}
),

lines as (
    select * from {{ ref('fct_invoice_line_reconciliation') }}
),

line_totals as (
    select
        document_id,
        count(*) as line_count,
        count(flags) as flagged_line_count,
        sum(billed_amount) as lines_amount,
        sum(case when expectation_level = 'line' then billed_amount end) as line_level_billed_amount,
        sum(case when expectation_level = 'line' then expected_amount end) as line_level_expected_amount,
        sum(case when expectation_level = 'vendor_period' then billed_amount end) as period_level_billed_amount,
        count(case when expectation_level = 'vendor_period' then 1 end) as period_level_lines,
        min(service_date) as first_service_date,
        max(coalesce(service_end_date, service_date)) as last_service_date,
        max(case when is_unknown_learner then 1 else 0 end) as has_unknown_learner,
        max(case when is_terminated_learner then 1 else 0 end) as has_terminated_learner,
        max(case when is_no_show_billed then 1 else 0 end) as has_no_show_billed,
        max(case when is_rate_mismatch then 1 else 0 end) as has_rate_mismatch,
        max(case when is_over_quantity then 1 else 0 end) as has_over_quantity,
        max(case when has_no_contract then 1 else 0 end) as has_no_contract,
        max(case when is_currency_mismatch then 1 else 0 end) as has_currency_mismatch,
        -- the document's contract when all its lines fall under one (else null)
        case when min(contract_id) = max(contract_id) and count(contract_id) = count(*) then max(contract_id) end
            as contract_id,
        case when min(pricing_model) = max(pricing_model) then max(pricing_model) end as pricing_model
    from lines
    group by document_id
),

combined as (
    select
        documents.document_id,
        documents.vendor_id,
        documents.invoice_number,
        documents.document_file,
        documents.document_type,
        documents.issue_date,
        documents.due_date,
        documents.currency,
        documents.period_start,
        documents.period_end,
        documents.preceding_invoice,
        original.invoice_number as duplicate_of_invoice_number,
        line_totals.contract_id,
        line_totals.pricing_model,
        line_totals.first_service_date,
        line_totals.last_service_date,
        coalesce(line_totals.line_count, 0) as line_count,
        coalesce(line_totals.flagged_line_count, 0) as flagged_line_count,
        coalesce(line_totals.period_level_lines, 0) as period_level_lines,
        documents.amount_sign * documents.total_excl_tax as document_amount,
        documents.amount_sign * documents.tax_total as tax_amount,
        documents.amount_sign * documents.total_incl_tax as document_amount_incl_tax,
        coalesce(line_totals.lines_amount, 0) as lines_amount,
        line_totals.line_level_billed_amount,
        line_totals.line_level_expected_amount,
        line_totals.period_level_billed_amount,
        documents.is_duplicate,
        documents.is_credit_note_unmatched,
        coalesce(line_totals.has_unknown_learner, 0) = 1 as has_unknown_learner,
        coalesce(line_totals.has_terminated_learner, 0) = 1 as has_terminated_learner,
        coalesce(line_totals.has_no_show_billed, 0) = 1 as has_no_show_billed,
        coalesce(line_totals.has_rate_mismatch, 0) = 1 as has_rate_mismatch,
        coalesce(line_totals.has_over_quantity, 0) = 1 as has_over_quantity,
        coalesce(line_totals.has_no_contract, 0) = 1 as has_no_contract,
        coalesce(line_totals.has_currency_mismatch, 0) = 1 as has_currency_mismatch
    from documents
    left join line_totals
        on documents.document_id = line_totals.document_id
    left join documents as original
        on documents.duplicate_of_document_id = original.document_id
),

final as (
    select
        document_id,
        vendor_id,
        invoice_number,
        document_file,
        document_type,
        issue_date,
        due_date,
        currency,
        period_start,
        period_end,
        first_service_date,
        last_service_date,
        preceding_invoice,
        duplicate_of_invoice_number,
        contract_id,
        pricing_model,
        {{ dbt.cast('line_count', dbt.type_bigint()) }} as line_count,
        {{ dbt.cast('flagged_line_count', dbt.type_bigint()) }} as flagged_line_count,
        {{ money('document_amount') }} as document_amount,
        -- a later copy of a duplicate never adds to spend: its whole amount is shown here instead
        {{ money('case when is_duplicate then document_amount else 0 end') }} as duplicate_billed,
        {{ money('tax_amount') }} as tax_amount,
        {{ money('document_amount_incl_tax') }} as document_amount_incl_tax,
        {{ money('lines_amount') }} as lines_amount,
        {{ money('document_amount - lines_amount') }} as unitemised_amount,
        case
            when period_level_lines = 0 then 'invoice'
            when period_level_lines = line_count then 'vendor_period'
            else 'mixed'
        end as expectation_level,
        {{ money('line_level_expected_amount') }} as expected_amount,
        {{ money('period_level_billed_amount') }} as period_level_amount,
        -- the variance the document itself shows: its line-level variances, plus the part of its
        -- total no readable line carries (quarantined lines are money claimed without evidence)
        {{ money('coalesce(line_level_billed_amount - line_level_expected_amount, 0) + (document_amount - lines_amount)') }}
            as variance,
        (document_amount <> lines_amount) as is_lines_total_mismatch,
        {{ flag_list([
            ('is_credit_note_unmatched', 'credit_note_unmatched'),
            ('has_currency_mismatch', 'currency_mismatch'),
            ('is_duplicate', 'duplicate_invoice'),
            ('document_amount <> lines_amount', 'lines_total_mismatch'),
            ('has_no_contract', 'no_contract'),
            ('has_no_show_billed', 'no_show_billed'),
            ('has_over_quantity', 'over_quantity'),
            ('has_rate_mismatch', 'rate_mismatch'),
            ('has_terminated_learner', 'terminated_learner'),
            ('has_unknown_learner', 'unknown_learner'),
        ]) }} as flags
    from combined
)

select * from final
