{#- Compliance history helpers (models/intermediate/compliance). -#}

{#- The compliance history window as trainops passes it on every build (pipeline/compliance_window.py):
    run parameters compliance_history_start (ISO date) and compliance_history_grain (month or day),
    dbt/macros/run_params.sql. dbt only reads it; a build without it stops here rather than guess a
    window (docs and parse do not need it). -#}
{% macro compliance_history_window() -%}
    {%- set start = run_param('compliance_history_start', '') | string | trim | replace('None', '') -%}
    {%- set grain = run_param('compliance_history_grain', '') | string | trim | lower | replace('none', '') -%}
    {%- if grain and grain not in ('month', 'day') -%}
        {{ exceptions.raise_compiler_error(
            "var compliance_history_grain must be 'month' or 'day', not '" ~ grain ~ "'") }}
    {%- endif -%}
    {%- if execute and (not start or not grain) and flags.WHICH not in ('generate', 'parse', 'list', 'ls') -%}
        {{ exceptions.raise_compiler_error(
            "run parameters compliance_history_start and compliance_history_grain are not set: trainops passes "
            ~ "them on every build (TRAINOPS_PARAM_COMPLIANCE_HISTORY_START, ..._GRAIN); by hand, add "
            ~ "--vars '{compliance_history_start: YYYY-MM-DD, compliance_history_grain: month}'") }}
    {%- endif -%}
    {{ return({'start': start, 'grain': grain or 'month'}) }}
{%- endmacro %}

{#- How many candidate dates the compliance spine generates from the window's start to as_of (an upper
    bound; the model filters exactly). Known at compile time, so the spine is a plain
    dbt.generate_series on any engine. -#}
{% macro compliance_spine_length(window) -%}
    {%- if not window.start -%}
        {{ return(1) }}
    {%- endif -%}
    {%- set as_of_text = run_param('as_of', '') | string | trim -%}
    {%- if as_of_text and as_of_text != 'None' -%}
        {%- set as_of = modules.datetime.date.fromisoformat(as_of_text) -%}
    {%- else -%}
        {#- today in any timezone is at most tomorrow in UTC -#}
        {%- set as_of = modules.datetime.date.today() + modules.datetime.timedelta(days=1) -%}
    {%- endif -%}
    {%- set start = modules.datetime.date.fromisoformat(window.start) -%}
    {%- if window.grain == 'month' -%}
        {%- set length = (as_of.year * 12 + as_of.month) - (start.year * 12 + start.month) + 1 -%}
    {%- else -%}
        {%- set length = (as_of - start).days + 1 -%}
    {%- endif -%}
    {{ return([length, 1] | max) }}
{%- endmacro %}

{#- The status counts of a compliance rollup (inside a `group by`), one per compliance status (docs/semantics.md). -#}
{% macro compliance_status_counts() %}
        count(*) as applicable_count,
        count(case when status = 'exempt' then 1 end) as exempt_count,
        count(case when status = 'compliant' then 1 end) as compliant_count,
        count(case when status = 'overdue' then 1 end) as overdue_count,
        count(case when status = 'due_soon' then 1 end) as due_soon_count,
        count(case when status = 'not_yet_due' then 1 end) as not_yet_due_count
{% endmacro %}

{#- The counts as bigint, and compliance_rate = compliant ÷ (applicable − exempt), from the counts. -#}
{% macro compliance_counts_and_rate() %}
        {{ dbt.cast('applicable_count', dbt.type_bigint()) }} as applicable_count,
        {{ dbt.cast('exempt_count', dbt.type_bigint()) }} as exempt_count,
        {{ dbt.cast('compliant_count', dbt.type_bigint()) }} as compliant_count,
        {{ dbt.cast('overdue_count', dbt.type_bigint()) }} as overdue_count,
        {{ dbt.cast('due_soon_count', dbt.type_bigint()) }} as due_soon_count,
        {{ dbt.cast('not_yet_due_count', dbt.type_bigint()) }} as not_yet_due_count,
        case
            when applicable_count - exempt_count > 0
                then cast(round(cast(compliant_count as decimal(18, 6)) / (applicable_count - exempt_count), 4)
                    as decimal(9, 4))
        end as compliance_rate
{% endmacro %}
