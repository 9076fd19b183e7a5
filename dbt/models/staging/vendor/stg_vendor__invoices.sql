{{ config(
    materialized=staging_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['vendor_id', 'invoice_number', 'document_file'],
    on_schema_change='fail'
) }}

with

landed as (
    select * from {{ source('vendor', 'invoice') }} as landed
    where {{ not_quarantined('vendor.invoice', 'landed') }}
),

renamed as (
    select
        {{ clean_text('vendor_id') }} as vendor_id,
        {{ clean_text('invoice_number') }} as invoice_number,
        coalesce(_source_file, '') as document_file,
        lower(trim(document_type)) as document_type,
        issue_date,
        due_date,
        upper(trim(currency)) as currency,
        period_start,
        period_end,
        total_excl_tax,
        tax_total,
        total_incl_tax,
        {{ clean_text('purchase_order') }} as purchase_order,
        {{ clean_text('preceding_invoice') }} as preceding_invoice,
        {{ clean_text('seller_ids') }} as seller_ids,
        _load_id,
        _row,
        _source,
        _source_file,
        _source_line
    from landed
),

{{ recomputed_keys('renamed', ['vendor_id', 'invoice_number', 'document_file'], incremental=is_incremental()) }}

deduplicated as (
    -- One row per received document. A document is (vendor, number, file it came in): the same
    -- file landed again (a replay or overlapping backfill) collapses to one row, latest load
    -- wins; the same number arriving in another file is a second document and is kept, so the
    -- billing marts can flag it as a duplicate invoice.
    select
        *,
        row_number() over (
            partition by vendor_id, invoice_number, document_file
            order by _load_id desc, _row desc
        ) as version_rank
    from recomputed
),

final as (
    select
        {{ dbt.hash(dbt.concat(["vendor_id", "'|'", "invoice_number", "'|'", "document_file"])) }} as document_id,
        vendor_id,
        invoice_number,
        document_file,
        document_type,
        issue_date,
        due_date,
        currency,
        period_start,
        period_end,
        total_excl_tax,
        tax_total,
        total_incl_tax,
        purchase_order,
        preceding_invoice,
        seller_ids,
        _load_id,
        _row,
        _source,
        _source_file,
        _source_line
    from deduplicated
    where version_rank = 1
)

select * from final
