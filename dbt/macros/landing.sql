{#- Landing-zone helpers (DuckDB reads the landed Parquet; see the sources YAML). -#}

{#- Keep a landed row unless validation quarantined it with severity error/critical.
    `_row` numbers rows per entity within a load, so the match is on (entity, _load_id, _row).
    Parse rejects (`_row` null) never match: they never became landed rows. -#}
{% macro not_quarantined(entity, relation_alias) -%}
    not exists (
        select 1
        from {{ ref('stg_quarantine__rows') }} as quarantined
        where quarantined.is_excluding
            and quarantined.entity = '{{ entity }}'
            and quarantined._load_id = {{ relation_alias }}._load_id
            and quarantined._row = {{ relation_alias }}._row
    )
{%- endmacro %}

{#- True when the glob of an external (read_json/read_parquet) source matches at least one file.
    Used where no zero-row schema file guarantees a match (load manifests). -#}
{% macro external_files_exist(relation) -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set rendered = relation.render() -%}
    {#- the literal as written, quotes inside it doubled ('O''Brien data'): pasted back as is -#}
    {%- set match = modules.re.search("'((?:[^']|'')+)'", rendered) -%}
    {%- if match is none -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set result = run_query("select count(*) from glob('" ~ match.group(1) ~ "')") -%}
    {{ return(result.columns[0].values()[0] > 0) }}
{%- endmacro %}

{#- One row per (load, entity) of the load manifests: `entities` is a DuckDB map read from the
    manifest JSON, a jsonb object in a warehouse's raw_landing.manifests. -#}
{% macro manifest_entity_counts(manifests) -%}
    {{ return(adapter.dispatch('manifest_entity_counts', 'trainops')(manifests)) }}
{%- endmacro %}

{% macro default__manifest_entity_counts(manifests) -%}
    select
        {{ manifests }}.load_id,
        {{ manifests }}.source,
        counts.key as entity,
        cast(counts.value as {{ dbt.type_bigint() }}) as manifest_rows
    from {{ manifests }}
    cross join lateral jsonb_each_text({{ manifests }}.entities) as counts
{%- endmacro %}

{% macro duckdb__manifest_entity_counts(manifests) -%}
    select
        {{ manifests }}.load_id,
        {{ manifests }}.source,
        unnest(map_keys({{ manifests }}.entities)) as entity,
        unnest(map_values({{ manifests }}.entities)) as manifest_rows
    from {{ manifests }}
{%- endmacro %}
