{#- Billing helpers (docs/semantics.md). -#}

{#- The contract price that seed pricing_models names (service_line_price / other_line_price):
    `relation`'s per_learner_rate, retainer_fee or overage_rate. -#}
{% macro contract_price(price_name, relation) -%}
    case {{ price_name }}
        when 'per_learner_rate' then {{ relation }}.per_learner_rate
        when 'retainer_fee' then {{ relation }}.retainer_fee
        when 'overage_rate' then {{ relation }}.overage_rate
    end
{%- endmacro %}

{#- numerator ÷ denominator as an exact decimal rounded half away from zero to `places`
    decimals; null when the denominator is 0 or null. DuckDB divides decimals in floating point,
    so there the quotient is taken on scaled integers (operands with at most 6 decimals: money
    and counts); other engines divide numerics exactly. -#}
{% macro exact_divide(numerator, denominator, places) -%}
    {{ return(adapter.dispatch('exact_divide', 'trainops')(numerator, denominator, places)) }}
{%- endmacro %}

{% macro default__exact_divide(numerator, denominator, places) -%}
    round(cast({{ numerator }} as numeric) / nullif({{ denominator }}, 0), {{ places }})
{%- endmacro %}

{% macro duckdb__exact_divide(numerator, denominator, places) -%}
    (case when (({{ numerator }}) < 0) <> (({{ denominator }}) < 0) then -1 else 1 end
        * cast(
            (
                (cast(abs({{ numerator }}) * 1000000 as hugeint) * {{ 10 ** places }} * 2)
                // nullif(cast(abs({{ denominator }}) * 1000000 as hugeint), 0)
                + 1
            ) // 2
            as decimal(38, 0)
        ){% if places > 0 %} * {{ '0.' ~ ('0' * (places - 1)) ~ '1' }}{% endif %})
{%- endmacro %}

{#- A fraction as decimal(9, 4) (0.8125 = 81.25 %), exact and rounded half-up; null when the
    denominator is 0 or null. -#}
{% macro safe_ratio(numerator, denominator) -%}
    cast({{ exact_divide(numerator, denominator, 4) }} as decimal(9, 4))
{%- endmacro %}

{#- Money: exact decimal(20, 6) (amounts keep the document's own precision; rounding is explicit). -#}
{% macro money(expression) -%}
    cast({{ expression }} as decimal(20, 6))
{%- endmacro %}

{#- The `;`-joined names of the flags that are set, in the given order; null when none is.
    flags: list of (boolean expression, name) pairs. -#}
{% macro flag_list(flags) -%}
    {%- set parts = [] -%}
    {%- for condition, name in flags -%}
        {%- do parts.append("case when " ~ condition ~ " then '" ~ name ~ ";' else '' end") -%}
    {%- endfor -%}
    nullif({{ trainops.trim_trailing(dbt.concat(parts), "';'") }}, '')
{%- endmacro %}
