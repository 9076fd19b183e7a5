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
    (select * from {{ source('reference', table) }}
        {%- if columns %}
        union all by name
        select
            {%- for column in columns %}
            cast(null as varchar) as {{ column }}{{ "," if not loop.last }}
            {%- endfor %}
        where false
        {%- endif -%}
    )
{%- endmacro %}
