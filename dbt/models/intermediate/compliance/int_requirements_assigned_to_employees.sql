{#- Who must complete which requirement on each date of the compliance spine (docs/semantics.md): the
    employee's roster period valid on the date is in the rule's scope (active or leave, matching
    the rule; int_employee_periods_scoped_to_requirements) and the requirement is effective on
    the date (effective_from ≤ date ≤ effective_to, null bounds open). Terminated staff and staff
    missing from the roster on the date have no period in scope, so drop out.
    A view: fct_compliance_history reads it once, and writing its millions of rows twice would
    double the cost of the history. -#}
{{ config(materialized='view') }}

with

dates as (
    select * from {{ ref('int_compliance_dates') }}
),

scoped_periods as (
    select * from {{ ref('int_employee_periods_scoped_to_requirements') }}
),

final as (
    select
        dates.as_of_date,
        dates.is_run_as_of_date,
        dates.is_month_end,
        dates.is_before_first_snapshot,
        scoped_periods.employee_id,
        scoped_periods.employee_key,
        scoped_periods.requirement_id,
        scoped_periods.requirement_title,
        scoped_periods.regime,
        scoped_periods.due_within_days,
        scoped_periods.recurrence_months,
        scoped_periods.grace_days,
        scoped_periods.requirement_effective_from,
        scoped_periods.employment_status,
        scoped_periods.job_code,
        scoped_periods.department,
        scoped_periods.cost_center,
        scoped_periods.country,
        scoped_periods.region,
        scoped_periods.manager_id,
        scoped_periods.hire_date,
        scoped_periods.scope_entry_date,
        scoped_periods.first_due_date,
        scoped_periods.employee_period_id
    from scoped_periods
    inner join dates
        on dates.as_of_date >= scoped_periods.valid_from
        and dates.as_of_date < coalesce(scoped_periods.valid_to, {{ open_end_date() }})
    where (scoped_periods.requirement_effective_from is null
            or scoped_periods.requirement_effective_from <= dates.as_of_date)
        and (scoped_periods.requirement_effective_to is null
            or scoped_periods.requirement_effective_to >= dates.as_of_date)
)

select * from final
