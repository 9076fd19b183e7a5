-- The limit: the pipeline's headline mart figures computed straight from the raw file drops by
-- one hand-written DuckDB script (read the files, dedupe, join, aggregate) — the floor no
-- pipeline beats. No landing, no validation, no lineage, no tests, no publish.
--
-- `benchmarks/limit.py` fills in {drops}, {reference}, {as_of}, {timezone}, {due_soon_days} and
-- {xml_lines} (the e-invoice lines: DuckDB has no XML reader, so limit.py extracts
-- them with ElementTree first, inside the measured time), then runs the statements in order.
-- The formats are fixed (docs/data-model.md), so every read names its columns: DuckDB's CSV sniffer costs
-- about a second per file here, more than reading it. The last statement returns one row of figures. Malformed values become null (try_cast) and
-- their rows drop out where a value is needed, roughly what quarantine does.

-- HR: one row per employee and roster snapshot; the snapshot date is in the file name.
create or replace temp table employees as
select distinct on (employee_id, snapshot_date)
    trim(employee_id) as employee_id,
    cast(regexp_extract(filename, 'employees_(\d{4}-\d{2}-\d{2})', 1) as date) as snapshot_date,
    lower(trim(email)) as email,
    lower(trim(status)) as status,
    try_cast(hire_date as date) as hire_date,
    lower(trim(job_code)) as job_code,
    lower(trim(department)) as department,
    lower(trim(country)) as country,
    lower(trim(region)) as region
from read_csv('{drops}/hris/*.csv', header = true, auto_detect = false, filename = true,
        columns = {employee_id: 'varchar', email: 'varchar', given_name: 'varchar', family_name: 'varchar', status: 'varchar', hire_date: 'varchar', termination_date: 'varchar', job_code: 'varchar', job_title: 'varchar', department: 'varchar', cost_center: 'varchar', country: 'varchar', region: 'varchar', manager_id: 'varchar', employment_type: 'varchar', updated_at: 'varchar'})
where nullif(trim(employee_id), '') is not null
    and lower(trim(status)) in ('active', 'leave', 'terminated')
    and (nullif(trim(hire_date), '') is null or try_cast(hire_date as date) is not null);

create or replace temp table rosters as
select snapshot_date, row_number() over (order by snapshot_date) as roster_no
from (select distinct snapshot_date from employees where snapshot_date <= date '{as_of}');

-- Requirements effective on D, list columns as lower-cased lists (empty = any).
create or replace temp table requirements as
select
    requirement_id,
    list_filter(list_transform(string_split(coalesce(course_refs, ''), ';'), c -> trim(c)), c -> c <> '')
        as course_refs,
    list_filter(list_transform(string_split(coalesce(applies_to_job_codes, ''), ';'), c -> lower(trim(c))), c -> c <> '')
        as job_codes,
    list_filter(list_transform(string_split(coalesce(applies_to_departments, ''), ';'), c -> lower(trim(c))), c -> c <> '')
        as departments,
    list_filter(list_transform(string_split(coalesce(applies_to_countries, ''), ';'), c -> lower(trim(c))), c -> c <> '')
        as countries,
    list_filter(list_transform(string_split(coalesce(applies_to_regions, ''), ';'), c -> lower(trim(c))), c -> c <> '')
        as regions,
    coalesce(try_cast(due_within_days as integer), 0) as due_within_days,
    try_cast(recurrence_months as integer) as recurrence_months,
    coalesce(try_cast(grace_days as integer), 0) as grace_days,
    try_cast(effective_from as date) as effective_from
from read_csv('{reference}/training_requirements.csv', header = true, auto_detect = false, filename = false,
        columns = {requirement_id: 'varchar', title: 'varchar', course_refs: 'varchar', applies_to_job_codes: 'varchar', applies_to_departments: 'varchar', applies_to_countries: 'varchar', applies_to_regions: 'varchar', due_within_days: 'varchar', recurrence_months: 'varchar', grace_days: 'varchar', regime: 'varchar', effective_from: 'varchar', effective_to: 'varchar'})
where (try_cast(effective_from as date) is null or try_cast(effective_from as date) <= date '{as_of}')
    and (try_cast(effective_to as date) is null or try_cast(effective_to as date) >= date '{as_of}');

-- Scope per employee snapshot and requirement; the current unbroken run of in-scope rosters
-- (a roster the employee is missing from breaks it) gives the scope entry date.
create or replace temp table assignments as
with in_scope as (
    select
        employees.employee_id,
        requirements.requirement_id,
        rosters.roster_no,
        employees.snapshot_date,
        rosters.roster_no - row_number() over (
            partition by employees.employee_id, requirements.requirement_id order by rosters.roster_no
        ) as island
    from employees
    inner join rosters on employees.snapshot_date = rosters.snapshot_date
    cross join requirements
    where employees.status in ('active', 'leave')
        and (len(requirements.job_codes) = 0 or list_contains(requirements.job_codes, employees.job_code))
        and (len(requirements.departments) = 0 or list_contains(requirements.departments, employees.department))
        and (len(requirements.countries) = 0 or list_contains(requirements.countries, employees.country))
        and (len(requirements.regions) = 0 or list_contains(requirements.regions, employees.region))
),
islands as (
    select employee_id, requirement_id, island, min(roster_no) as first_roster, max(roster_no) as last_roster,
        min(snapshot_date) as run_start
    from in_scope
    group by all
),
first_seen as (
    select employees.employee_id, min(rosters.roster_no) as first_roster
    from employees inner join rosters on employees.snapshot_date = rosters.snapshot_date
    group by all
),
current_rows as (
    select employees.*
    from employees
    where snapshot_date = (select max(snapshot_date) from rosters)
)
select
    islands.employee_id,
    islands.requirement_id,
    requirements.due_within_days,
    requirements.recurrence_months,
    requirements.grace_days,
    case
        when islands.first_roster = first_seen.first_roster then coalesce(current_rows.hire_date, islands.run_start)
        else islands.run_start
    end as scope_entry_date,
    current_rows.hire_date,
    requirements.effective_from
from islands
inner join requirements on islands.requirement_id = requirements.requirement_id
inner join first_seen on islands.employee_id = first_seen.employee_id
inner join current_rows on islands.employee_id = current_rows.employee_id
where islands.last_roster = (select max(roster_no) from rosters);

-- Learning records: xAPI JSON Lines, the JSON export ({"statements": [...]}) and the legacy CSV.
create or replace temp table statements as
with jsonl as (
    select id, actor, verb, object, result, "timestamp", stored
    from read_json(
        '{drops}/xapi/*.jsonl',
        format = 'newline_delimited',
        ignore_errors = true,
        columns = {
            id: 'varchar',
            actor: 'struct(mbox varchar, account struct(homePage varchar, name varchar))',
            verb: 'struct(id varchar)',
            object: 'struct(objectType varchar, id varchar)',
            result: 'struct(success boolean)',
            "timestamp": 'varchar',
            stored: 'varchar'
        }
    )
),
exported as (
    select unnest(statements, max_depth := 2)
    from read_json(
        '{drops}/xapi/*.json',
        format = 'unstructured',
        columns = {
            statements: 'struct(id varchar, actor struct(mbox varchar, account struct(homePage varchar, name varchar)), verb struct(id varchar), object struct(objectType varchar, id varchar), result struct(success boolean), "timestamp" varchar, stored varchar)[]'
        }
    )
),
raw as (
    select * from jsonl
    union all by name
    select * from exported
)
select
    trim(id) as record_id,
    case
        when actor.mbox is not null then lower(regexp_replace(trim(actor.mbox), '(?i)^mailto:', ''))
        when actor.account.name is not null then 'account:' || actor.account.homePage || '|' || actor.account.name
    end as learner_ref,
    lower(regexp_extract(verb.id, '([^/#]+)$', 1)) as verb,
    coalesce(object.objectType, 'Activity') as object_type,
    object.id as object_id,
    result.success as success,
    coalesce(try_cast("timestamp" as timestamptz), try_cast(stored as timestamptz)) as occurred_at
from raw
where id is not null and actor is not null;

create or replace temp table courses as
select trim(course_ref) as course_ref, nullif(trim(activity_id), '') as activity_id
from read_csv('{reference}/courses.csv', header = true, auto_detect = false, filename = false,
        columns = {course_ref: 'varchar', title: 'varchar', modality: 'varchar', vendor_id: 'varchar', duration_minutes: 'varchar', activity_id: 'varchar'});

create or replace temp table learning_records as
with xapi as (
    select distinct on (record_id)
        statements.record_id,
        statements.learner_ref,
        coalesce(
            courses.course_ref,
            regexp_extract(rtrim(split_part(split_part(statements.object_id, '#', 1), '?', 1), '/'), '([^/]+)$', 1)
        ) as course_ref,
        statements.verb,
        statements.success,
        statements.occurred_at
    from statements
    left join courses on statements.object_id = courses.activity_id
    where statements.object_type = 'Activity' and statements.occurred_at is not null
),
voided as (
    select distinct object_id as record_id from statements where verb = 'voided' and object_type = 'StatementRef'
),
legacy as (
    select distinct on (record_id)
        trim(record_id) as record_id,
        trim(learner_ref) as learner_ref,
        trim(course_ref) as course_ref,
        lower(trim(verb)) as verb,
        case
            when lower(trim(success)) in ('true', 't', 'yes', 'y', '1') then true
            when lower(trim(success)) in ('false', 'f', 'no', 'n', '0') then false
        end as success,
        try_cast(occurred_at as timestamptz) as occurred_at
    from read_csv('{drops}/lms/*.csv', header = true, auto_detect = false, filename = false,
        columns = {record_id: 'varchar', learner_ref: 'varchar', course_ref: 'varchar', verb: 'varchar', occurred_at: 'varchar', success: 'varchar', score_scaled: 'varchar'})
    where try_cast(occurred_at as timestamptz) is not null
)
select xapi.* from xapi left join voided on xapi.record_id = voided.record_id where voided.record_id is null
union all
select * from legacy;

-- Learner references → employees: email (its latest holder), employee id, account name.
create or replace temp table learners as
with email_owners as (
    select distinct on (email) email, employee_id
    from employees
    where email is not null
    order by email, snapshot_date desc, employee_id
),
known as (select distinct employee_id from employees),
refs as (
    select distinct learner_ref from learning_records
),
parsed as (
    select
        learner_ref,
        lower(trim(regexp_replace(trim(learner_ref), '(?i)^mailto:', ''))) as normalized_ref,
        case when learner_ref like 'account:%' then trim(split_part(learner_ref, '|', 2)) end as account_name
    from refs
)
select
    parsed.learner_ref,
    coalesce(by_email.employee_id, by_id.employee_id, by_account.employee_id, by_account_email.employee_id)
        as employee_id
from parsed
left join email_owners as by_email on parsed.normalized_ref = by_email.email
left join known as by_id on trim(parsed.learner_ref) = by_id.employee_id
left join known as by_account on parsed.account_name = by_account.employee_id
left join email_owners as by_account_email on lower(parsed.account_name) = by_account_email.email;

-- Which courses satisfy which requirement (equivalences, transitively).
create or replace temp table requirement_courses as
with recursive
equivalences as (
    select trim(course_ref) as course_ref, trim(satisfies_course_ref) as satisfies_course_ref
    from read_csv('{reference}/course_equivalences.csv', header = true, auto_detect = false, filename = false,
        columns = {course_ref: 'varchar', satisfies_course_ref: 'varchar'})
),
satisfying (requirement_id, course_ref, depth) as (
    select requirement_id, unnest(course_refs) as course_ref, 0 from requirements
    union all
    select satisfying.requirement_id, equivalences.course_ref, satisfying.depth + 1
    from satisfying inner join equivalences on equivalences.satisfies_course_ref = satisfying.course_ref
    where satisfying.depth < 10
)
select distinct requirement_id, course_ref from satisfying;

create or replace temp table evidence as
select
    learners.employee_id,
    requirement_courses.requirement_id,
    max(cast(timezone('{timezone}', learning_records.occurred_at) as date)) as last_completed_date
from learning_records
inner join learners on learning_records.learner_ref = learners.learner_ref
inner join requirement_courses on learning_records.course_ref = requirement_courses.course_ref
where learners.employee_id is not null
    and learning_records.verb in ('completed', 'passed', 'satisfied')
    and coalesce(learning_records.success, true)
    and cast(timezone('{timezone}', learning_records.occurred_at) as date) <= date '{as_of}'
group by all;

create or replace temp table exemptions as
select distinct trim(employee_id) as employee_id, nullif(trim(requirement_id), '') as requirement_id
from read_csv('{reference}/exemptions.csv', header = true, auto_detect = false, filename = false,
        columns = {employee_id: 'varchar', requirement_id: 'varchar', reason: 'varchar', approved_by: 'varchar', valid_from: 'varchar', valid_to: 'varchar'})
where (try_cast(valid_from as date) is null or try_cast(valid_from as date) <= date '{as_of}')
    and (try_cast(valid_to as date) is null or try_cast(valid_to as date) >= date '{as_of}');

create or replace temp table compliance as
with dated as (
    select
        assignments.*,
        evidence.last_completed_date,
        cast(greatest(
            coalesce(assignments.hire_date, assignments.scope_entry_date),
            coalesce(assignments.effective_from, assignments.scope_entry_date),
            assignments.scope_entry_date
        ) + to_days(assignments.due_within_days) as date) as first_due_date,
        case
            when evidence.last_completed_date is not null and assignments.recurrence_months is not null
                then cast(evidence.last_completed_date + to_months(assignments.recurrence_months) as date)
        end as expires_on,
        exists (
            select 1 from exemptions
            where exemptions.employee_id = assignments.employee_id
                and (exemptions.requirement_id is null or exemptions.requirement_id in ('*', assignments.requirement_id))
        ) as is_exempt
    from assignments
    left join evidence
        on assignments.employee_id = evidence.employee_id and assignments.requirement_id = evidence.requirement_id
),
due as (
    select
        *,
        case when expires_on is not null and expires_on > first_due_date then expires_on else first_due_date end
            as next_due_date
    from dated
)
select
    employee_id,
    requirement_id,
    case
        when is_exempt then 'exempt'
        when last_completed_date is not null and (expires_on is null or expires_on > date '{as_of}') then 'compliant'
        when date '{as_of}' > next_due_date + to_days(grace_days) then 'overdue'
        when next_due_date <= date '{as_of}' + to_days({due_soon_days}) then 'due_soon'
        else 'not_yet_due'
    end as status
from due;

-- Utilization: sessions (latest file wins) and their bookings (latest update wins).
create or replace temp table sessions as
select distinct on (session_id)
    trim(session_id) as session_id,
    try_cast(capacity as bigint) as capacity,
    coalesce(lower(nullif(trim(status), '')), 'scheduled') as status
from read_csv('{drops}/sessions/*.csv', header = true, auto_detect = false, filename = true,
        columns = {session_id: 'varchar', course_ref: 'varchar', vendor_id: 'varchar', modality: 'varchar', starts_at: 'varchar', ends_at: 'varchar', capacity: 'varchar', location: 'varchar', status: 'varchar'})
where nullif(trim(session_id), '') is not null
    and try_cast(starts_at as timestamptz) is not null
    and try_cast(capacity as bigint) >= 0
order by session_id, filename desc;

create or replace temp table bookings as
select distinct on (session_id, learner_ref)
    trim(session_id) as session_id,
    trim(learner_ref) as learner_ref,
    lower(trim(status)) as status
from read_csv('{drops}/bookings/*.csv', header = true, auto_detect = false, filename = true,
        columns = {session_id: 'varchar', learner_ref: 'varchar', status: 'varchar', booked_at: 'varchar', updated_at: 'varchar'})
where nullif(trim(session_id), '') is not null and nullif(trim(learner_ref), '') is not null
order by session_id, learner_ref, try_cast(updated_at as timestamptz) desc nulls last, filename desc;

create or replace temp table utilization as
select
    sessions.session_id,
    sessions.status,
    sessions.capacity,
    count(case when bookings.status in ('booked', 'attended', 'no_show') then 1 end) as booked,
    count(case when bookings.status = 'attended' then 1 end) as attended,
    count(case when bookings.status = 'no_show' then 1 end) as no_show
from sessions
left join bookings on sessions.session_id = bookings.session_id
group by all;

-- Billing: every received invoice line (CSV and e-invoice), signed (credit notes negative).
create or replace temp table invoice_lines as
select distinct on (vendor_id, invoice_number, filename, line_id)
    trim(vendor_id) as vendor_id,
    trim(invoice_number) as invoice_number,
    filename,
    trim(line_id) as line_id,
    case when lower(trim(document_type)) = 'credit_note' then -1 else 1 end
        * try_cast(line_amount as decimal(20, 6)) as billed_amount
from read_csv('{drops}/invoices_csv/*.csv', header = true, auto_detect = false, filename = true,
        columns = {vendor_id: 'varchar', invoice_number: 'varchar', document_type: 'varchar', issue_date: 'varchar', currency: 'varchar', period_start: 'varchar', period_end: 'varchar', line_id: 'varchar', item_ref: 'varchar', description: 'varchar', quantity: 'varchar', unit_price: 'varchar', line_amount: 'varchar', learner_refs: 'varchar'})
where try_cast(line_amount as decimal(20, 6)) is not null
    and try_cast(quantity as decimal(20, 6)) is not null
    and try_cast(unit_price as decimal(20, 6)) is not null
union all
select vendor_id, invoice_number, filename, line_id, sign * billed_amount
from read_parquet('{xml_lines}');

select
    (select count(*) from compliance) as compliance_rows,
    (select count(*) from compliance where status = 'compliant') as compliant,
    (select count(*) from compliance where status = 'overdue') as overdue,
    (select count(*) from compliance where status = 'due_soon') as due_soon,
    (select count(*) from compliance where status = 'not_yet_due') as not_yet_due,
    (select count(*) from compliance where status = 'exempt') as exempt,
    (select round(100.0 * count(*) filter (where status = 'compliant')
        / nullif(count(*) filter (where status <> 'exempt'), 0), 1) from compliance) as compliance_pct,
    (select count(*) from utilization) as sessions,
    (select sum(capacity) from utilization where status = 'delivered') as delivered_capacity,
    (select sum(booked) from utilization where status = 'delivered') as delivered_booked,
    (select sum(attended) from utilization where status = 'delivered') as delivered_attended,
    (select sum(no_show) from utilization where status = 'delivered') as delivered_no_show,
    (select round(100.0 * sum(attended) / nullif(sum(capacity), 0), 1) from utilization where status = 'delivered')
        as utilization_pct,
    (select count(*) from invoice_lines) as invoice_lines,
    (select cast(sum(billed_amount) as decimal(20, 2)) from invoice_lines) as billed;
