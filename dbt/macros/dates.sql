{#- Date helpers. Portable forms via dbt's cross-database macros; engine-specific ones dispatch. -#}

{#- The as-of date D: run parameter `as_of` (ISO date, dbt/macros/run_params.sql), or today in the
    business timezone. -#}
{% macro as_of_date() -%}
    {%- set as_of = run_param('as_of', '') -%}
    {%- if as_of is none or (as_of | string | trim) == '' -%}
        {{ to_business_date(dbt.current_timestamp()) }}
    {%- else -%}
        {{ dbt.cast(dbt.string_literal(as_of | string | trim), 'date') }}
    {%- endif -%}
{%- endmacro %}

{#- The calendar date of a UTC timestamp in the business timezone (var `business_timezone`). -#}
{% macro to_business_date(timestamp_expression) -%}
    {{ return(adapter.dispatch('to_business_date', 'trainops')(timestamp_expression)) }}
{%- endmacro %}

{% macro default__to_business_date(timestamp_expression) -%}
    cast(({{ timestamp_expression }}) at time zone '{{ var("business_timezone") }}' as date)
{%- endmacro %}

{% macro duckdb__to_business_date(timestamp_expression) -%}
    cast(timezone('{{ var("business_timezone") }}', {{ timestamp_expression }}) as date)
{%- endmacro %}

{#- date + n days / months, as a date (dbt.dateadd returns a timestamp on DuckDB and Postgres). -#}
{% macro add_days(date_expression, days) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}

{% macro add_months(date_expression, months) -%}
    cast({{ dbt.dateadd('month', months, date_expression) }} as date)
{%- endmacro %}

{#- Whole days from the first date to the second (second - first). -#}
{% macro days_between(first_date, second_date) -%}
    {{ dbt.datediff(first_date, second_date, 'day') }}
{%- endmacro %}

{#- Open-ended validity: a null upper bound means "still valid". -#}
{% macro open_end_date() -%}
    {{ dbt.cast(dbt.string_literal('9999-12-31'), 'date') }}
{%- endmacro %}
