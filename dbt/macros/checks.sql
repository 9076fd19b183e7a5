{#- A threshold of a cross-system check (rpt_cross_system_checks) as a typed literal; a bound not
    given (none) is a typed null: no condition. -#}
{% macro threshold_bound(value, type) -%}
    {%- if value is none -%}cast(null as {{ type }}){%- else -%}cast({{ value }} as {{ type }}){%- endif -%}
{%- endmacro %}
