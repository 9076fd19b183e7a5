{#- Every quarantined row and finding of every load. Built incrementally on an incremental night:
    appended with the new loads' findings only (an old load's findings never change on such a night:
    a reprocessed quarantine makes a full night). -#}
{{ config(materialized=staging_materialization(), incremental_strategy='append', on_schema_change='fail') }}

with

parse_rejects as (
    select * from {{ source('quarantine', 'parse_rejects') }} as parse_rejects
),

validation_rejects as (
    select * from {{ source('quarantine', 'validation_rejects') }} as validation_rejects
),

unioned as (
    select
        'parse' as quarantine_stage,
        _load_id,
        _row,
        _source,
        _source_file,
        _source_line,
        entity,
        rule,
        severity,
        column_name,
        value,
        message,
        record
    from parse_rejects

    union all

    select
        'validation' as quarantine_stage,
        _load_id,
        _row,
        _source,
        _source_file,
        _source_line,
        entity,
        rule,
        severity,
        column_name,
        value,
        message,
        record
    from validation_rejects
),

new_findings as (
    select *
    from unioned
    {%- if is_incremental() %}
    where {{ is_new_load('unioned') }}
    {%- endif %}
),

final as (
    -- A re-run validation may write the same finding twice: one row per distinct finding.
    select distinct
        {{ dbt.hash(dbt.concat([
            "quarantine_stage", "'|'", "coalesce(_load_id, '')", "'|'", "coalesce(" ~ dbt.cast("_row", dbt.type_string()) ~ ", '')",
            "'|'", "coalesce(entity, '')", "'|'", "coalesce(rule, '')", "'|'", "coalesce(column_name, '')",
            "'|'", "coalesce(_source_file, '')", "'|'", "coalesce(" ~ dbt.cast("_source_line", dbt.type_string()) ~ ", '')",
            "'|'", "coalesce(message, '')"
        ])) }} as quarantine_row_id,
        quarantine_stage,
        _load_id,
        _row,
        _source,
        _source_file,
        _source_line,
        entity,
        rule,
        lower(severity) as severity,
        column_name,
        value,
        message,
        record,
        -- error/critical validation findings exclude their landed row from staging, and so does a
        -- file's later version (replaced); warnings do not; parse rejects have no landed row to exclude.
        (_row is not null and lower(severity) in ('error', 'critical', 'replaced')) as is_excluding
    from new_findings
)

select * from final
