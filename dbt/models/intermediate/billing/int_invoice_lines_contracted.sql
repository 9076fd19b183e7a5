{#- Each invoice line with its document, what it bills (a session, a course, or something else),
    its service period and date, and the vendor contract valid on the service date.
    - item_ref naming a session_id: the session; its business date is the service date.
    - item_ref naming a course (catalogue or any session's course): the line's period, else the
      document's period, else the issue date; the service date is the period start.
    - otherwise (retainer fees, SKUs): as for a course, without sessions.
    When several contracts of the vendor are valid on the service date, the latest-starting wins. -#}
with

lines as (
    select * from {{ ref('stg_vendor__invoice_lines') }}
),

documents as (
    select * from {{ ref('int_invoice_documents_classified') }}
),

sessions as (
    select * from {{ ref('stg_lms__sessions') }}
),

courses as (
    select * from {{ ref('stg_reference__courses') }}
),

contracts as (
    select * from {{ ref('stg_reference__vendor_contracts') }}
),

known_courses as (
    select course_ref from courses
    union
    select course_ref from sessions where course_ref is not null
),

itemized as (
    select
        lines.document_line_id,
        lines.document_id,
        lines.vendor_id,
        lines.invoice_number,
        lines.document_file,
        lines.line_id,
        coalesce(documents.document_type, 'invoice') as document_type,
        coalesce(documents.amount_sign, 1) as amount_sign,
        documents.issue_date,
        documents.currency,
        lines.item_ref,
        lines.description,
        lines.quantity,
        lines.unit_price,
        lines.line_amount,
        lines.learner_refs,
        lines.learner_ref_count,
        case
            when sessions.session_id is not null then 'session'
            when known_courses.course_ref is not null then 'course'
            else 'other'
        end as item_kind,
        sessions.session_id,
        case
            when sessions.session_id is not null then sessions.session_date
            else coalesce(lines.period_start, documents.period_start, documents.issue_date)
        end as service_start,
        case
            when sessions.session_id is not null then sessions.session_date
            else coalesce(lines.period_end, documents.period_end, documents.issue_date)
        end as service_end,
        coalesce(documents.is_duplicate, false) as is_duplicate,
        documents.duplicate_of_document_id,
        coalesce(documents.is_credit_note_unmatched, false) as is_credit_note_unmatched,
        lines._load_id,
        lines._source_file
    from lines
    left join documents
        on lines.document_id = documents.document_id
    left join sessions
        on lines.item_ref = sessions.session_id
    left join known_courses
        on lines.item_ref = known_courses.course_ref
),

contract_candidates as (
    select
        itemized.document_line_id,
        contracts.contract_id,
        row_number() over (
            partition by itemized.document_line_id
            order by contracts.valid_from desc nulls last, contracts.contract_id desc
        ) as contract_rank
    from itemized
    inner join contracts
        on itemized.vendor_id = contracts.vendor_id
        and (contracts.valid_from is null or contracts.valid_from <= itemized.service_start)
        and (contracts.valid_to is null or contracts.valid_to >= itemized.service_start)
),

final as (
    select
        itemized.*,
        itemized.service_start as service_date,
        contracts.contract_id,
        contracts.pricing_model,
        contracts.currency as contract_currency,
        contracts.per_learner_rate,
        contracts.retainer_fee,
        contracts.retainer_period,
        contracts.included_learners,
        contracts.overage_rate,
        contracts.bills_no_shows
    from itemized
    left join contract_candidates
        on itemized.document_line_id = contract_candidates.document_line_id
        and contract_candidates.contract_rank = 1
    left join contracts
        on contract_candidates.contract_id = contracts.contract_id
)

select * from final
