{#- Cross-system checks (docs/ARCHITECTURE.md: dbt tests check relations across entities; GX checks each batch).
    One row per check: how many rows were checked (learning records: the standing ones, never a
    voiding statement), how many point at something the other system does not know, and the
    status against the thresholds of var `cross_system_thresholds`. Counts only: no personal
    data. A singular test fails the build when any check reaches `error`. -#}
{%- set thresholds = var('cross_system_thresholds') -%}

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

checks as (
    select * from learner_check
    union all
    select * from booking_check
    union all
    select * from invoice_line_check
    union all
    select * from manager_check
),

thresholds as (
    {% for name, limits in thresholds.items() %}
    select
        '{{ name }}' as check_name,
        cast({{ limits['warn_above'] }} as decimal(9, 4)) as warn_above_share,
        cast({{ limits['error_above'] }} as decimal(9, 4)) as error_above_share
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        checks.check_name,
        checks.entity,
        checks.checked_rows,
        cast(checks.failing_rows as bigint) as failing_rows,
        cast(
            case when checks.checked_rows > 0 then 1.0 * checks.failing_rows / checks.checked_rows end
            as decimal(9, 4)
        ) as failing_share,
        thresholds.warn_above_share,
        thresholds.error_above_share,
        case
            when checks.checked_rows = 0 then 'ok'
            when 1.0 * checks.failing_rows / checks.checked_rows > thresholds.error_above_share then 'error'
            when 1.0 * checks.failing_rows / checks.checked_rows > thresholds.warn_above_share then 'warn'
            else 'ok'
        end as check_status
    from checks
    inner join thresholds
        on checks.check_name = thresholds.check_name
)

select * from final
