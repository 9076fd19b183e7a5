{#- Compliance per employee × applicable requirement × date of the compliance spine (docs/semantics.md).
    The one implementation of the status rules: fct_compliance_status is this model's slice at
    the run's as-of date.

    Incremental-friendly: each run computes exactly the dates of its spine (month-ends of the
    window + as_of) and, on a persistent target, replaces those dates (delete+insert on
    as_of_date) and keeps older ones as last computed. Spark has no delete+insert on Parquet: there
    the table is partitioned by as_of_date and a run overwrites its dates' partitions (the same).
    A full or incremental night builds the whole window (the table is dropped from the copied
    base build). A noop night (run parameter new_dates_only; dbt/macros/compliance.sql) keeps the
    copied table: a date's rows depend only on the date and on inputs that night leaves unchanged,
    so it computes only the spine dates the table does not hold yet and its pre-hook deletes the
    dates that left the spine. -#}
{{ config(
    materialized='incremental',
    incremental_strategy=('insert_overwrite' if target.type == 'spark' else 'delete+insert'),
    partition_by=(['as_of_date'] if target.type == 'spark' else none),
    unique_key='as_of_date',
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_dates_left_spine() }}"
) }}
-- depends_on: {{ ref('int_compliance_dates') }} (the noop night's macros read it while executing)
{% set new_dates = compliance_dates_to_build() %}

with

assignments as (
    select * from {{ ref('int_requirements_assigned_to_employees') }}
    {%- if new_dates is not none %}
    where {{ on_dates('as_of_date', new_dates) }}
    {%- endif %}
),

completions as (
    select * from {{ ref('int_completions_matched_to_requirements') }}
),

exemptions as (
    select * from {{ ref('int_exemptions_applied') }}
    {%- if new_dates is not none %}
    where {{ on_dates('as_of_date', new_dates) }}
    {%- endif %}
),

parameters as (
    select {{ var('due_soon_days') }} as due_soon_days
),

evaluated as (
    select
        assignments.*,
        parameters.due_soon_days,
        completions.evidence_record_id,
        completions.evidence_course_ref,
        completions.evidence_source_system,
        completions.evidence_source,
        completions.evidence_source_kind,
        completions.evidence_load_id,
        completions.evidence_source_file,
        completions.evidence_source_line,
        completions.evidence_resolution_method,
        completions.completed_at as last_completed_at,
        completions.completed_date as last_completed_date,
        case
            when completions.completed_date is not null and assignments.recurrence_months is not null
                then {{ add_months('completions.completed_date', 'assignments.recurrence_months') }}
        end as expires_on,
        exemptions.reason as exemption_reason,
        exemptions.approved_by as exemption_approved_by,
        exemptions.valid_from as exemption_valid_from,
        exemptions.valid_to as exemption_valid_to
    from assignments
    cross join parameters
    -- the latest qualifying completion on or before the date (a completion the day after does
    -- not count yet)
    left join completions
        on assignments.employee_id = completions.employee_id
        and assignments.requirement_id = completions.requirement_id
        and completions.completed_date <= assignments.as_of_date
        and assignments.as_of_date < coalesce(completions.superseded_on, {{ open_end_date() }})
    -- the exemption that applies on the date, if any (one per assignment and date)
    left join exemptions
        on assignments.as_of_date = exemptions.as_of_date
        and assignments.employee_id = exemptions.employee_id
        and assignments.requirement_id = exemptions.requirement_id
),

dated as (
    select
        *,
        -- With recurrence the next due date is the expiry of the latest completion; it never
        -- comes before the first due date (an old completion that expired before the employee
        -- entered the scope, or before a rehire, does not make them overdue on day one).
        case
            when expires_on is not null and expires_on > first_due_date then expires_on
            else first_due_date
        end as next_due_date,
        (
            last_completed_date is not null
            and (expires_on is null or expires_on > as_of_date)  -- expiring on D is expired
        ) as is_satisfied
    from evaluated
),

statused as (
    select
        *,
        case
            when exemption_reason is not null then 'exempt'
            when is_satisfied then 'compliant'
            when as_of_date > {{ add_days('next_due_date', 'grace_days') }} then 'overdue'
            when next_due_date <= {{ add_days('as_of_date', 'due_soon_days') }} then 'due_soon'
            else 'not_yet_due'
        end as status
    from dated
),

due as (
    -- The date by which the next action is needed: none for an exempt row or a completion that
    -- never expires; the expiry for a compliant row with recurrence; otherwise next_due_date.
    select
        *,
        case
            when status = 'exempt' then null
            when status = 'compliant' and expires_on is null then null
            else next_due_date
        end as due_date
    from statused
),

final as (
    select
        as_of_date,
        is_month_end,
        is_before_first_snapshot,
        employee_key,
        employee_id,
        requirement_id,
        requirement_title,
        regime,
        employment_status,
        job_code,
        department,
        cost_center,
        country,
        region,
        manager_id,
        status,
        scope_entry_date,
        first_due_date,
        due_date,
        case when due_date is not null then {{ add_days('due_date', 'grace_days') }} end as grace_until,
        {{ dbt.cast(
            "case when status = 'overdue' then " ~ days_between('due_date', 'as_of_date') ~ " end",
            dbt.type_bigint()) }} as days_overdue,
        last_completed_at,
        last_completed_date,
        expires_on,
        -- the evidence is the completion that satisfies the requirement on the date (none once
        -- expired): record → landing load → source file and line
        case when is_satisfied then evidence_record_id end as evidence_record_id,
        case when is_satisfied then evidence_course_ref end as evidence_course_ref,
        case when is_satisfied then evidence_source_system end as evidence_source_system,
        case when is_satisfied then evidence_source end as evidence_source,
        case when is_satisfied then evidence_source_kind end as evidence_source_kind,
        case when is_satisfied then evidence_load_id end as evidence_load_id,
        case when is_satisfied then evidence_source_file end as evidence_source_file,
        case when is_satisfied then evidence_source_line end as evidence_source_line,
        case when is_satisfied then evidence_resolution_method end as evidence_resolution_method,
        exemption_reason,
        exemption_approved_by,
        exemption_valid_from,
        exemption_valid_to
    from due
)

select * from final
