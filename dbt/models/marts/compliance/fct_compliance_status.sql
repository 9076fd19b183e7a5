{#- Compliance per employee × applicable requirement as of D (docs/semantics.md): the slice of
    fct_compliance_history at the run's as-of date, so the status and its history come from one
    implementation of the rules and a backdated run gives what the history says for that day. -#}
with

history as (
    select * from {{ ref('fct_compliance_history') }}
),

final as (
    select
        as_of_date,
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
        grace_until,
        days_overdue,
        last_completed_at,
        last_completed_date,
        expires_on,
        evidence_record_id,
        evidence_course_ref,
        evidence_source_system,
        evidence_source,
        evidence_source_kind,
        evidence_load_id,
        evidence_source_file,
        evidence_source_line,
        evidence_resolution_method,
        exemption_reason,
        exemption_approved_by,
        exemption_valid_from,
        exemption_valid_to
    from history
    where as_of_date = {{ as_of_date() }}
)

select * from final
