{#- The rows the cross-system checks look at (rpt_cross_system_checks counts them): one row per
    checked row, with the check, whether it points at something the other system does not know, and
    then the reference it names (a learner ref, a session id, an item ref, a manager id). Learning
    records: the standing ones only (a voiding statement is no learning record; its actor is often an
    LMS administrator HR does not list). -#}

with

learning_records as (
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

learner_rows as (
    -- an ambiguous alias names HR employees (which one is for a steward: a build warning)
    select
        'learning_record_learner_unknown_to_hr' as check_name,
        learners.employee_id is null and coalesce(learners.resolution_method, '') <> 'ambiguous_alias' as is_failing,
        learning_records.learner_ref as checked_ref
    from learning_records
    left join learners
        on {{ learner_resolved_on('learners', 'learning_records._source', 'learning_records.learner_ref',
                                  'learning_records.occurred_date') }}
),

booking_rows as (
    select
        'booking_for_unknown_session' as check_name,
        sessions.session_id is null as is_failing,
        bookings.session_id as checked_ref
    from bookings
    left join sessions
        on bookings.session_id = sessions.session_id
),

invoice_line_rows as (
    -- only lines that bill learners must name a session or course; fee lines need not
    select
        'invoice_line_for_unknown_session_or_course' as check_name,
        sessions.session_id is null and courses.course_ref is null as is_failing,
        invoice_lines.item_ref as checked_ref
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

manager_rows as (
    select
        'employee_manager_missing_from_roster' as check_name,
        managers.employee_id is null as is_failing,
        current_roster.manager_id as checked_ref
    from current_roster
    left join current_employee_ids as managers
        on current_roster.manager_id = managers.employee_id
    where current_roster.manager_id is not null
),

final as (
    select * from learner_rows
    union all
    select * from booking_rows
    union all
    select * from invoice_line_rows
    union all
    select * from manager_rows
)

select
    check_name,
    is_failing,
    case when is_failing then checked_ref end as offending_ref
from final
