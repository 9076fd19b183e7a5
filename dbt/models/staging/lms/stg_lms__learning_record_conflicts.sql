{#- xAPI statements that re-use a statement id with other content (stg_lms__learning_record_versions):
    refused, the first stored version kept; one row per refused version, with where it and the kept
    version came from. The test assert_no_xapi_statement_id_conflict warns about them in the run
    report. Ids and locations only. -#}
{{ config(
    materialized=staging_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_touched_record_ids() }}",
    on_schema_change='fail'
) }}

with

versions as (
    select * from {{ ref('stg_lms__learning_record_versions') }}
),

{#- the record ids the new loads bring (stg_lms__learning_record_versions ranked all their versions
    again): replaced whole, the pre-hook deleted them and their rows are appended -#}
{{ recomputed_keys('versions', ['record_id'], incremental=is_incremental()) }}

final as (
    select
        record_id,
        _source,
        _load_id,
        _source_file,
        _source_line,
        first_source_file as kept_source_file,
        first_source_line as kept_source_line
    from recomputed
    where is_id_conflict
)

select * from final
