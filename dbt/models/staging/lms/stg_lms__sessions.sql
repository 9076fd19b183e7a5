{{ config(
    materialized=staging_materialization(),
    incremental_strategy='delete+insert',
    unique_key='session_id',
    on_schema_change='fail'
) }}

with

landed as (
    select * from {{ source('lms', 'session') }} as landed
    where {{ not_quarantined('lms.session', 'landed') }}
),

renamed as (
    select
        {{ clean_text('session_id') }} as session_id,
        {{ clean_text('course_ref') }} as course_ref,
        {{ clean_text('vendor_id') }} as vendor_id,
        lower(trim(modality)) as modality,
        starts_at,
        ends_at,
        {{ to_business_date('starts_at') }} as session_date,
        capacity,
        {{ clean_text('location') }} as location,
        coalesce(lower(trim(status)), 'scheduled') as status,
        _load_id,
        _row,
        _source,
        _source_file,
        _source_line
    from landed
),

{{ recomputed_keys('renamed', ['session_id'], incremental=is_incremental()) }}

deduplicated as (
    -- One row per session: the latest load carries its latest status.
    select
        *,
        row_number() over (partition by session_id order by _load_id desc, _row desc) as version_rank
    from recomputed
),

final as (
    select
        session_id,
        course_ref,
        vendor_id,
        modality,
        starts_at,
        ends_at,
        session_date,
        cast({{ dbt.date_trunc('month', 'session_date') }} as date) as session_month,
        capacity,
        location,
        status,
        _load_id,
        _row,
        _source,
        _source_file,
        _source_line
    from deduplicated
    where version_rank = 1
)

select * from final
