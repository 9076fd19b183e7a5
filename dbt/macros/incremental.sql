{#- Incremental staging (warehouse/incremental.py): an incremental night starts from a copy of the
    last audited build and only ADDS loads to what that build saw (a changed quarantine of an old
    load, a gone load, changed code or rules make a full night). So a staging model built
    incrementally processes the new loads only, and where it dedupes across loads it recomputes
    exactly the keys the new loads touch, from every landed row of those keys, and replaces them
    (delete+insert on the unique key): the same rows a full build keeps. -#}

{#- `incremental` on DuckDB, where a full night builds into a fresh file (is_incremental() is false)
    and an incremental night into a copy of the base; `table` on the warehouse targets, whose
    staging schemas persist between nights that are always full. -#}
{% macro staging_materialization() -%}
    {{ return('incremental' if target.type == 'duckdb' else 'table') }}
{%- endmacro %}

{#- True for a row of a load this incremental build processes: one of the night's new loads (run
    parameter `new_loads`, a JSON list trainops sets on an incremental night after checking that the
    night only adds loads). Without it the build stops: an incremental build by hand could not know
    whether code, quarantine or reference data changed since the table was built (build by hand
    with --full-refresh). -#}
{% macro is_new_load(relation_alias) -%}
    {%- set loads = run_param('new_loads') -%}
    {%- if loads is none -%}
        {{ exceptions.raise_compiler_error(
            this ~ " is built incrementally only by trainops, which passes the night's new loads (run parameter"
            ~ " new_loads); build by hand with --full-refresh") }}
    {%- else -%}
        {%- set loads = fromjson(loads) if loads is string else loads -%}
        {%- if loads | length == 0 -%}
            1 = 0
        {%- else -%}
            {{ relation_alias }}._load_id in (
                {%- for load in loads %}'{{ load | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor -%}
            )
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The rows of `relation_alias` whose key (`keys`, columns) is one of `touched`'s: null-safe, as
    the window functions of a full build group null keys together. -#}
{% macro has_touched_key(relation_alias, touched, keys) -%}
    exists (
        select 1
        from {{ touched }}
        where
            {%- for key in keys %}
            {{ touched }}.{{ key }} is not distinct from {{ relation_alias }}.{{ key }}{% if not loop.last %} and{% endif %}
            {%- endfor %}
    )
{%- endmacro %}

{#- The CTEs of a deduplicating staging model's build, after its cleaned CTE `relation` (with the
    key columns `keys`). An incremental build (`incremental`: the model's is_incremental(), passed
    in so that a unit test can set it): `touched_keys` (the keys of the new loads' rows) and
    `recomputed` (every landed row of those keys); a full build: `recomputed` is `relation` itself.
    Ends with a comma: the model's next CTE follows. -#}
{% macro recomputed_keys(relation, keys, incremental) -%}
{% if incremental -%}
touched_keys as (
    -- the keys the new loads bring (new keys, or new versions of known ones)
    select distinct {{ keys | join(', ') }}
    from {{ relation }}
    where {{ is_new_load(relation) }}
),

recomputed as (
    -- every landed version of those keys, old loads' too: the winner is the one a full build picks
    select *
    from {{ relation }}
    where {{ has_touched_key(relation, 'touched_keys', keys) }}
),
{%- else -%}
recomputed as (
    select * from {{ relation }}
),
{%- endif %}
{%- endmacro %}

{#- Pre-hook of a model keyed by record_id over stg_lms__learning_record_versions (built with the
    `append` strategy): on an incremental build, first delete every record id the new loads bring,
    then the model appends their recomputed rows. Not delete+insert, which deletes only the ids the
    output holds: a re-ranked id may have no row left (no conflict left, or no kept version when
    xAPI and LMS versions share an id), and its old row must go as in a full build. -#}
{% macro delete_touched_record_ids() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where record_id in (
            select versions.record_id
            from {{ ref('stg_lms__learning_record_versions') }} as versions
            where {{ is_new_load('versions') }}
        )
    {%- endif -%}
{%- endmacro %}
