{#- One row per received invoice / credit note document, with its sign, duplicate detection and
    credit-note matching (docs/semantics.md):
    - a duplicate is a later copy of the same vendor + invoice number (another document), or of
      the same content (same document type, currency, period, total, preceding invoice and the
      same lines: item, quantity, unit price, amount, period and learners) under another number;
      documents without lines are compared by number only. "Later" orders by
      issue_date, then invoice_number, then load and file; the first copy is the original.
    - a credit note is matched when its preceding_invoice names an invoice of the same vendor. -#}
with

documents as (
    select * from {{ ref('stg_vendor__invoices') }}
),

lines as (
    select * from {{ ref('stg_vendor__invoice_lines') }}
),

{#- money as text at one fixed scale, so equal amounts sign equally on every engine -#}
{%- set money_type = 'decimal(20, 6)' %}
line_signatures as (
    select
        document_id,
        {{ dbt.concat([
            "coalesce(item_ref, '')", "'|'",
            "coalesce(" ~ dbt.cast(dbt.cast("quantity", money_type), dbt.type_string()) ~ ", '')", "'|'",
            "coalesce(" ~ dbt.cast(dbt.cast("unit_price", money_type), dbt.type_string()) ~ ", '')", "'|'",
            "coalesce(" ~ dbt.cast(dbt.cast("line_amount", money_type), dbt.type_string()) ~ ", '')", "'|'",
            "coalesce(" ~ dbt.cast("period_start", dbt.type_string()) ~ ", '')", "'|'",
            "coalesce(" ~ dbt.cast("period_end", dbt.type_string()) ~ ", '')", "'|'",
            sorted_list_text("learner_refs")
        ]) }} as line_signature
    from lines
),

content_signatures as (
    select
        document_id,
        {{ dbt.listagg('line_signature', "'#'", 'order by line_signature') }} as lines_signature
    from line_signatures
    group by document_id
),

signed as (
    select
        documents.*,
        case when documents.document_type = 'credit_note' then -1 else 1 end as amount_sign,
        {{ dbt.hash(dbt.concat([
            "coalesce(documents.document_type, '')", "'|'",
            "coalesce(documents.currency, '')", "'|'",
            "coalesce(" ~ dbt.cast("documents.period_start", dbt.type_string()) ~ ", '')", "'|'",
            "coalesce(" ~ dbt.cast("documents.period_end", dbt.type_string()) ~ ", '')", "'|'",
            "coalesce(" ~ dbt.cast(dbt.cast("documents.total_excl_tax", money_type), dbt.type_string()) ~ ", '')", "'|'",
            "coalesce(documents.preceding_invoice, '')", "'|'",
            "coalesce(content_signatures.lines_signature, '')"
        ])) }} as content_signature,
        (content_signatures.lines_signature is not null) as has_lines
    from documents
    left join content_signatures
        on documents.document_id = content_signatures.document_id
),

ranked as (
    select
        *,
        row_number() over (
            partition by vendor_id, invoice_number
            order by issue_date, _load_id, document_file
        ) as number_copy_rank,
        first_value(document_id) over (
            partition by vendor_id, invoice_number
            order by issue_date, _load_id, document_file
            rows between unbounded preceding and unbounded following
        ) as number_original_document_id,
        -- only documents with lines compare by content: a bare header proves little
        row_number() over (
            partition by vendor_id, has_lines, content_signature
            order by issue_date, invoice_number, _load_id, document_file
        ) as content_copy_rank,
        first_value(document_id) over (
            partition by vendor_id, has_lines, content_signature
            order by issue_date, invoice_number, _load_id, document_file
            rows between unbounded preceding and unbounded following
        ) as content_original_document_id
    from signed
),

preceding_invoices as (
    select distinct
        vendor_id,
        invoice_number
    from documents
    where document_type = 'invoice'
),

final as (
    select
        ranked.document_id,
        ranked.vendor_id,
        ranked.invoice_number,
        ranked.document_file,
        ranked.document_type,
        ranked.amount_sign,
        ranked.issue_date,
        ranked.due_date,
        ranked.currency,
        ranked.period_start,
        ranked.period_end,
        ranked.total_excl_tax,
        ranked.tax_total,
        ranked.total_incl_tax,
        ranked.preceding_invoice,
        ranked.content_signature,
        (ranked.number_copy_rank > 1 or (ranked.has_lines and ranked.content_copy_rank > 1)) as is_duplicate,
        case
            when ranked.number_copy_rank > 1 then ranked.number_original_document_id
            when ranked.has_lines and ranked.content_copy_rank > 1 then ranked.content_original_document_id
        end as duplicate_of_document_id,
        (ranked.document_type = 'credit_note' and preceding_invoices.invoice_number is null)
            as is_credit_note_unmatched,
        ranked._load_id,
        ranked._source,
        ranked._source_file
    from ranked
    left join preceding_invoices
        on ranked.vendor_id = preceding_invoices.vendor_id
        and ranked.preceding_invoice = preceding_invoices.invoice_number
)

select * from final
