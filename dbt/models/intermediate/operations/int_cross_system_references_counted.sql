{#- The rows each cross-system check looks at, and how many of them point at something the other
    system does not know (rpt_cross_system_checks adds the thresholds and the status): learning
    records (the standing ones, never a voiding statement) whose learner resolves to no HR
    employee (an ambiguous alias names employees: not counted); bookings for a session the LMS
    does not list; invoice lines billing learners whose item is neither a session nor a catalogue
    course (fee lines are not checked); employees of each HR source's latest roster whose manager
    that roster does not list. Counts only: no personal data. -#}
with

learning_records as (
    -- standing records only: a voiding statement is no learning record (its actor is often an
    -- LMS administrator HR does not list), and a retracted record no longer counts
    select * from {{ ref('int_learning_records_standing') }}
),

learners as (
    select * from {{ ref('int_learners_resolved') }}
),

bookings as (
    select * from {{ ref('stg_lms__bookings') }}
),

sessions as (
    select * from {{ ref('stg_lms__sessions') }}
),

invoice_lines as (
    select * from {{ ref('stg_vendor__invoice_lines') }}
),

courses as (
    select * from {{ ref('stg_reference__courses') }}
),

employees as (
    select * from {{ ref('stg_hris__employees') }}
),

learner_check as (
    select
        'learning_record_learner_unknown_to_hr' as check_name,
        'lms.learning_record' as entity,
        count(*) as checked_rows,
        -- an ambiguous alias names HR employees (which one is for a steward: a build warning)
        coalesce(sum(case
            when learners.employee_id is null and coalesce(learners.resolution_method, '') <> 'ambiguous_alias' then 1
            else 0
        end), 0) as failing_rows
    from learning_records
    left join learners
        on {{ learner_resolved_on('learners', 'learning_records._source', 'learning_records.learner_ref',
                                  'learning_records.occurred_date') }}
),

booking_check as (
    select
        'booking_for_unknown_session' as check_name,
        'lms.booking' as entity,
        count(*) as checked_rows,
        count(*) - count(sessions.session_id) as failing_rows
    from bookings
    left join sessions
        on bookings.session_id = sessions.session_id
),

invoice_line_check as (
    -- only lines that bill learners must name a session or course; fee lines need not
    select
        'invoice_line_for_unknown_session_or_course' as check_name,
        'vendor.invoice_line' as entity,
        count(*) as checked_rows,
        sum(case when sessions.session_id is null and courses.course_ref is null then 1 else 0 end) as failing_rows
    from invoice_lines
    left join sessions
        on invoice_lines.item_ref = sessions.session_id
    left join courses
        on invoice_lines.item_ref = courses.course_ref
    where invoice_lines.learner_ref_count > 0
),

-- each HR source's latest snapshot: a daily API roster beside a monthly file drop must not make
-- the file's employees (and the managers only it knows) look missing
latest_snapshot as (
    select _source, max(snapshot_date) as snapshot_date from employees group by _source
),

current_roster as (
    select employees.*
    from employees
    inner join latest_snapshot
        on employees._source = latest_snapshot._source
        and employees.snapshot_date = latest_snapshot.snapshot_date
),

current_employee_ids as (
    select distinct employee_id from current_roster
),

manager_check as (
    select
        'employee_manager_missing_from_roster' as check_name,
        'hris.employee' as entity,
        count(*) as checked_rows,
        sum(case when managers.employee_id is null then 1 else 0 end) as failing_rows
    from current_roster
    left join current_employee_ids as managers
        on current_roster.manager_id = managers.employee_id
    where current_roster.manager_id is not null
),

final as (
    select * from learner_check
    union all
    select * from booking_check
    union all
    select * from invoice_line_check
    union all
    select * from manager_check
)

select * from final
