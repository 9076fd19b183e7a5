{#- Every landed row of every entity, with the natural key its staging model deduplicates on
    (keep the keys here in step with the staging models' `partition by`). Used only to reconcile
    loads: raw rows = staged + superseded + quarantined. Built incrementally on an incremental night:
    the new loads' rows appended. -#}
{{ config(materialized=staging_materialization(), incremental_strategy='append', on_schema_change='fail') }}
with

employees as (
    select * from {{ source('hris', 'employee') }} as employees
),

learning_records as (
    select * from {{ source('lms', 'learning_record') }} as learning_records
),

sessions as (
    select * from {{ source('lms', 'session') }} as sessions
),

bookings as (
    select * from {{ source('lms', 'booking') }} as bookings
),

invoices as (
    select * from {{ source('vendor', 'invoice') }} as invoices
),

invoice_lines as (
    select * from {{ source('vendor', 'invoice_line') }} as invoice_lines
),

unioned as (
    select
        'hris.employee' as entity, _load_id, _row, _source,
        {{ dbt.concat(["employee_id", "'|'", dbt.cast("snapshot_date", dbt.type_string())]) }} as natural_key
    from employees
    union all
    select 'lms.learning_record' as entity, _load_id, _row, _source, record_id as natural_key
    from learning_records
    union all
    select 'lms.session' as entity, _load_id, _row, _source, session_id as natural_key
    from sessions
    union all
    select
        'lms.booking' as entity, _load_id, _row, _source,
        {{ dbt.concat(["session_id", "'|'", "learner_ref"]) }} as natural_key
    from bookings
    union all
    select
        'vendor.invoice' as entity, _load_id, _row, _source,
        {{ dbt.concat(["vendor_id", "'|'", "invoice_number", "'|'", "coalesce(_source_file, '')"]) }} as natural_key
    from invoices
    union all
    select
        'vendor.invoice_line' as entity, _load_id, _row, _source,
        {{ dbt.concat(["vendor_id", "'|'", "invoice_number", "'|'", "coalesce(_source_file, '')", "'|'", "line_id"]) }}
            as natural_key
    from invoice_lines
),

final as (
    select
        entity,
        _load_id,
        _row,
        _source,
        natural_key
    from unioned
    {%- if is_incremental() %}
    where {{ is_new_load('unioned') }}
    {%- endif %}
)

select * from final
