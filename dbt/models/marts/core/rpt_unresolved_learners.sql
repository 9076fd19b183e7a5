{#- Learner references that resolve to no employee (docs/data-model.md: reported, never dropped), per
    source: where they were seen and how often, and which employees they might be — an alias that
    names two employees (ambiguous alias: both), the same full name (HR's given + family name vs
    the name the record's payload carries: an xAPI actor's `name`, a CSV name column), the same
    e-mail local part (int_unresolved_learner_candidates). Restricted: a reference is usually an
    email address. Voiding statements and retracted records are not sightings
    (int_learning_records_standing). -#}
with

learners as (
    select * from {{ ref('int_learners_resolved') }}
),

candidate_reasons as (
    select * from {{ ref('int_unresolved_learner_candidates') }}
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
