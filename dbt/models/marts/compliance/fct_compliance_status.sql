{#- Compliance per employee x applicable requirement as of D (DESIGN §5). -#}
with

assignments as (
    select * from {{ ref('int_requirements_assigned_to_employees') }}
),

completions as (
    select * from {{ ref('int_completions_matched_to_requirements') }}
),

exemptions as (
    select * from {{ ref('stg_reference__exemptions') }}
),

parameters as (
    select
        {{ as_of_date() }} as as_of_date,
        {{ var('due_soon_days') }} as due_soon_days
),

valid_exemptions as (
    -- Exemptions valid on D (bounds inclusive). A blank or `*` requirement_id exempts the employee
    -- from every requirement. One per assignment: the most recently granted.
    select
        assignments.employee_id,
        assignments.requirement_id,
        exemptions.reason,
        row_number() over (
            partition by assignments.employee_id, assignments.requirement_id
            order by exemptions.valid_from desc nulls last, exemptions.reason
        ) as exemption_rank
    from assignments
    inner join exemptions
        on assignments.employee_id = exemptions.employee_id
        and (
            exemptions.requirement_id = assignments.requirement_id
            or exemptions.requirement_id is null
            or exemptions.requirement_id = '*'
        )
    cross join parameters
    where (exemptions.valid_from is null or exemptions.valid_from <= parameters.as_of_date)
        and (exemptions.valid_to is null or exemptions.valid_to >= parameters.as_of_date)
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
        completions.last_completed_at,
        completions.last_completed_date,
        case
            when completions.last_completed_date is not null and assignments.recurrence_months is not null
                then {{ add_months('completions.last_completed_date', 'assignments.recurrence_months') }}
        end as expires_on,
        valid_exemptions.reason as exemption_reason
    from assignments
    cross join parameters
    left join completions
        on assignments.employee_id = completions.employee_id
        and assignments.requirement_id = completions.requirement_id
    left join valid_exemptions
        on assignments.employee_id = valid_exemptions.employee_id
        and assignments.requirement_id = valid_exemptions.requirement_id
        and valid_exemptions.exemption_rank = 1
),

dated as (
    select
        *,
        -- With recurrence the next due date is the expiry of the latest completion; it never
        -- comes before the first due date (an old completion that expired before the employee
        -- entered the scope does not make them overdue on day one).
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
        {{ employee_key('employee_id') }} as employee_key,
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
        status,
        scope_entry_date,
        first_due_date,
        due_date,
        case when due_date is not null then {{ add_days('due_date', 'grace_days') }} end as grace_until,
        case when status = 'overdue' then {{ days_between('due_date', 'as_of_date') }} end as days_overdue,
        last_completed_at,
        last_completed_date,
        expires_on,
        -- the evidence is the completion that satisfies the requirement on D (none once expired)
        case when is_satisfied then evidence_record_id end as evidence_record_id,
        case when is_satisfied then evidence_course_ref end as evidence_course_ref,
        case when is_satisfied then evidence_source_system end as evidence_source_system,
        case when is_satisfied then evidence_source end as evidence_source,
        case when is_satisfied then evidence_source_kind end as evidence_source_kind,
        case when is_satisfied then evidence_load_id end as evidence_load_id,
        exemption_reason
    from due
)

select * from final
