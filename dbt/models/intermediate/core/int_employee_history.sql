{#- SCD2 roster history built from snapshots (docs/semantics.md): a change takes effect on the date of
    the first snapshot that shows it; a period ends where the next snapshot of the same source
    shows a change, or where the employee is missing from that source's next snapshot.
    Several HR sources: each source's snapshots speak for that source's employees only (one
    source's roster never ends another's employees). An employee several sources list follows, on
    each date, the source of highest precedence whose latest snapshot up to then lists them: var
    `hr_precedence` (source names, first wins); sources it does not name come after, by name. -#}
{%- set precedence = var('hr_precedence', []) or [] -%}
{%- set precedence = [precedence] if precedence is string else precedence -%}
{%- set carried = [
    'email', 'email_normalized', 'status', 'hire_date', 'termination_date', 'given_name', 'family_name',
    'job_code', 'job_title', 'department', 'cost_center', 'country', 'region', 'manager_id',
    'employment_type', '_source', '_load_id'] -%}
with

employees as (
    select * from {{ ref('stg_hris__employees') }}
),

roster_dates as (
    -- Each HR source delivers full roster snapshots; its snapshot dates order its history.
    select distinct
        _source,
        snapshot_date
    from employees
),

roster_sequence as (
    select
        _source,
        snapshot_date,
        lead(snapshot_date) over (partition by _source order by snapshot_date) as next_roster_date
    from roster_dates
),

employee_sources as (
    -- whether several HR sources list the employee (a grouping, not a window over every row)
    select
        employee_id,
        min(_source) <> max(_source) as is_shared
    from employees
    group by employee_id
),

source_rows as (
    -- the employee as one source shows them, from its snapshot until that source's next roster
    select
        employees.employee_id,
        employees.snapshot_date,
        roster_sequence.next_roster_date,
        {%- for column in carried %}
        employees.{{ column }},
        {%- endfor %}
        {%- if precedence %}
        case employees._source
            {%- for source in precedence %}
            when '{{ source | replace("'", "''") }}' then {{ loop.index }}
            {%- endfor %}
            else {{ precedence | length + 1 }}
        end as source_rank,
        {%- else %}
        1 as source_rank,
        {%- endif %}
        employee_sources.is_shared
    from employees
    left join roster_sequence
        on employees._source = roster_sequence._source
        and employees.snapshot_date = roster_sequence.snapshot_date
    inner join employee_sources
        on employees.employee_id = employee_sources.employee_id
),

shared_rows as (
    select * from source_rows where is_shared
),

shared_points as (
    -- the dates on which what the sources say about a shared employee can change
    select
        employee_id,
        point_date,
        lead(point_date) over (partition by employee_id order by point_date) as next_point_date
    from (
        select employee_id, snapshot_date as point_date from shared_rows
        union
        select employee_id, next_roster_date as point_date from shared_rows where next_roster_date is not null
    ) as point_dates
),

shared_events as (
    -- each source's rows and, for every source of the employee, every point, in date order
    select employee_id, _source, snapshot_date as event_date, snapshot_date as row_date, 0 as is_point
    from shared_rows
    union all
    select shared_points.employee_id, employee_sources._source, shared_points.point_date, cast(null as date), 1
    from shared_points
    inner join (select distinct employee_id, _source from shared_rows) as employee_sources
        on shared_points.employee_id = employee_sources.employee_id
),

shared_latest as (
    select
        *,
        max(row_date) over (
            partition by employee_id, _source order by event_date
            range between unbounded preceding and current row
        ) as latest_row_date
    from shared_events
),

shared_candidates as (
    -- per point, each source whose latest snapshot up to then lists the employee, best first
    select
        shared_rows.*,
        shared_points.point_date,
        shared_points.next_point_date,
        row_number() over (
            partition by shared_points.employee_id, shared_points.point_date
            order by shared_rows.source_rank, shared_rows._source
        ) as precedence_rank
    from shared_latest
    inner join shared_points
        on shared_latest.employee_id = shared_points.employee_id
        and shared_latest.event_date = shared_points.point_date
    inner join shared_rows
        on shared_latest.employee_id = shared_rows.employee_id
        and shared_latest._source = shared_rows._source
        and shared_latest.latest_row_date = shared_rows.snapshot_date
    where shared_latest.is_point = 1
        and (shared_rows.next_roster_date is null or shared_points.point_date < shared_rows.next_roster_date)
),

roster_rows as (
    select employee_id, snapshot_date, next_roster_date{% for column in carried %}, {{ column }}{% endfor %}
    from source_rows
    where not is_shared
    union all
    select employee_id, point_date, next_point_date{% for column in carried %}, {{ column }}{% endfor %}
    from shared_candidates
    where precedence_rank = 1
),

snapshots as (
    select
        employees.*,
        {{ dbt.hash(dbt.concat([
            "coalesce(employees.email_normalized, '')", "'|'",
            "coalesce(employees.status, '')", "'|'",
            "coalesce(" ~ dbt.cast("employees.hire_date", dbt.type_string()) ~ ", '')", "'|'",
            "coalesce(" ~ dbt.cast("employees.termination_date", dbt.type_string()) ~ ", '')", "'|'",
            "coalesce(employees.job_code, '')", "'|'",
            "coalesce(employees.job_title, '')", "'|'",
            "coalesce(employees.department, '')", "'|'",
            "coalesce(employees.cost_center, '')", "'|'",
            "coalesce(employees.country, '')", "'|'",
            "coalesce(employees.region, '')", "'|'",
            "coalesce(employees.manager_id, '')", "'|'",
            "coalesce(employees.employment_type, '')", "'|'",
            "coalesce(employees.given_name, '')", "'|'",
            "coalesce(employees.family_name, '')"
        ])) }} as attributes_hash
    from roster_rows as employees
),

compared as (
    select
        *,
        lag(attributes_hash) over (partition by employee_id order by snapshot_date) as previous_hash,
        lag(next_roster_date) over (partition by employee_id order by snapshot_date) as previous_next_roster_date
    from snapshots
),

flagged as (
    -- A new period starts at the first snapshot, at a change of any tracked attribute, and when
    -- the employee reappears after missing from a roster.
    select
        *,
        case
            when previous_hash is null then 1
            when previous_hash <> attributes_hash then 1
            when previous_next_roster_date is null or previous_next_roster_date <> snapshot_date then 1
            else 0
        end as starts_period
    from compared
),

numbered_raw as (
    select
        *,
        sum(starts_period) over (
            partition by employee_id order by snapshot_date rows between unbounded preceding and current row
        ) as period_number_sum
    from flagged
),

numbered as (
    select
        *,
        {{ dbt.cast("period_number_sum", dbt.type_int()) }} as period_number
    from numbered_raw
),

periods as (
    -- A period ends at the roster date after its last snapshot: the largest next_roster_date of its
    -- rows (an employee's snapshots and their next roster dates rise together), or none when its last
    -- snapshot is its source's latest (the only row whose next_roster_date is null). Aggregated here
    -- rather than joined back from the last snapshot's row.
    select
        employee_id,
        period_number,
        min(snapshot_date) as first_snapshot_date,
        max(snapshot_date) as last_snapshot_date,
        case when count(next_roster_date) = count(*) then max(next_roster_date) end as valid_to
    from numbered
    group by employee_id, period_number
),

period_rows as (
    -- The attributes of a period are those of its first snapshot (all its snapshots agree), the
    -- row that starts it.
    select
        numbered.employee_id,
        numbered.period_number,
        periods.first_snapshot_date,
        periods.last_snapshot_date,
        periods.valid_to,
        numbered.email,
        numbered.email_normalized,
        numbered.status,
        numbered.hire_date,
        numbered.termination_date,
        numbered.given_name,
        numbered.family_name,
        numbered.job_code,
        numbered.job_title,
        numbered.department,
        numbered.cost_center,
        numbered.country,
        numbered.region,
        numbered.manager_id,
        numbered.employment_type,
        numbered._source,
        numbered._load_id
    from numbered
    inner join periods
        on numbered.employee_id = periods.employee_id
        and numbered.period_number = periods.period_number
        and numbered.snapshot_date = periods.first_snapshot_date
    where numbered.starts_period = 1
),

sequenced as (
    select
        *,
        lag(status) over (partition by employee_id order by period_number) as previous_status,
        lag(hire_date) over (partition by employee_id order by period_number) as previous_hire_date
    from period_rows
),

final as (
    select
        {{ dbt.hash(dbt.concat(["employee_id", "'|'", dbt.cast("period_number", dbt.type_string())])) }}
            as employee_period_id,
        employee_id,
        period_number,
        -- An employee first seen is taken to have been in that state since hire (docs/semantics.md: "an
        -- employee first seen already in scope entered it at hire").
        case
            when period_number = 1 and hire_date is not null and hire_date < first_snapshot_date then hire_date
            else first_snapshot_date
        end as valid_from,
        valid_to,
        (valid_to is null) as is_current,
        (period_number = 1) as is_first_period,
        -- A rehire starts a new employment: active or on leave again after a period shown as
        -- terminated, or a later hire_date than the previous period's (a termination and rehire
        -- that fell between two snapshots). It takes effect on the first snapshot showing it.
        coalesce(
            period_number > 1
            and status in ('active', 'leave')
            and (previous_status = 'terminated' or hire_date > previous_hire_date),
            false
        ) as is_rehire,
        first_snapshot_date,
        last_snapshot_date,
        email,
        email_normalized,
        status,
        hire_date,
        termination_date,
        given_name,
        family_name,
        job_code,
        job_title,
        department,
        cost_center,
        country,
        region,
        manager_id,
        employment_type,
        _source,
        _load_id
    from sequenced
)

select * from final
