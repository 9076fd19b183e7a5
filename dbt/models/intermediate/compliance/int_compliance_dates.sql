{#- The dates compliance is evaluated on (docs/semantics.md history): every month-end of the history
    window before D plus D itself (var compliance_history_grain = 'month', the default), or every
    day from the window's start to D ('day'). The window starts at var compliance_history_start,
    or else on the first day of the month compliance_history_months before D's month. -#}
{%- set grain = var('compliance_history_grain', 'month') | string | trim | lower -%}
{%- if grain not in ('month', 'day') -%}
    {{ exceptions.raise_compiler_error(
        "var compliance_history_grain must be 'month' or 'day', not '" ~ grain ~ "'") }}
{%- endif -%}
{%- set series_length = compliance_spine_length(grain) -%}
{%- set history_start = var('compliance_history_start', '') | string | trim | replace('None', '') -%}

with

employees as (
    select * from {{ ref('stg_hris__employees') }}
),

parameters as (
    select
        as_of_date,
        {%- if history_start %}
        {{ dbt.cast(dbt.string_literal(history_start), 'date') }} as history_start_date
        {%- else %}
        {{ add_months(dbt.cast(dbt.date_trunc('month', 'as_of_date'), 'date'),
                      - (var('compliance_history_months', 24) | int)) }} as history_start_date
        {%- endif %}
    from (select {{ as_of_date() }} as as_of_date) as run
),

series as (
    {{ dbt.generate_series(series_length) }}
),

candidates as (
    select
        {%- if grain == 'month' %}
        {{ dbt.last_day(
            add_months(dbt.cast(dbt.date_trunc('month', 'parameters.history_start_date'), 'date'),
                       'series.generated_number - 1'),
            'month') }} as as_of_date
        {%- else %}
        {{ add_days('parameters.history_start_date', 'series.generated_number - 1') }} as as_of_date
        {%- endif %}
    from series
    cross join parameters
),

spine as (
    -- Dates of the window before D, and D itself (the nightly as-of date, month-end or not).
    select candidates.as_of_date
    from candidates
    cross join parameters
    where candidates.as_of_date >= parameters.history_start_date
        and candidates.as_of_date < parameters.as_of_date
    union
    select as_of_date
    from parameters
),

roster_coverage as (
    select min(snapshot_date) as first_snapshot_date
    from employees
),

final as (
    select
        spine.as_of_date,
        (spine.as_of_date = parameters.as_of_date) as is_run_as_of_date,
        (spine.as_of_date = {{ dbt.last_day('spine.as_of_date', 'month') }}) as is_month_end,
        coalesce(spine.as_of_date < roster_coverage.first_snapshot_date, true) as is_before_first_snapshot
    from spine
    cross join parameters
    cross join roster_coverage
)

select * from final
