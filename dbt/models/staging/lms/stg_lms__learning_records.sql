{#- One row per record_id: the version stg_lms__learning_record_versions keeps (xAPI: the first
    stored; an LMS's records: the latest load). -#}
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
        learner_ref,
        course_ref,
        activity_id,
        verb,
        occurred_at,
        occurred_date,
        stored_at,
        success,
        completion,
        score_scaled,
        duration_seconds,
        registration,
        voids_record_id,
        (verb = 'voided' or voids_record_id is not null) as is_voiding_statement,
        coalesce(source_system, _source) as source_system,
        record_id_derived,
        occurred_at_from,
        _load_id,
        _row,
        _source,
        _source_file,
        _source_line
    from recomputed
    where is_kept
)

select * from final
