{#- One row per learner billed on an invoice line, with what HR and the LMS know about them:
    unknown to HR (reference resolves to no employee), terminated before the service (service date
    after the effective termination date: termination_date, else the first snapshot that shows
    the employee terminated, from the employee's latest roster period), and their bookings on the
    line's sessions (attended / no-show). -#}
with

lines as (
    select * from {{ ref('int_invoice_lines_contracted') }}
),

line_sessions as (
    select * from {{ ref('int_invoice_line_sessions_matched') }}
),

bookings as (
    select * from {{ ref('int_bookings_resolved') }}
),

learners as (
    select * from {{ ref('int_learners_resolved') }}
),

history as (
    select * from {{ ref('int_employee_history') }}
),

billed as (
    select distinct
        lines.document_line_id,
        billed_refs.learner_ref
    from lines
    cross join {{ unnest_list('lines.learner_refs') }} as billed_refs (learner_ref)
),

latest_periods as (
    select
        employee_id,
        status,
        termination_date,
        first_snapshot_date,
        row_number() over (partition by employee_id order by valid_from desc) as recency_rank
    from history
),

terminations as (
    select
        employee_id,
        case
            when termination_date is not null then termination_date
            when status = 'terminated' then first_snapshot_date
        end as effective_termination_date
    from latest_periods
    where recency_rank = 1
),

line_bookings as (
    select
        line_sessions.document_line_id,
        bookings.learner_identity,
        max(case when bookings.status = 'attended' then 1 else 0 end) as has_attended,
        max(case when bookings.status = 'no_show' then 1 else 0 end) as has_no_show,
        min(bookings.session_date) as first_session_date
    from line_sessions
    inner join bookings
        on line_sessions.session_id = bookings.session_id
    group by line_sessions.document_line_id, bookings.learner_identity
),

final as (
    select
        billed.document_line_id,
        billed.learner_ref,
        learners.employee_id,
        coalesce(learners.learner_identity, {{ normalize_learner_ref('billed.learner_ref') }}) as learner_identity,
        (learners.employee_id is null) as is_unknown_learner,
        terminations.effective_termination_date,
        coalesce(line_bookings.first_session_date, lines.service_date) as service_date,
        coalesce(
            terminations.effective_termination_date < coalesce(line_bookings.first_session_date, lines.service_date),
            false
        ) as is_terminated_learner,
        coalesce(line_bookings.has_attended = 1, false) as has_attended,
        coalesce(line_bookings.has_no_show = 1 and line_bookings.has_attended = 0, false) as is_no_show,
        (
            coalesce(line_bookings.has_no_show = 1 and line_bookings.has_attended = 0, false)
            and lines.contract_id is not null
            and not coalesce(lines.bills_no_shows, false)
        ) as is_no_show_billed
    from billed
    inner join lines
        on billed.document_line_id = lines.document_line_id
    left join learners
        on billed.learner_ref = learners.learner_ref
    left join terminations
        on learners.employee_id = terminations.employee_id
    left join line_bookings
        on billed.document_line_id = line_bookings.document_line_id
        and coalesce(learners.learner_identity, {{ normalize_learner_ref('billed.learner_ref') }})
            = line_bookings.learner_identity
)

select * from final
