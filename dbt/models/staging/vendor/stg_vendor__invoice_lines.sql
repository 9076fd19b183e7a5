{{ config(
    materialized=staging_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['vendor_id', 'invoice_number', 'document_file', 'line_id'],
    on_schema_change='fail'
) }}

with

landed as (
    select * from {{ source('vendor', 'invoice_line') }} as landed
    where {{ not_quarantined('vendor.invoice_line', 'landed') }}
),

renamed as (
    select
        {{ clean_text('vendor_id') }} as vendor_id,
        {{ clean_text('invoice_number') }} as invoice_number,
        coalesce(_source_file, '') as document_file,
        {{ clean_text('line_id') }} as line_id,
        {{ clean_text('item_ref') }} as item_ref,
        {{ clean_text('description') }} as description,
        quantity,
        unit_price,
        line_amount,
        coalesce(learner_refs, {{ empty_text_list() }}) as learner_refs,
        period_start,
        period_end,
        _load_id,
        _row,
        _source,
        _source_file,
        _source_line
    from landed
),

{{ recomputed_keys('renamed', ['vendor_id', 'invoice_number', 'document_file', 'line_id'], incremental=is_incremental()) }}

deduplicated as (
    -- Same document identity as stg_vendor__invoices (vendor, number, file), plus the line id.
    select
        *,
        row_number() over (
            partition by vendor_id, invoice_number, document_file, line_id
            order by _load_id desc, _row desc
        ) as version_rank
    from recomputed
),

final as (
    select
        {{ dbt.hash(dbt.concat(["vendor_id", "'|'", "invoice_number", "'|'", "document_file"])) }} as document_id,
        {{ dbt.hash(dbt.concat(["vendor_id", "'|'", "invoice_number", "'|'", "document_file", "'|'", "line_id"])) }}
            as document_line_id,
        vendor_id,
        invoice_number,
        document_file,
        line_id,
        item_ref,
        description,
        quantity,
        unit_price,
        line_amount,
        learner_refs,
        {{ list_size('learner_refs') }} as learner_ref_count,
        period_start,
        period_end,
        _load_id,
        _row,
        _source,
        _source_file,
        _source_line
    from deduplicated
    where version_rank = 1
)

select * from final
