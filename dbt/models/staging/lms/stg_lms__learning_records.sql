{#- Incremental on an incremental night (trainops sets run parameter `trainops_new_loads`, a JSON list
    read while parsing as config() needs it, dbt/macros/run_params.sql: the loads landed since
    the base build the night starts from, warehouse/incremental.py): only those loads are read, and a
    statement they carry again replaces the staged one (delete+insert on record_id; a new load's id
    sorts after every staged one, so "the latest load wins" holds as in a full build). Any other
    build (a full night, Postgres, Spark) is a plain table of every load. -#}
{%- set new_loads = run_param('trainops_new_loads', at_parse=true) -%}
{%- set new_loads = fromjson(new_loads) if new_loads is string else new_loads -%}
{{ config(
    materialized=('incremental' if new_loads is not none else 'table'),
    unique_key='record_id',
    incremental_strategy='delete+insert'
) }}

with

landed as (
    select * from {{ source('lms', 'learning_record') }} as landed
    where {{ not_quarantined('lms.learning_record', 'landed') }}
    {%- if is_incremental() %}
        and landed._load_id in ({% for load in new_loads %}'{{ load }}'{{ ", " if not loop.last }}{% else %}null{% endfor %})
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
        _load_id,
        _row,
        _source,
        _source_file,
        _source_line
    from landed
),

deduplicated as (
    -- Statements are immutable: one row per record_id, the latest load wins.
    select
        *,
        row_number() over (partition by record_id order by _load_id desc, _row desc) as version_rank
    from renamed
),

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
        _load_id,
        _row,
        _source,
        _source_file,
        _source_line
    from deduplicated
    where version_rank = 1
)

select * from final
