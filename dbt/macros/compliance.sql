{#- Compliance history helpers (models/intermediate/compliance). -#}

{#- How many candidate dates the compliance spine generates (an upper bound; the model filters
    exactly). Known at compile time, so the spine is a plain dbt.generate_series on any engine. -#}
{% macro compliance_spine_length(grain) -%}
    {%- set as_of_text = var('as_of', '') | string | trim -%}
    {%- if as_of_text and as_of_text != 'None' -%}
        {%- set as_of = modules.datetime.date.fromisoformat(as_of_text) -%}
    {%- else -%}
        {#- today in any timezone is at most tomorrow in UTC -#}
        {%- set as_of = modules.datetime.date.today() + modules.datetime.timedelta(days=1) -%}
    {%- endif -%}
    {%- set start_text = var('compliance_history_start', '') | string | trim -%}
    {%- if start_text and start_text != 'None' -%}
        {%- set start = modules.datetime.date.fromisoformat(start_text) -%}
    {%- else -%}
        {%- set index = as_of.year * 12 + as_of.month - 1 - (var('compliance_history_months', 24) | int) -%}
        {%- set start = modules.datetime.date(index // 12, index % 12 + 1, 1) -%}
    {%- endif -%}
    {%- if grain == 'month' -%}
        {%- set length = (as_of.year * 12 + as_of.month) - (start.year * 12 + start.month) + 1 -%}
    {%- else -%}
        {%- set length = (as_of - start).days + 1 -%}
    {%- endif -%}
    {{ return([length, 1] | max) }}
{%- endmacro %}
