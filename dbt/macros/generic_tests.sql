{#- Generic data tests (no dbt packages: `dbt deps` cannot reach the hub). -#}

{#- The combination of columns is unique and none of them is null: a primary-key test. -#}
{% test unique_combination(model, combination_of_columns) %}
    {%- set columns_csv = combination_of_columns | join(', ') -%}
    with keyed as (
        select {{ columns_csv }}
        from {{ model }}
    ),

    null_keys as (
        select {{ columns_csv }}, 'null key' as problem
        from keyed
        where {% for column in combination_of_columns -%}
            {{ column }} is null{% if not loop.last %} or {% endif %}
        {%- endfor %}
    ),

    duplicate_keys as (
        select {{ columns_csv }}, 'duplicate key' as problem
        from keyed
        group by {{ columns_csv }}
        having count(*) > 1
    )

    select * from null_keys
    union all
    select * from duplicate_keys
{% endtest %}

{#- Every row satisfies a boolean SQL expression (optionally only rows matching `where`). -#}
{% test expression_is_true(model, expression) %}
    select *
    from {{ model }}
    where not ({{ expression }})
{% endtest %}

{#- A numeric column lies in [min_value, max_value] (nulls pass). -#}
{% test between(model, column_name, min_value, max_value) %}
    select *
    from {{ model }}
    where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}
