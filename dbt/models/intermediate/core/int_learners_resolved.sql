{#- Every learner reference seen in learning records, bookings or invoice lines, resolved to an
    employee (docs/data-model.md): case-insensitive email (`mailto:` stripped), then exact employee_id,
    then an xAPI account's name (`account:<homePage>|<name>`) taken as employee_id, then as email.
    Unresolved references are kept with a null employee_id (reported, never dropped). -#}
with

learning_records as (
    select * from {{ ref('stg_lms__learning_records') }}
),

bookings as (
    select * from {{ ref('stg_lms__bookings') }}
),

invoice_lines as (
    select * from {{ ref('stg_vendor__invoice_lines') }}
),

invoices as (
    select * from {{ ref('stg_vendor__invoices') }}
),

employees as (
    select * from {{ ref('stg_hris__employees') }}
),

invoice_line_refs as (
    select
        invoices.issue_date as seen_date,
        billed.learner_ref
    from invoice_lines
    left join invoices
        on invoice_lines.document_id = invoices.document_id
    cross join {{ unnest_list('invoice_lines.learner_refs') }} as billed (learner_ref)
),

observations as (
    select learner_ref, 'learning_records' as seen_in, occurred_date as seen_date
    from learning_records
    where not is_voiding_statement
    union all
    select learner_ref, 'bookings' as seen_in, {{ to_business_date('coalesce(updated_at, booked_at)') }} as seen_date
    from bookings
    union all
    select learner_ref, 'invoice_lines' as seen_in, seen_date
    from invoice_line_refs
),

learner_refs as (
    select
        learner_ref,
        {{ normalize_learner_ref('learner_ref') }} as normalized_ref,
        {{ dbt.cast("sum(case when seen_in = 'learning_records' then 1 else 0 end)", dbt.type_bigint()) }} as learning_record_count,
        {{ dbt.cast("sum(case when seen_in = 'bookings' then 1 else 0 end)", dbt.type_bigint()) }} as booking_count,
        {{ dbt.cast("sum(case when seen_in = 'invoice_lines' then 1 else 0 end)", dbt.type_bigint()) }} as invoice_line_count,
        min(seen_date) as first_seen_date,
        max(seen_date) as last_seen_date
    from observations
    where learner_ref is not null
    group by learner_ref
),

email_owners as (
    -- An email that several employees held over time belongs to whoever held it most recently.
    select
        email_normalized,
        employee_id,
        row_number() over (
            partition by email_normalized
            order by max(snapshot_date) desc, employee_id
        ) as owner_rank
    from employees
    where email_normalized is not null
    group by email_normalized, employee_id
),

known_employee_ids as (
    select distinct employee_id
    from employees
),

parsed as (
    select
        learner_refs.*,
        case
            when normalized_ref like 'account:%' then trim({{ dbt.split_part('learner_ref', "'|'", 2) }})
        end as account_name
    from learner_refs
),

matched as (
    select
        parsed.*,
        by_email.employee_id as email_employee_id,
        by_id.employee_id as id_employee_id,
        by_account_id.employee_id as account_id_employee_id,
        by_account_email.employee_id as account_email_employee_id
    from parsed
    left join email_owners as by_email
        on parsed.normalized_ref = by_email.email_normalized
        and by_email.owner_rank = 1
    left join known_employee_ids as by_id
        on trim(parsed.learner_ref) = by_id.employee_id
    left join known_employee_ids as by_account_id
        on parsed.account_name = by_account_id.employee_id
    left join email_owners as by_account_email
        on lower(parsed.account_name) = by_account_email.email_normalized
        and by_account_email.owner_rank = 1
),

final as (
    select
        learner_ref,
        normalized_ref,
        coalesce(email_employee_id, id_employee_id, account_id_employee_id, account_email_employee_id) as employee_id,
        case
            when email_employee_id is not null then 'email'
            when id_employee_id is not null then 'employee_id'
            when account_id_employee_id is not null then 'account_employee_id'
            when account_email_employee_id is not null then 'account_email'
        end as resolution_method,
        case
            when normalized_ref like 'account:%' then 'account'
            when normalized_ref like '%@%' then 'email'
            else 'identifier'
        end as learner_ref_kind,
        -- The identity used to match the same learner across systems: the employee when known,
        -- otherwise the normalised reference.
        coalesce(email_employee_id, id_employee_id, account_id_employee_id, account_email_employee_id, normalized_ref)
            as learner_identity,
        learning_record_count,
        booking_count,
        invoice_line_count,
        first_seen_date,
        last_seen_date
    from matched
)

select * from final
