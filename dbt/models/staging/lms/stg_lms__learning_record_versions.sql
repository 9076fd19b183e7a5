{#- Every landed version of every learning record, ranked (stg_lms__learning_records keeps one per
    record_id; stg_lms__learning_record_conflicts lists the refused ones). A table, built
    incrementally on an incremental night: the record ids the new loads bring are ranked again from
    all their landed versions (delete+insert on record_id), as the first stored may be a late one.

    xAPI statements (source_system `xapi…`) are immutable: the first stored version of an id wins
    (earliest `stored`, then the earliest load and row), as the xAPI spec says; a later version
    with other content (a different content fingerprint: what the marts read, i.e. every mapped
    column but stored_at, source_system and the lineage) is a conflict and counts nowhere. The same
    content delivered again is the same record. An LMS's own records are updated in place: the
    latest load wins.

    Almost every record id lands once: such a version is kept and conflicts with nothing, so it is
    neither fingerprinted nor ranked (the ranking sorts, the fingerprint casts every column to
    text); only the ids with several landed versions are. A null record_id has no version here. -#}
{%- set record_columns = [
    'record_id', 'learner_ref', 'course_ref', 'activity_id', 'verb', 'occurred_at', 'occurred_date', 'stored_at',
    'success', 'completion', 'score_scaled', 'duration_seconds', 'registration', 'voids_record_id',
    'source_system', 'record_id_derived', 'occurred_at_from', '_load_id', '_row', '_source', '_source_file',
    '_source_line'] -%}

{{ config(
    materialized=staging_materialization(),
    incremental_strategy='delete+insert',
    unique_key='record_id',
    on_schema_change='fail'
) }}

with

landed as (
    select * from {{ source('lms', 'learning_record') }} as landed
    where {{ not_quarantined('lms.learning_record', 'landed') }}
    {%- if is_incremental() %}
        -- an incremental build reads only the versions of the ids the new loads bring (every load's:
        -- recomputed below picks them exactly), before cleaning their other columns
        and {{ clean_text('landed.record_id') }} in (
            select {{ clean_text('new_rows.record_id') }}
            from {{ source('lms', 'learning_record') }} as new_rows
            where {{ is_new_load('new_rows') }}
        )
    {%- endif %}
),

renamed as (
    select
        {{ clean_text('record_id') }} as record_id,
        {{ clean_text('learner_ref') }} as learner_ref,
        {{ clean_text('course_ref') }} as course_ref,
        {{ clean_text('activity_id') }} as activity_id,
        lower(trim(verb)) as verb,
        occurred_at,
        {{ to_business_date('occurred_at') }} as occurred_date,
        stored_at,
        success,
        completion,
        score_scaled,
        duration_seconds,
        {{ clean_text('registration') }} as registration,
        {{ clean_text('voids_record_id') }} as voids_record_id,
        {{ clean_text('source_system') }} as source_system,
        coalesce(record_id_derived, false) as record_id_derived,
        occurred_at_from,
        _load_id,
        _row,
        _source,
        _source_file,
        _source_line
    from landed
),

{{ recomputed_keys('renamed', ['record_id'], incremental=is_incremental()) }}

repeated_ids as (
    -- the ids landed more than once: the only ones whose versions compete
    select record_id
    from recomputed
    where record_id is not null
    group by record_id
    having count(*) > 1
),

single_versions as (
    -- an id's only version: first and latest, kept, no conflict
    select
        {%- for column in record_columns %}
        recomputed.{{ column }},
        {%- endfor %}
        coalesce(recomputed.source_system like 'xapi%', false) as is_xapi,
        {{ dbt.cast('1', dbt.type_bigint()) }} as first_rank,
        {{ dbt.cast('1', dbt.type_bigint()) }} as latest_rank,
        recomputed._source_file as first_source_file,
        recomputed._source_line as first_source_line,
        true as is_kept,
        false as is_id_conflict
    from recomputed
    where recomputed.record_id is not null
        and not exists (select 1 from repeated_ids where repeated_ids.record_id = recomputed.record_id)
),

fingerprinted as (
    select
        recomputed.*,
        coalesce(recomputed.source_system like 'xapi%', false) as is_xapi,
        md5(
            {%- for column in ['learner_ref', 'course_ref', 'activity_id', 'verb', 'occurred_at', 'success',
                               'completion', 'score_scaled', 'duration_seconds', 'registration', 'voids_record_id'] %}
            coalesce(cast(recomputed.{{ column }} as {{ dbt.type_string() }}), '~'){% if not loop.last %} || '|' ||{% endif %}
            {%- endfor %}
        ) as content_fingerprint
    from recomputed
    inner join repeated_ids
        on recomputed.record_id = repeated_ids.record_id
),

ranked as (
    select
        *,
        row_number() over (
            partition by record_id order by stored_at asc nulls last, _load_id asc, _row asc
        ) as first_rank,
        row_number() over (partition by record_id order by _load_id desc, _row desc) as latest_rank
    from fingerprinted
),

first_versions as (
    select
        record_id,
        content_fingerprint as first_fingerprint,
        _source_file as first_source_file,
        _source_line as first_source_line
    from ranked
    where first_rank = 1
),

repeated_versions as (
    select
        {%- for column in record_columns %}
        ranked.{{ column }},
        {%- endfor %}
        ranked.is_xapi,
        ranked.first_rank,
        ranked.latest_rank,
        first_versions.first_source_file,
        first_versions.first_source_line,
        case when ranked.is_xapi then ranked.first_rank = 1 else ranked.latest_rank = 1 end as is_kept,
        ranked.is_xapi and ranked.content_fingerprint <> first_versions.first_fingerprint as is_id_conflict
    from ranked
    inner join first_versions
        on ranked.record_id = first_versions.record_id
),

final as (
    select * from single_versions
    union all
    select * from repeated_versions
)

select * from final
