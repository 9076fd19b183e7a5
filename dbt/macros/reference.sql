{#- Reference CSVs (sources `reference`): the columns each file may have are declared once, as the
    `columns` of its dbt source (warehouse/catalogue.py reads the same list for the Postgres and
    Spark loaders). -#}

{#- The declared columns of reference source `table`, in order (empty while dbt parses). -#}
{% macro reference_columns(table) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set node = graph.sources['source.' ~ project_name ~ '.reference.' ~ table] -%}
    {{ return(node.columns.keys() | list) }}
{%- endmacro %}

{#- The rows of a reference file with every declared column: a column the file omits reads as null.
    DuckDB reads the file as it is, so a zero-row skeleton of the declared columns is unioned by name;
    a warehouse's raw table already has them all (its loader adds the missing ones). -#}
{% macro reference_rows(table) -%}
    {{ return(adapter.dispatch('reference_rows', 'trainops')(table)) }}
{%- endmacro %}

{% macro default__reference_rows(table) -%}
    {{ source('reference', table) }}
{%- endmacro %}

{% macro duckdb__reference_rows(table) -%}
    {%- set columns = reference_columns(table) -%}
    {%- set relation = source('reference', table) -%}
    {%- set skeleton -%}
        select
            {%- for column in columns %}
            cast(null as varchar) as {{ column }}{{ "," if not loop.last }}
            {%- endfor %}
        where false
    {%- endset -%}
    {%- if columns and reference_is_optional(table) and not external_files_exist(relation) -%}
    ({{ skeleton }})
    {%- else -%}
    (select * from {{ relation }}
        {%- if columns %}
        union all by name
        {{ skeleton }}
        {%- endif -%}
    )
    {%- endif -%}
{%- endmacro %}

{#- A reference file a deployment may leave out (`optional: true` in its source's meta): absent, it
    reads as no rows (the warehouse loaders create an empty table instead). -#}
{% macro reference_is_optional(table) -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set node = graph.sources['source.' ~ project_name ~ '.reference.' ~ table] -%}
    {{ return(node.config.meta.get('optional', false) or node.meta.get('optional', false)) }}
{%- endmacro %}
