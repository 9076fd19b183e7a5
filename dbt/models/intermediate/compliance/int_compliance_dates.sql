{#- The dates compliance is evaluated on (docs/semantics.md history): every month-end of the history
    window before D plus D itself (var compliance_history_grain = 'month'), or every day from the
    window's start to D ('day'). The window starts at var compliance_history_start; trainops sets
    both vars on every build (pipeline/compliance_window.py owns the window). -#}
{%- set window = compliance_history_window() -%}
{%- set grain = window.grain -%}
{%- set series_length = compliance_spine_length(window) -%}

with

employees as (
    select * from {{ ref('stg_hris__employees') }}
),

parameters as (
    select
        as_of_date,
        {{ dbt.cast(dbt.string_literal(window.start), 'date') }} as history_start_date
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
