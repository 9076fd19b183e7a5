{#- The exemption that applies to each assignment on each date of the compliance spine (docs/semantics.md):
    an approved exemption of the employee valid on the date (bounds inclusive, null bounds open)
    for the requirement, or for every requirement (a blank or `*` requirement_id). When several
    apply, the most recently granted wins (latest valid_from, then reason). Assignments without
    an exemption have no row.
    A view, like int_requirements_assigned_to_employees: fct_compliance_history reads it once. -#}
{{ config(materialized='view') }}

with

assignments as (
    select * from {{ ref('int_requirements_assigned_to_employees') }}
),

exemptions as (
    select * from {{ ref('stg_reference__exemptions') }}
),

valid_exemptions as (
    select
        assignments.as_of_date,
        assignments.employee_id,
        assignments.requirement_id,
        exemptions.reason,
        exemptions.approved_by,
        exemptions.valid_from,
        exemptions.valid_to,
        row_number() over (
            partition by assignments.as_of_date, assignments.employee_id, assignments.requirement_id
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
    where (exemptions.valid_from is null or exemptions.valid_from <= assignments.as_of_date)
        and (exemptions.valid_to is null or exemptions.valid_to >= assignments.as_of_date)
),

final as (
    select
        as_of_date,
        employee_id,
        requirement_id,
        reason,
        approved_by,
        valid_from,
        valid_to
    from valid_exemptions
    where exemption_rank = 1
)

select * from final
