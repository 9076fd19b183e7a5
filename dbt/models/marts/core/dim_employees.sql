{#- The current roster (restricted: personal data). One row per employee as of their latest
    snapshot, with the pseudonymous employee_key the broad-use marts carry. -#}
with

history as (
    select * from {{ ref('int_employee_history') }}
),

ranked as (
    select
        *,
        row_number() over (partition by employee_id order by valid_from desc) as recency_rank,
        min(first_snapshot_date) over (partition by employee_id) as first_seen_date
    from history
),

final as (
    select
        {{ employee_key('employee_id') }} as employee_key,
        employee_id,
        email,
        email_normalized,
        given_name,
        family_name,
        status,
        hire_date,
        termination_date,
        job_code,
        job_title,
        department,
        cost_center,
        country,
        region,
        manager_id,
        employment_type,
        is_current as is_on_latest_roster,
        first_seen_date,
        last_snapshot_date,
        valid_from as current_state_since
    from ranked
    where recency_rank = 1
)

select * from final
