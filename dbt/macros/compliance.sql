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

{#- Noop nights (warehouse/incremental.py): nothing but the as-of date changed since the copied base
    build, which trainops says with the run parameter `new_dates_only` (never guessed: without it a
    model computes its whole spine). A model keyed by as_of_date with one row set per spine date,
    whose rows for a date depend only on that date and on inputs a noop night leaves unchanged, then
    computes just the spine dates it does not hold yet (compliance_dates_to_build) and deletes the
    dates that left the spine (delete_dates_left_spine, its pre-hook): yesterday's as-of date when
    it is no month-end, a month that left the window. Such a model declares
    `-- depends_on: {{ ref('int_compliance_dates') }}`, as the ref below is made only while executing. -#}
{% macro new_dates_only() -%}
    {#- the parameter first: is_incremental() needs the model's relation, which a dbt unit test lacks -#}
    {{ return((run_param('new_dates_only', '') | string | trim | lower) in ('true', '1') and is_incremental()) }}
{%- endmacro %}

{#- The ISO dates of the spine (int_compliance_dates) the model does not hold yet, sorted; none when
    the model computes its whole spine (not a noop night, a first build, a full refresh). -#}
{% macro compliance_dates_to_build() -%}
    {%- if not execute or not new_dates_only() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select cast(as_of_date as {{ dbt.type_string() }}) as as_of_date from {{ ref('int_compliance_dates') }}
        except
        select distinct cast(as_of_date as {{ dbt.type_string() }}) from {{ this }}
        order by as_of_date
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}

{#- A filter keeping the rows of `column` on one of `dates` (ISO strings); none kept when empty. -#}
{% macro on_dates(column, dates) -%}
    {%- if dates | length == 0 -%}
        1 = 0
    {%- else -%}
        {{ column }} in ({% for day in dates %}{{ dbt.cast(dbt.string_literal(day), 'date') | trim }}{% if not loop.last %}, {% endif %}{% endfor %})
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook: on a noop night, delete the dates that are no longer in the spine. -#}
{% macro delete_dates_left_spine() -%}
    {%- if new_dates_only() -%}
        delete from {{ this }}
        where as_of_date not in (select as_of_date from {{ ref('int_compliance_dates') }})
    {%- endif -%}
{%- endmacro %}
