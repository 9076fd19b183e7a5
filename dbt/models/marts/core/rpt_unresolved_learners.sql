{#- Learner references that resolve to no employee (docs/data-model.md: reported, never dropped), per
    source: where they were seen and how often, and which employees they might be — an alias that
    names two employees (ambiguous alias: both), the same full name (HR's given + family name vs
    the name the record's payload carries: an xAPI actor's `name`, a CSV name column), the same
    e-mail local part. Restricted: a reference is usually an email address. Voiding statements and
    retracted records are not sightings (int_learning_records_standing). -#}
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
        min(learner_ref_kind) as learner_ref_kind,
        max(case when resolution_method = 'ambiguous_alias' then 1 else 0 end) as has_ambiguous_alias,
        sum(learning_record_count) as learning_record_count,
        sum(booking_count) as booking_count,
        sum(invoice_line_count) as invoice_line_count,
        min(first_seen_date) as first_seen_date,
        max(last_seen_date) as last_seen_date
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

candidate_reasons as (
    select
        source,
        learner_ref,
        employee_id,
        {{ dbt.listagg('reason', "', '", 'order by reason') }} as reasons
    from candidates
    group by source, learner_ref, employee_id
),

candidate_lists as (
    select
        source,
        learner_ref,
        count(*) as candidate_count,
        {{ dbt.listagg('employee_id', "';'", 'order by employee_id') }} as candidate_employee_ids,
        {{ dbt.listagg(dbt.concat(['employee_id', "' ('", 'reasons', "')'"]), "'; '", 'order by employee_id') }}
            as candidates
    from candidate_reasons
    group by source, learner_ref
),

final as (
    select
        unresolved.source,
        unresolved.learner_ref,
        unresolved.normalized_ref,
        unresolved.learner_ref_kind,
        case when unresolved.has_ambiguous_alias = 1 then 'ambiguous_alias' else 'unresolved' end
            as resolution_method,
        nullif({{ trim_trailing(dbt.concat([
            "case when unresolved.learning_record_count > 0 then 'learning_records;' else '' end",
            "case when unresolved.booking_count > 0 then 'bookings;' else '' end",
            "case when unresolved.invoice_line_count > 0 then 'invoice_lines;' else '' end"
        ]), "';'") }}, '') as seen_in,
        {{ dbt.cast('unresolved.learning_record_count', dbt.type_bigint()) }} as learning_record_count,
        {{ dbt.cast('unresolved.booking_count', dbt.type_bigint()) }} as booking_count,
        {{ dbt.cast('unresolved.invoice_line_count', dbt.type_bigint()) }} as invoice_line_count,
        {{ dbt.cast('unresolved.learning_record_count + unresolved.booking_count + unresolved.invoice_line_count',
                    dbt.type_bigint()) }} as total_count,
        unresolved.first_seen_date,
        unresolved.last_seen_date,
        {{ dbt.cast('coalesce(candidate_lists.candidate_count, 0)', dbt.type_bigint()) }} as candidate_count,
        candidate_lists.candidate_employee_ids,
        candidate_lists.candidates
    from unresolved
    left join candidate_lists
        on unresolved.source = candidate_lists.source
        and unresolved.learner_ref = candidate_lists.learner_ref
)

select * from final
