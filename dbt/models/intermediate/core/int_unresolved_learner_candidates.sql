{#- The employees an unresolved learner reference might be (rpt_unresolved_learners), and why: both
    employees an ambiguous alias names; an employee whose full name (HR's given + family name) is
    the name the reference's payloads carry (an xAPI actor's `name`, a CSV name column); an
    employee whose e-mail local part is the reference's (the part before `@` of the address,
    account name or user id it names). A reference is unresolved when it resolves to no employee
    on some day it was seen (int_learners_resolved); only those references' payloads are parsed. -#}
with

learners as (
    select * from {{ ref('int_learners_resolved') }}
),

employees as (
    select * from {{ ref('stg_hris__employees') }}
),

payloads as (
    select * from {{ ref('stg_lms__learner_payloads') }}
),

unresolved as (
    select
        source,
        learner_ref,
        min(normalized_ref) as normalized_ref,
        min(learner_ref_kind) as learner_ref_kind
    from learners
    where employee_id is null
        and learning_record_count + booking_count + invoice_line_count > 0
    group by source, learner_ref
),

ambiguous_candidates as (
    select distinct
        learners.source,
        learners.learner_ref,
        named.employee_id,
        'ambiguous alias' as reason
    from learners
    cross join {{ unnest_list(split_list('learners.ambiguous_alias_employee_ids')) }} as named (employee_id)
    where learners.resolution_method = 'ambiguous_alias'
        and learners.learning_record_count + learners.booking_count + learners.invoice_line_count > 0
),

unresolved_payloads as (
    -- only the unresolved references' payloads are parsed
    select distinct
        unresolved.source,
        unresolved.learner_ref,
        payloads.raw
    from unresolved
    inner join payloads
        on unresolved.source = payloads._source
        and unresolved.learner_ref = payloads.learner_ref
),

unresolved_names as (
    select distinct
        source,
        learner_ref,
        lower({{ learner_name_from_raw('raw') }}) as learner_name
    from unresolved_payloads
),

roster_names as (
    select distinct
        employee_id,
        lower({{ dbt.concat(['given_name', "' '", 'family_name']) }}) as full_name
    from employees
    where given_name is not null
        and family_name is not null
),

name_candidates as (
    select distinct
        unresolved_names.source,
        unresolved_names.learner_ref,
        roster_names.employee_id,
        'same full name' as reason
    from unresolved_names
    inner join roster_names
        on unresolved_names.learner_name = roster_names.full_name
),

ref_local_parts as (
    -- the part before `@` of what the reference names (an address, an account name, a user id)
    select
        source,
        learner_ref,
        {{ dbt.split_part(
            "case learner_ref_kind
                when 'account' then " ~ dbt.split_part('normalized_ref', "'|'", 2) ~ "
                when 'user' then substring(normalized_ref, 6)
                when 'mbox_sha1sum' then null
                else normalized_ref
            end", "'@'", 1) }} as local_part
    from unresolved
),

roster_local_parts as (
    select distinct
        employee_id,
        {{ dbt.split_part('email_normalized', "'@'", 1) }} as local_part
    from employees
    where email_normalized like '%@%'
),

local_part_candidates as (
    select distinct
        ref_local_parts.source,
        ref_local_parts.learner_ref,
        roster_local_parts.employee_id,
        'same e-mail local part' as reason
    from ref_local_parts
    inner join roster_local_parts
        on ref_local_parts.local_part = roster_local_parts.local_part
    where ref_local_parts.local_part <> ''
),

candidates as (
    select * from ambiguous_candidates
    union
    select * from name_candidates
    union
    select * from local_part_candidates
),

final as (
    select
        source,
        learner_ref,
        employee_id,
        {{ dbt.listagg('reason', "', '", 'order by reason') }} as reasons
    from candidates
    group by source, learner_ref, employee_id
)

select * from final
