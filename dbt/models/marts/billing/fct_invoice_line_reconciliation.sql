{#- Per invoice line (DESIGN §5 billing): what was billed (signed: credit notes negative), what
    was served, what the contract valid on the service date expects, the variance and one flag
    per billing problem. See _billing__models.yml for every rule. -#}
with

lines as (
    select * from {{ ref('int_invoice_lines_contracted') }}
),

line_sessions as (
    select * from {{ ref('int_invoice_line_sessions_matched') }}
),

bookings as (
    select * from {{ ref('int_bookings_resolved') }}
),

line_learners as (
    select * from {{ ref('int_invoice_line_learners_checked') }}
),

documents as (
    select * from {{ ref('int_invoice_documents_classified') }}
),

attendance as (
    select
        line_sessions.document_line_id,
        count(case when bookings.status = 'attended' then 1 end) as attended,
        count(case when bookings.status = 'no_show' then 1 end) as no_show
    from line_sessions
    inner join bookings
        on line_sessions.session_id = bookings.session_id
    group by line_sessions.document_line_id
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
        case
            when lines.item_kind in ('session', 'course')
                then coalesce(attendance.attended, 0)
                    + case when coalesce(lines.bills_no_shows, false) then coalesce(attendance.no_show, 0) else 0 end
        end as learners_served,
        coalesce(learner_flags.learners_billed, 0) as learners_billed,
        coalesce(learner_flags.has_unknown_learner, 0) = 1 as is_unknown_learner,
        coalesce(learner_flags.has_terminated_learner, 0) = 1 as is_terminated_learner,
        coalesce(learner_flags.has_no_show_billed, 0) = 1 as is_no_show_billed
    from lines
    left join attendance
        on lines.document_line_id = attendance.document_line_id
    left join learner_flags
        on lines.document_line_id = learner_flags.document_line_id
),

flagged as (
    select
        served.*,
        cast(served.amount_sign * served.line_amount as decimal(20, 6)) as billed_amount,
        case
            when served.contract_id is null then false
            when served.pricing_model = 'per_learner' then served.unit_price <> served.per_learner_rate
            when served.pricing_model = 'retainer' then served.unit_price <> served.retainer_fee
            when served.pricing_model = 'hybrid'
                then served.unit_price <> served.retainer_fee and served.unit_price <> served.overage_rate
            else false
        end as is_rate_mismatch,
        (
            served.document_type <> 'credit_note'
            and served.learners_served is not null
            and coalesce(served.pricing_model, 'per_learner') = 'per_learner'
            and served.quantity > served.learners_served
        ) as is_over_quantity,
        (served.contract_id is not null and served.currency <> served.contract_currency) as is_currency_mismatch,
        (served.contract_id is null) as has_no_contract
    from served
),

expected as (
    select
        flagged.*,
        case
            -- the later copy of a duplicate document is expected to cost nothing
            when flagged.is_duplicate then cast(0 as decimal(20, 6))
            -- a credit note delivers nothing: its whole (negative) amount is variance, which nets
            -- against the over-billing it corrects
            when flagged.document_type = 'credit_note' then cast(0 as decimal(20, 6))
            when flagged.contract_id is null then null
            when flagged.pricing_model = 'per_learner' and flagged.learners_served is not null
                then cast(round(flagged.per_learner_rate * flagged.learners_served, 2) as decimal(20, 6))
            -- retainer / hybrid: expected per vendor-period (fct_vendor_period_billing)
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
        expected.quantity as billed_quantity,
        expected.unit_price,
        expected.billed_amount,
        {{ dbt.cast('expected.learners_billed', dbt.type_bigint()) }} as learners_billed,
        {{ dbt.cast('expected.learners_served', dbt.type_bigint()) }} as learners_served,
        expected.contract_id,
        expected.pricing_model,
        expected.expected_amount,
        cast(expected.billed_amount - expected.expected_amount as decimal(20, 6)) as variance,
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
        nullif(rtrim({{ dbt.concat([
            "case when expected.is_credit_note_unmatched then 'credit_note_unmatched;' else '' end",
            "case when expected.is_currency_mismatch then 'currency_mismatch;' else '' end",
            "case when expected.is_duplicate then 'duplicate_invoice;' else '' end",
            "case when expected.has_no_contract then 'no_contract;' else '' end",
            "case when expected.is_no_show_billed then 'no_show_billed;' else '' end",
            "case when expected.is_over_quantity then 'over_quantity;' else '' end",
            "case when expected.is_rate_mismatch then 'rate_mismatch;' else '' end",
            "case when expected.is_terminated_learner then 'terminated_learner;' else '' end",
            "case when expected.is_unknown_learner then 'unknown_learner;' else '' end"
        ]) }}, ';'), '') as flags,
        expected._load_id as load_id
    from expected
    left join documents as original
        on expected.duplicate_of_document_id = original.document_id
)

select * from final
