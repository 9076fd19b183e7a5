{#- Models land in plain schemas (`staging`, `intermediate`, `marts`, `restricted`), not
    `<target schema>_<custom schema>`: the DuckDB publish step copies schema `marts` as it is.
    On a warehouse target the published schemas are built beside the live ones, as
    `marts<TRAINOPS_BUILD_SUFFIX>` (warehouse/postgres_target.py sets `_build`), and swapped in by publish. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif target.type != 'duckdb' and (custom_schema_name | trim) in ('marts', 'restricted') -%}
        {{ custom_schema_name | trim }}{{ env_var('TRAINOPS_BUILD_SUFFIX', '') }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
