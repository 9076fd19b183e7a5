{#- One row per learner billed on an invoice line, with what HR and the LMS know about them:
    - unknown to HR: the reference resolves to no employee;
    - terminated: the learner's service date (their first booked session of the line, else the
      line's service date) is after a termination — termination_date, else the first snapshot
      showing the employee terminated — with no (re)hire between that termination and the
      service date (a rehired employee is not terminated for services after the rehire);
    - their bookings on the line's sessions (attended / no-show / booked at all), for the
      no_show_billed flag and the dispute pack's evidence. -#}
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

staged_lines as (
    select * from {{ ref('stg_vendor__invoice_lines') }}
),

billed as (
    -- the refs a line bills, with the line's source (learners resolve per source)
    select distinct
        staged_lines.document_line_id,
        staged_lines._source,
        billed_refs.learner_ref
    from staged_lines
    cross join {{ unnest_list('staged_lines.learner_refs') }} as billed_refs (learner_ref)
),

terminations as (
    -- every termination the roster ever showed, effective on termination_date (the last day
    -- employed), else on the first snapshot that shows the employee terminated
    select distinct
        employee_id,
        coalesce(termination_date, case when status = 'terminated' then first_snapshot_date end)
            as termination_date
    from history
    where termination_date is not null
        or status = 'terminated'
),

hires as (
    -- (re)hires: every hire_date the roster gave, and the start of every active / on-leave period
    -- without a termination date (a rehire whose source kept the original hire_date)
    select distinct
        employee_id,
        hire_date
    from history
    where hire_date is not null

    union

    select distinct
        employee_id,
        valid_from as hire_date
    from history
    where status in ('active', 'leave')
        and termination_date is null
),

latest_roster as (
    select
        employee_id,
        status as roster_status,
        hire_date,
        row_number() over (partition by employee_id order by valid_from desc) as recency_rank
    from history
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

line_learners as (
    select
        billed.document_line_id,
        billed.learner_ref,
        learners.employee_id,
        coalesce(learners.learner_identity, {{ normalize_learner_ref('billed.learner_ref') }}) as learner_identity,
        coalesce(learners.resolution_method, 'unresolved') as resolution_method,
        coalesce(line_bookings.first_session_date, lines.service_date) as service_date,
        lines.bills_no_shows,
        lines.contract_id,
        line_bookings.has_attended,
        line_bookings.has_no_show,
        (line_bookings.learner_identity is not null) as has_booking
    from billed
    inner join lines
        on billed.document_line_id = lines.document_line_id
    left join learners
        on {{ learner_resolved_on('learners', 'billed._source', 'billed.learner_ref', 'lines.issue_date') }}
    left join line_bookings
        on billed.document_line_id = line_bookings.document_line_id
        and coalesce(learners.learner_identity, {{ normalize_learner_ref('billed.learner_ref') }})
            = line_bookings.learner_identity
),

last_termination as (
    select
        line_learners.document_line_id,
        line_learners.learner_ref,
        max(terminations.termination_date) as termination_date
    from line_learners
    inner join terminations
        on line_learners.employee_id = terminations.employee_id
        and terminations.termination_date < line_learners.service_date
    group by line_learners.document_line_id, line_learners.learner_ref
),

last_hire as (
    select
        line_learners.document_line_id,
        line_learners.learner_ref,
        max(hires.hire_date) as hire_date
    from line_learners
    inner join hires
        on line_learners.employee_id = hires.employee_id
        and hires.hire_date <= line_learners.service_date
    group by line_learners.document_line_id, line_learners.learner_ref
),

final as (
    select
        line_learners.document_line_id,
        line_learners.learner_ref,
        line_learners.employee_id,
        line_learners.learner_identity,
        line_learners.resolution_method,
        (line_learners.employee_id is null) as is_unknown_learner,
        latest_roster.roster_status,
        last_termination.termination_date as effective_termination_date,
        line_learners.service_date,
        coalesce(
            last_termination.termination_date is not null
            and (last_hire.hire_date is null or last_hire.hire_date <= last_termination.termination_date),
            false
        ) as is_terminated_learner,
        coalesce(line_learners.has_booking, false) as has_booking,
        coalesce(line_learners.has_attended = 1, false) as has_attended,
        coalesce(line_learners.has_no_show = 1 and line_learners.has_attended = 0, false) as is_no_show,
        (
            coalesce(line_learners.has_no_show = 1 and line_learners.has_attended = 0, false)
            and line_learners.contract_id is not null
            and not coalesce(line_learners.bills_no_shows, false)
        ) as is_no_show_billed
    from line_learners
    left join last_termination
        on line_learners.document_line_id = last_termination.document_line_id
        and line_learners.learner_ref = last_termination.learner_ref
    left join last_hire
        on line_learners.document_line_id = last_hire.document_line_id
        and line_learners.learner_ref = last_hire.learner_ref
    left join latest_roster
        on line_learners.employee_id = latest_roster.employee_id
        and latest_roster.recency_rank = 1
)

select * from final
