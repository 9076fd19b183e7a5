{#- Value parsing and identity helpers shared by staging models. -#}

{#- Empty or blank text -> null, otherwise trimmed. -#}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{#- The text with the given trailing characters removed (`rtrim(text, characters)`). -#}
{% macro trim_trailing(expression, characters) -%}
    {{ return(adapter.dispatch('trim_trailing', 'trainops')(expression, characters)) }}
{%- endmacro %}

{% macro default__trim_trailing(expression, characters) -%}
    rtrim({{ expression }}, {{ characters }})
{%- endmacro %}

{#- Text -> boolean with the spellings the parsers accept (connectors/parsing.py). -#}
{% macro parse_bool(column) -%}
    case
        when lower(trim({{ column }})) in ('true', 't', 'yes', 'y', '1') then true
        when lower(trim({{ column }})) in ('false', 'f', 'no', 'n', '0') then false
    end
{%- endmacro %}

{#- The pseudonymous employee key of the broad-use marts (md5 of a namespaced employee_id).
    Pseudonymous, not anonymous: whoever holds the restricted dim can re-identify. -#}
{% macro employee_key(employee_id_expression) -%}
    md5({{ dbt.concat([dbt.string_literal('trainops:employee:'), employee_id_expression]) }})
{%- endmacro %}

{#- A learner reference as the resolver compares it: trimmed, `mailto:` stripped, lowercased. -#}
{% macro normalize_learner_ref(column) -%}
    lower(trim(case
        when lower(trim({{ column }})) like 'mailto:%' then substring(trim({{ column }}), 8)
        else {{ column }}
    end))
{%- endmacro %}
