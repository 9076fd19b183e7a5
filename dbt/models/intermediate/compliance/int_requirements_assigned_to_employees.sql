{#- Who must complete which requirement as of D (var `as_of`), and from when the clock runs
    (DESIGN §5). A requirement applies when it is effective on D, the employee's roster state
    valid on D is active or leave, and that state matches every list of the rule (empty = any).
    scope_entry_date is the start of the employee's current unbroken run of roster periods in
    the rule's scope (in scope = matching the rule while active or on leave; a gap in the roster
    breaks the run); a run that starts with the employee's first period started at hire.
    first_due_date = max(hire_date, effective_from, scope_entry_date) + due_within_days. -#}
with

history as (
    select * from {{ ref('int_employee_history') }}
),

requirements as (
    select * from {{ ref('stg_reference__training_requirements') }}
),

parameters as (
    select {{ as_of_date() }} as as_of_date
),

effective_requirements as (
    select requirements.*
    from requirements
    cross join parameters
    where (requirements.effective_from is null or requirements.effective_from <= parameters.as_of_date)
        and (requirements.effective_to is null or requirements.effective_to >= parameters.as_of_date)
),

periods_to_date as (
    select
        history.*,
        parameters.as_of_date,
        lag(history.valid_to) over (partition by history.employee_id order by history.valid_from)
            as previous_valid_to
    from history
    cross join parameters
    where history.valid_from <= parameters.as_of_date
),

period_scope as (
    select
        periods_to_date.employee_id,
        periods_to_date.employee_period_id,
        periods_to_date.valid_from,
        periods_to_date.valid_to,
        periods_to_date.previous_valid_to,
        periods_to_date.is_first_period,
        periods_to_date.hire_date,
        periods_to_date.as_of_date,
        effective_requirements.requirement_id,
        (
            periods_to_date.status in ('active', 'leave')
            and {{ list_matches('effective_requirements.applies_to_job_codes', 'periods_to_date.job_code') }}
            and {{ list_matches('effective_requirements.applies_to_departments', 'periods_to_date.department') }}
            and {{ list_matches('effective_requirements.applies_to_countries', 'periods_to_date.country') }}
            and {{ list_matches('effective_requirements.applies_to_regions', 'periods_to_date.region') }}
        ) as is_in_scope
    from periods_to_date
    cross join effective_requirements
),

run_starts as (
    select
        *,
        case
            when not is_in_scope then false
            when is_first_period then true
            when previous_valid_to is null or previous_valid_to <> valid_from then true
            else not coalesce(
                lag(is_in_scope) over (partition by employee_id, requirement_id order by valid_from), false
            )
        end as starts_scope_run
    from period_scope
),

scope_runs as (
    select
        *,
        max(case when starts_scope_run then valid_from end) over (
            partition by employee_id, requirement_id
            order by valid_from
            rows between unbounded preceding and current row
        ) as scope_run_valid_from,
        min(valid_from) over (partition by employee_id, requirement_id) as first_valid_from
    from run_starts
),

current_in_scope as (
    select
        *,
        case
            -- A run that starts with the employee's first period: first seen already in scope,
            -- so the employee entered the scope at hire.
            when scope_run_valid_from = first_valid_from then coalesce(hire_date, scope_run_valid_from)
            else scope_run_valid_from
        end as scope_entry_date
    from scope_runs
),

assigned as (
    select
        current_in_scope.as_of_date,
        current_in_scope.employee_id,
        current_in_scope.requirement_id,
        current_in_scope.employee_period_id,
        current_in_scope.scope_entry_date
    from current_in_scope
    where current_in_scope.is_in_scope
        and current_in_scope.valid_from <= current_in_scope.as_of_date
        and (current_in_scope.valid_to is null or current_in_scope.valid_to > current_in_scope.as_of_date)
),

final as (
    select
        assigned.as_of_date,
        assigned.employee_id,
        assigned.requirement_id,
        effective_requirements.title as requirement_title,
        effective_requirements.regime,
        effective_requirements.due_within_days,
        effective_requirements.recurrence_months,
        effective_requirements.grace_days,
        effective_requirements.effective_from as requirement_effective_from,
        history.status as employment_status,
        history.job_code,
        history.department,
        history.cost_center,
        history.country,
        history.region,
        history.hire_date,
        assigned.scope_entry_date,
        {{ add_days(
            'greatest(coalesce(history.hire_date, assigned.scope_entry_date), coalesce(effective_requirements.effective_from, assigned.scope_entry_date), assigned.scope_entry_date)',
            'coalesce(effective_requirements.due_within_days, 0)'
        ) }} as first_due_date,
        assigned.employee_period_id
    from assigned
    inner join effective_requirements
        on assigned.requirement_id = effective_requirements.requirement_id
    inner join history
        on assigned.employee_period_id = history.employee_period_id
)

select * from final
