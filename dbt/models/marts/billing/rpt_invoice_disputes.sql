{#- The dispute pack: for each vendor and month, every flagged invoice line and every over-billed
    retainer / hybrid period, with the evidence behind each flag (bookings and attendance, roster
    facts, contract terms) in a sentence a finance controller can send to the vendor.
    Restricted (schema `restricted`, never published to BI): it names learners as the vendor
    billed them (usually emails). See _billing__models.yml. -#}
with

lines as (
    select * from {{ ref('fct_invoice_line_reconciliation') }}
),

raw_lines as (
    select * from {{ ref('int_invoice_lines_contracted') }}
),

line_learners as (
    select * from {{ ref('int_invoice_line_learners_checked') }}
),

line_sessions as (
    select * from {{ ref('int_invoice_line_sessions_matched') }}
),

bookings as (
    select * from {{ ref('int_bookings_resolved') }}
),

documents as (
    select * from {{ ref('int_invoice_documents_classified') }}
),

periods as (
    select * from {{ ref('fct_vendor_period_billing') }}
),

vendors as (
    select * from {{ ref('int_vendors') }}
),

pricing_models as (
    select * from {{ ref('pricing_models') }}
),

flagged_lines as (
    select
        lines.*,
        raw_lines.description,
        raw_lines.per_learner_rate,
        raw_lines.retainer_fee,
        raw_lines.overage_rate,
        pricing_models.expectation_level as pricing_expectation_level,
        pricing_models.has_overage,
        documents.preceding_invoice
    from lines
    inner join raw_lines
        on lines.document_line_id = raw_lines.document_line_id
    left join pricing_models
        on lines.pricing_model = pricing_models.pricing_model
    left join documents
        on lines.document_id = documents.document_id
    where lines.flags is not null
),

flagged_line_sessions as (
    -- the sessions of the flagged lines only: the evidence below is read for those lines alone, and
    -- aggregating every billed line's bookings made this model the slowest of a noop night
    select line_sessions.*
    from line_sessions
    where line_sessions.document_line_id in (select flagged_lines.document_line_id from flagged_lines)
),

line_attendance as (
    select
        line_sessions.document_line_id,
        {{ dbt.listagg('distinct line_sessions.session_id', "', '", 'order by line_sessions.session_id') }} as session_ids,
        min(bookings.session_date) as first_session_date,
        count(case when bookings.status = 'attended' then 1 end) as attended,
        count(case when bookings.status = 'no_show' then 1 end) as no_show
    from flagged_line_sessions as line_sessions
    left join bookings
        on line_sessions.session_id = bookings.session_id
    group by line_sessions.document_line_id
),

learner_bookings as (
    select
        line_sessions.document_line_id,
        bookings.learner_identity,
        {{ dbt.listagg("bookings.session_id || ' ' || bookings.status", "', '", 'order by bookings.session_id') }}
            as booking_statuses
    from flagged_line_sessions as line_sessions
    inner join bookings
        on line_sessions.session_id = bookings.session_id
    group by line_sessions.document_line_id, bookings.learner_identity
),

{%- set money_text = "cast(cast({0} as decimal(18, 2)) as " ~ dbt.type_string() ~ ")" -%}
{%- set text = "cast({0} as " ~ dbt.type_string() ~ ")" -%}
{#- a quantity without trailing zeros: 3, 2.5 -#}
{%- set quantity_text = "case when {0} = round({0}, 0) then cast(cast({0} as bigint) as " ~ dbt.type_string()
    ~ ") else cast(cast({0} as decimal(18, 2)) as " ~ dbt.type_string() ~ ") end" %}

learner_items as (
    -- one row per billed learner behind a learner-level flag
    select
        flagged_lines.document_line_id,
        problems.flag,
        line_learners.learner_ref,
        line_learners.employee_id,
        line_learners.roster_status,
        line_learners.effective_termination_date as termination_date,
        learner_bookings.booking_statuses,
        case problems.flag
            when 'unknown_learner' then {{ dbt.concat([
                "'HR has no employee matching the billed learner; their booking on the billed session(s): '",
                "coalesce(learner_bookings.booking_statuses, 'none')"
            ]) }}
            when 'terminated_learner' then {{ dbt.concat([
                "'Employee '", "line_learners.employee_id", "' left on '",
                text.format('line_learners.effective_termination_date'),
                "'; billed for service on '", text.format('line_learners.service_date'),
                "'; booking: '", "coalesce(learner_bookings.booking_statuses, 'none')"
            ]) }}
            when 'no_show_billed' then {{ dbt.concat([
                "'Booked and marked no-show ('", "coalesce(learner_bookings.booking_statuses, 'none')",
                "'); contract '", "flagged_lines.contract_id", "' does not bill no-shows'"
            ]) }}
        end as evidence
    from flagged_lines
    inner join line_learners
        on flagged_lines.document_line_id = line_learners.document_line_id
    inner join (
        select 'unknown_learner' as flag
        union all select 'terminated_learner'
        union all select 'no_show_billed'
    ) as problems
        on (problems.flag = 'unknown_learner' and flagged_lines.is_unknown_learner and line_learners.is_unknown_learner)
        or (problems.flag = 'terminated_learner' and flagged_lines.is_terminated_learner and line_learners.is_terminated_learner)
        or (problems.flag = 'no_show_billed' and flagged_lines.is_no_show_billed and line_learners.is_no_show_billed)
    left join learner_bookings
        on line_learners.document_line_id = learner_bookings.document_line_id
        and line_learners.learner_identity = learner_bookings.learner_identity
),

line_items as (
    -- one row per line-level flag
    select
        flagged_lines.document_line_id,
        problems.flag,
        cast(null as {{ dbt.type_string() }}) as learner_ref,
        cast(null as {{ dbt.type_string() }}) as employee_id,
        cast(null as {{ dbt.type_string() }}) as roster_status,
        cast(null as date) as termination_date,
        cast(null as {{ dbt.type_string() }}) as booking_statuses,
        case problems.flag
            when 'over_quantity' then {{ dbt.concat([
                "'Billed quantity '", quantity_text.format('flagged_lines.billed_quantity'),
                "'; learners served and named on this line: '", text.format('flagged_lines.learners_served'),
                "' (session(s) '", "coalesce(line_attendance.session_ids, 'none found')",
                "': '", text.format('coalesce(line_attendance.attended, 0)'), "' attended, '",
                text.format('coalesce(line_attendance.no_show, 0)'), "' no-show)'"
            ]) }}
            when 'rate_mismatch' then {{ dbt.concat([
                "'Unit price '", money_text.format('flagged_lines.unit_price'), "' '", "flagged_lines.currency",
                "'; contract '", "flagged_lines.contract_id", "' '",
                "case when flagged_lines.pricing_expectation_level = 'line' then 'rate ' || "
                    ~ money_text.format('flagged_lines.per_learner_rate')
                    ~ " when flagged_lines.has_overage then 'fee ' || " ~ money_text.format('flagged_lines.retainer_fee')
                    ~ " || ', overage rate ' || " ~ money_text.format('flagged_lines.overage_rate')
                    ~ " else 'fee ' || " ~ money_text.format('flagged_lines.retainer_fee') ~ " end"
            ]) }}
            when 'duplicate_invoice' then {{ dbt.concat([
                "'A later copy of invoice '", "coalesce(flagged_lines.duplicate_of_invoice_number, '?')",
                "' (same number, or the same lines and amounts); nothing is due on it'"
            ]) }}
            when 'currency_mismatch' then {{ dbt.concat([
                "'Invoiced in '", "flagged_lines.currency", "'; contract '", "flagged_lines.contract_id",
                "' is in '", "flagged_lines.contract_currency"
            ]) }}
            when 'credit_note_unmatched' then {{ dbt.concat([
                "'Credit note refers to invoice '", "coalesce(flagged_lines.preceding_invoice, '(none)')",
                "', which was not received from this vendor'"
            ]) }}
            when 'no_contract' then {{ dbt.concat([
                "'No contract with this vendor is valid on the service date '",
                text.format('flagged_lines.service_date')
            ]) }}
        end as evidence
    from flagged_lines
    inner join (
        select 'over_quantity' as flag
        union all select 'rate_mismatch'
        union all select 'duplicate_invoice'
        union all select 'currency_mismatch'
        union all select 'credit_note_unmatched'
        union all select 'no_contract'
    ) as problems
        on (problems.flag = 'over_quantity' and flagged_lines.is_over_quantity)
        or (problems.flag = 'rate_mismatch' and flagged_lines.is_rate_mismatch)
        or (problems.flag = 'duplicate_invoice' and flagged_lines.is_duplicate_invoice)
        or (problems.flag = 'currency_mismatch' and flagged_lines.is_currency_mismatch)
        or (problems.flag = 'credit_note_unmatched' and flagged_lines.is_credit_note_unmatched)
        or (problems.flag = 'no_contract' and flagged_lines.has_no_contract)
    left join line_attendance
        on flagged_lines.document_line_id = line_attendance.document_line_id
),

line_evidence as (
    select * from learner_items
    union all
    select * from line_items
),

line_rows as (
    select
        {{ dbt.hash(dbt.concat([
            "line_evidence.document_line_id", "'|'", "line_evidence.flag", "'|'",
            "coalesce(line_evidence.learner_ref, '')"
        ])) }} as dispute_item_id,
        flagged_lines.vendor_id,
        cast({{ dbt.date_trunc('month', "coalesce(flagged_lines.billing_period_start, flagged_lines.service_date)") }} as date)
            as dispute_month,
        'invoice_line' as dispute_level,
        line_evidence.flag,
        flagged_lines.invoice_number,
        flagged_lines.document_type,
        flagged_lines.issue_date,
        flagged_lines.line_id,
        flagged_lines.item_ref,
        flagged_lines.description,
        flagged_lines.service_date,
        flagged_lines.contract_id,
        flagged_lines.currency,
        flagged_lines.billed_quantity,
        flagged_lines.unit_price,
        flagged_lines.billed_amount,
        flagged_lines.expected_amount,
        flagged_lines.variance,
        -- the line's variance, once per line (on its first evidence row), so sums are safe
        case
            when row_number() over (
                partition by flagged_lines.document_line_id
                order by line_evidence.flag, line_evidence.learner_ref
            ) = 1 then coalesce(flagged_lines.variance, 0)
            else {{ money(0) }}
        end as disputed_amount,
        line_evidence.learner_ref,
        line_evidence.employee_id,
        line_evidence.roster_status,
        line_evidence.termination_date,
        line_evidence.booking_statuses,
        line_evidence.evidence
    from line_evidence
    inner join flagged_lines
        on line_evidence.document_line_id = flagged_lines.document_line_id
),

period_rows as (
    select
        {{ dbt.hash(dbt.concat([
            "periods.contract_id", "'|'", text.format('periods.period_start'), "'|over_billed'"
        ])) }} as dispute_item_id,
        periods.vendor_id,
        cast({{ dbt.date_trunc('month', 'periods.period_start') }} as date) as dispute_month,
        'vendor_period' as dispute_level,
        'over_billed' as flag,
        cast(null as {{ dbt.type_string() }}) as invoice_number,
        cast(null as {{ dbt.type_string() }}) as document_type,
        cast(null as date) as issue_date,
        cast(null as {{ dbt.type_string() }}) as line_id,
        cast(null as {{ dbt.type_string() }}) as item_ref,
        cast(null as {{ dbt.type_string() }}) as description,
        periods.period_start as service_date,
        periods.contract_id,
        periods.currency,
        cast(null as decimal(20, 6)) as billed_quantity,
        cast(null as decimal(20, 6)) as unit_price,
        periods.billed_amount,
        periods.expected_amount,
        periods.variance,
        periods.variance as disputed_amount,
        cast(null as {{ dbt.type_string() }}) as learner_ref,
        cast(null as {{ dbt.type_string() }}) as employee_id,
        cast(null as {{ dbt.type_string() }}) as roster_status,
        cast(null as date) as termination_date,
        cast(null as {{ dbt.type_string() }}) as booking_statuses,
        {{ dbt.concat([
            "'Billed '", money_text.format('periods.billed_amount'), "' '", "periods.currency",
            "' for '", text.format('periods.period_start'), "' to '", text.format('periods.period_end'),
            "' over '", text.format('periods.invoice_lines'), "' line(s); contract '", "periods.contract_id",
            "' expects '", money_text.format('periods.expected_amount'),
            "case when pricing_models.has_overage then ' (fee ' || " ~ money_text.format('periods.retainer_fee')
                ~ " || ' + ' || " ~ text.format('periods.overage_learners') ~ " || ' overage learner(s) x '"
                ~ " || " ~ money_text.format('periods.overage_rate') ~ " || '; '"
                ~ " || " ~ text.format('periods.learners_served') ~ " || ' learners served, '"
                ~ " || " ~ text.format('coalesce(periods.included_learners, 0)') ~ " || ' included)'"
                ~ " else ' (the period fee)' end"
        ]) }} as evidence
    from periods
    left join pricing_models
        on periods.pricing_model = pricing_models.pricing_model
    where periods.is_over_billed
),

final as (
    select
        combined.dispute_item_id,
        combined.vendor_id,
        vendors.vendor_name,
        combined.dispute_month,
        combined.dispute_level,
        combined.flag,
        combined.invoice_number,
        combined.document_type,
        combined.issue_date,
        combined.line_id,
        combined.item_ref,
        combined.description,
        combined.service_date,
        combined.contract_id,
        combined.currency,
        combined.billed_quantity,
        combined.unit_price,
        combined.billed_amount,
        combined.expected_amount,
        combined.variance,
        combined.disputed_amount,
        combined.learner_ref,
        combined.employee_id,
        combined.roster_status,
        combined.termination_date,
        combined.booking_statuses,
        combined.evidence
    from (
        select * from line_rows
        union all
        select * from period_rows
    ) as combined
    left join vendors
        on combined.vendor_id = vendors.vendor_id
)

select * from final
