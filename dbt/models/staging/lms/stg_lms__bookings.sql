{{ config(
    materialized=staging_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['session_id', 'learner_ref'],
    on_schema_change='fail'
) }}

with

landed as (
    select * from {{ source('lms', 'booking') }} as landed
    where {{ not_quarantined('lms.booking', 'landed') }}
),

renamed as (
    select
        {{ clean_text('session_id') }} as session_id,
        {{ clean_text('learner_ref') }} as learner_ref,
        lower(trim(status)) as status,
        booked_at,
        updated_at,
        _load_id,
        _row,
        _source,
        _source_file,
        _source_line
    from landed
),

{{ recomputed_keys('renamed', ['session_id', 'learner_ref'], incremental=is_incremental()) }}

deduplicated as (
    -- One row per (session, learner): the most recently updated version wins, then the latest
    -- load (so a backfill that re-lands an older export does not roll a status back).
    select
        *,
        row_number() over (
            partition by session_id, learner_ref
            order by updated_at desc nulls last, _load_id desc, _row desc
        ) as version_rank
    from recomputed
),

final as (
    select
        session_id,
        learner_ref,
        status,
        booked_at,
        updated_at,
        _load_id,
        _row,
        _source,
        _source_file,
        _source_line
    from deduplicated
    where version_rank = 1
)

select * from final
