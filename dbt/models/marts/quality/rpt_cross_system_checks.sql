{#- Cross-system checks (docs/ARCHITECTURE.md: dbt tests check relations across entities; GX checks each batch).
    One row per check: how many rows were checked (int_cross_system_check_rows), how many point at
    something the other system does not know, and the status against the thresholds of var
    `cross_system_thresholds` (trainops.yaml `checks:`, pipeline/settings.py): a level is reached
    when the failing rows exceed every bound given for it (a share and/or a row count; a null bound
    is no condition). Counts only: no personal data (the refs: rpt_cross_system_check_refs). A
    singular test fails the build when any check reaches `error`. -#}
{%- set thresholds = var('cross_system_thresholds') -%}
{%- set entities = {
    'learning_record_learner_unknown_to_hr': 'lms.learning_record',
    'booking_for_unknown_session': 'lms.booking',
    'invoice_line_for_unknown_session_or_course': 'vendor.invoice_line',
    'employee_manager_missing_from_roster': 'hris.employee',
} -%}

with

check_rows as (
    select * from {{ ref('int_cross_system_check_rows') }}
),

counted as (
    select
        check_name,
        count(*) as checked_rows,
        sum(case when is_failing then 1 else 0 end) as failing_rows
    from check_rows
    group by check_name
),

thresholds as (
    {% for name, limits in thresholds.items() %}
    select
        '{{ name }}' as check_name,
        '{{ entities.get(name, "") }}' as entity,
        {{ threshold_bound(limits.get('warn_above'), 'decimal(9, 4)') }} as warn_above_share,
        {{ threshold_bound(limits.get('warn_above_rows'), 'bigint') }} as warn_above_rows,
        {{ threshold_bound(limits.get('error_above'), 'decimal(9, 4)') }} as error_above_share,
        {{ threshold_bound(limits.get('error_above_rows'), 'bigint') }} as error_above_rows
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

measured as (
    select
        thresholds.*,
        coalesce(counted.checked_rows, 0) as checked_rows,
        cast(coalesce(counted.failing_rows, 0) as bigint) as failing_rows,
        cast(
            case when counted.checked_rows > 0 then 1.0 * counted.failing_rows / counted.checked_rows end
            as decimal(9, 4)
        ) as failing_share,
        case when counted.checked_rows > 0 then 1.0 * counted.failing_rows / counted.checked_rows end as share
    from thresholds
    left join counted
        on thresholds.check_name = counted.check_name
),

final as (
    select
        check_name,
        entity,
        checked_rows,
        failing_rows,
        failing_share,
        warn_above_share,
        warn_above_rows,
        error_above_share,
        error_above_rows,
        case
            when checked_rows = 0 or failing_rows = 0 then 'ok'
            when (error_above_share is null or share > error_above_share)
                and (error_above_rows is null or failing_rows > error_above_rows) then 'error'
            when (warn_above_share is null or share > warn_above_share)
                and (warn_above_rows is null or failing_rows > warn_above_rows) then 'warn'
            else 'ok'
        end as check_status
    from measured
)

select * from final
