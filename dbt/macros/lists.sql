{#- `;`-separated text lists (reference CSVs) as arrays; DuckDB lists, Postgres arrays. -#}

{% macro split_list(column) -%}
    {{ return(adapter.dispatch('split_list', 'trainops')(column)) }}
{%- endmacro %}

{% macro default__split_list(column) -%}
    array_remove(array(select trim(item) from unnest(string_to_array(coalesce({{ column }}, ''), ';')) as item), '')
{%- endmacro %}

{% macro duckdb__split_list(column) -%}
    list_filter(list_transform(string_split(coalesce({{ column }}, ''), ';'), item -> trim(item)), item -> item <> '')
{%- endmacro %}

{#- Number of elements of a list/array (0 for an empty or null one). -#}
{% macro list_size(column) -%}
    {{ return(adapter.dispatch('list_size', 'trainops')(column)) }}
{%- endmacro %}

{% macro default__list_size(column) -%}
    coalesce(cardinality({{ column }}), 0)
{%- endmacro %}

{% macro duckdb__list_size(column) -%}
    coalesce(len({{ column }}), 0)
{%- endmacro %}

{#- A rule's list column matches a value when the list is empty (= any) or contains it
    (case-insensitively). -#}
{% macro list_matches(list_column, value) -%}
    {{ return(adapter.dispatch('list_matches', 'trainops')(list_column, value)) }}
{%- endmacro %}

{% macro default__list_matches(list_column, value) -%}
    ({{ trainops.list_size(list_column) }} = 0
        or lower({{ value }}) = any(array(select lower(item) from unnest({{ list_column }}) as item)))
{%- endmacro %}

{% macro duckdb__list_matches(list_column, value) -%}
    ({{ trainops.list_size(list_column) }} = 0
        or list_contains(list_transform({{ list_column }}, item -> lower(item)), lower({{ value }})))
{%- endmacro %}

{#- One row per element: `from <relation> cross join <unnest_list(...)> as alias(column)`. -#}
{% macro unnest_list(column) -%}
    {{ return(adapter.dispatch('unnest_list', 'trainops')(column)) }}
{%- endmacro %}

{% macro default__unnest_list(column) -%}
    unnest({{ column }})
{%- endmacro %}

{#- A list as sorted, `;`-joined text (for content signatures). -#}
{% macro sorted_list_text(column) -%}
    {{ return(adapter.dispatch('sorted_list_text', 'trainops')(column)) }}
{%- endmacro %}

{% macro default__sorted_list_text(column) -%}
    coalesce(array_to_string(array(select item from unnest({{ column }}) as item order by item), ';'), '')
{%- endmacro %}

{% macro duckdb__sorted_list_text(column) -%}
    coalesce(array_to_string(list_sort({{ column }}), ';'), '')
{%- endmacro %}

{#- An empty list/array literal of text (to default a null list column). -#}
{% macro empty_text_list() -%}
    {{ return(adapter.dispatch('empty_text_list', 'trainops')()) }}
{%- endmacro %}

{% macro default__empty_text_list() -%}
    cast(array[] as text[])
{%- endmacro %}

{% macro duckdb__empty_text_list() -%}
    cast([] as varchar[])
{%- endmacro %}
