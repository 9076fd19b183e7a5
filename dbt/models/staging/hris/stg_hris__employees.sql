{{ config(
    materialized=staging_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['_source', 'employee_id', 'snapshot_date'],
    on_schema_change='fail'
) }}

with

landed as (
    select * from {{ source('hris', 'employee') }} as landed
    where {{ not_quarantined('hris.employee', 'landed') }}
),

renamed as (
    select
        {{ clean_text('employee_id') }} as employee_id,
        snapshot_date,
        {{ clean_text('email') }} as email,
        lower({{ clean_text('email') }}) as email_normalized,
        lower(trim(status)) as status,
        hire_date,
        termination_date,
        {{ clean_text('given_name') }} as given_name,
        {{ clean_text('family_name') }} as family_name,
        {{ clean_text('job_code') }} as job_code,
        {{ clean_text('job_title') }} as job_title,
        {{ clean_text('department') }} as department,
        {{ clean_text('cost_center') }} as cost_center,
        {{ clean_text('country') }} as country,
        {{ clean_text('region') }} as region,
        {{ clean_text('manager_id') }} as manager_id,
        {{ clean_text('employment_type') }} as employment_type,
        source_updated_at,
        _load_id,
        _row,
        _source,
        _source_file,
        _source_line
    from landed
),

{{ recomputed_keys('renamed', ['_source', 'employee_id', 'snapshot_date'], incremental=is_incremental()) }}

deduplicated as (
    -- One row per source, employee and snapshot: the latest load wins (a re-landed snapshot
    -- replaces the earlier copy; running the same night twice changes nothing). Each HR source
    -- keeps its own rows: int_employee_history decides between sources.
    select
        *,
        row_number() over (
            partition by _source, employee_id, snapshot_date
            order by _load_id desc, _row desc
        ) as version_rank
    from recomputed
),

final as (
    select
        employee_id,
        snapshot_date,
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
        source_updated_at,
        _load_id,
        _row,
        _source,
        _source_file,
        _source_line
    from deduplicated
    where version_rank = 1
)

select * from final
