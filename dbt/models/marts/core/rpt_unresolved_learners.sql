{#- Learner references that resolve to no employee (docs/data-model.md: reported, never dropped), with
    where they were seen and how often. Restricted: a reference is usually an email address. -#}
with

learners as (
    select * from {{ ref('int_learners_resolved') }}
),

final as (
    select
        learner_ref,
        normalized_ref,
        learner_ref_kind,
        nullif({{ trim_trailing(dbt.concat([
            "case when learning_record_count > 0 then 'learning_records;' else '' end",
            "case when booking_count > 0 then 'bookings;' else '' end",
            "case when invoice_line_count > 0 then 'invoice_lines;' else '' end"
        ]), "';'") }}, '') as seen_in,
        learning_record_count,
        booking_count,
        invoice_line_count,
        learning_record_count + booking_count + invoice_line_count as total_count,
        first_seen_date,
        last_seen_date
    from learners
    where employee_id is null
)

select * from final
