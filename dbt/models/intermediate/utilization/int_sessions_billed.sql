{#- What each session cost, as its vendor billed it (for cost per attendee). Only lines whose
    expectation lives on the line (seed pricing_models: per_learner contracts) are attributable to
    sessions (retainer and hybrid fees are per period; see rpt_vendor_spend_monthly for their cost
    per learner). Counted: invoice and credit-note lines (signed, so credits net), in the contract
    currency; not counted: later copies of duplicate documents and lines in another currency.
    A session line is the session's; a course line covering several sessions is split across
    them in proportion to the served learners it is expected for on each (evenly when it is
    expected for none). -#}
with

lines as (
    select * from {{ ref('int_invoice_lines_contracted') }}
),

line_sessions as (
    select * from {{ ref('int_invoice_line_sessions_matched') }}
),

served_learners as (
    select * from {{ ref('int_invoice_line_learners_served') }}
),

pricing_models as (
    select * from {{ ref('pricing_models') }}
),

attributable_lines as (
    select
        lines.document_line_id,
        lines.contract_currency as currency,
        lines.amount_sign * lines.line_amount as billed_amount
    from lines
    inner join pricing_models
        on lines.pricing_model = pricing_models.pricing_model
    where pricing_models.expectation_level = 'line'
        and not lines.is_duplicate
        and lines.currency = lines.contract_currency
),

session_weights as (
    select
        line_sessions.document_line_id,
        line_sessions.session_id,
        count(served_learners.learner_identity) as served_on_session
    from line_sessions
    left join served_learners
        on line_sessions.document_line_id = served_learners.document_line_id
        and line_sessions.session_id = served_learners.session_id
    group by line_sessions.document_line_id, line_sessions.session_id
),

line_weights as (
    select
        document_line_id,
        sum(served_on_session) as served_on_line,
        count(*) as sessions_on_line
    from session_weights
    group by document_line_id
),

attributed as (
    select
        session_weights.session_id,
        attributable_lines.currency,
        attributable_lines.document_line_id,
        case
            when line_weights.sessions_on_line = 1 then attributable_lines.billed_amount
            when line_weights.served_on_line > 0
                then {{ exact_divide('attributable_lines.billed_amount * session_weights.served_on_session', 'line_weights.served_on_line', 6) }}
            else {{ exact_divide('attributable_lines.billed_amount', 'line_weights.sessions_on_line', 6) }}
        end as billed_amount
    from attributable_lines
    inner join session_weights
        on attributable_lines.document_line_id = session_weights.document_line_id
    inner join line_weights
        on attributable_lines.document_line_id = line_weights.document_line_id
),

final as (
    select
        session_id,
        currency as billed_currency,
        {{ money('sum(billed_amount)') }} as billed_amount,
        count(distinct document_line_id) as billed_lines
    from attributed
    group by session_id, currency
)

select * from final
