{#- Which roster periods fall in which requirement's scope, and since when (docs/semantics.md) — computed
    once, independent of the as-of date. A period is in a rule's scope when its status is active
    or leave and it matches every list of the rule (empty = any, case-insensitive).
    scope_entry_date is the start of the unbroken run of in-scope periods the period belongs to:
    a run breaks at a period out of scope, at a roster gap and at a rehire (a new employment); a
    run that begins with the employee's first period began at hire.
    first_due_date = max(hire_date, effective_from, scope_entry_date) + due_within_days. -#}
with

history as (
    select * from {{ ref('int_employee_history') }}
),

requirements as (
    select * from {{ ref('stg_reference__training_requirements') }}
),

period_sequence as (
    select
        *,
        lag(valid_to) over (partition by employee_id order by valid_from) as previous_valid_to
    from history
),

period_scope as (
    select
        period_sequence.employee_period_id,
        period_sequence.employee_id,
        period_sequence.valid_from,
        period_sequence.valid_to,
        period_sequence.previous_valid_to,
        period_sequence.is_first_period,
        period_sequence.is_rehire,
        period_sequence.hire_date,
        requirements.requirement_id,
        (
            period_sequence.status in ('active', 'leave')
            and {{ list_matches('requirements.applies_to_job_codes', 'period_sequence.job_code') }}
            and {{ list_matches('requirements.applies_to_departments', 'period_sequence.department') }}
            and {{ list_matches('requirements.applies_to_countries', 'period_sequence.country') }}
            and {{ list_matches('requirements.applies_to_regions', 'period_sequence.region') }}
        ) as is_in_scope
    from period_sequence
    cross join requirements
),

run_starts as (
    select
        *,
        case
            when not is_in_scope then false
            when is_first_period then true
            when previous_valid_to is null or previous_valid_to <> valid_from then true  -- roster gap
            when is_rehire then true
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

in_scope as (
    select
        *,
        case
            -- A run that starts with the employee's first period: first seen already in scope,
            -- so the employee entered the scope at hire.
            when scope_run_valid_from = first_valid_from then coalesce(hire_date, scope_run_valid_from)
            else scope_run_valid_from
        end as scope_entry_date
    from scope_runs
    where is_in_scope
),

final as (
    select
        in_scope.employee_period_id,
        in_scope.employee_id,
        {{ employee_key('in_scope.employee_id') }} as employee_key,
        in_scope.requirement_id,
        in_scope.valid_from,
        in_scope.valid_to,
        requirements.title as requirement_title,
        requirements.regime,
        requirements.due_within_days,
        requirements.recurrence_months,
        requirements.grace_days,
        requirements.effective_from as requirement_effective_from,
        requirements.effective_to as requirement_effective_to,
        history.status as employment_status,
        history.job_code,
        history.department,
        history.cost_center,
        history.country,
        history.region,
        history.manager_id,
        history.hire_date,
        history.is_rehire,
        in_scope.scope_entry_date,
        {{ add_days(
            'greatest(coalesce(history.hire_date, in_scope.scope_entry_date),'
            ~ ' coalesce(requirements.effective_from, in_scope.scope_entry_date), in_scope.scope_entry_date)',
            'coalesce(requirements.due_within_days, 0)'
        ) }} as first_due_date
    from in_scope
    inner join requirements
        on in_scope.requirement_id = requirements.requirement_id
    inner join history
        on in_scope.employee_period_id = history.employee_period_id
)

select * from final
