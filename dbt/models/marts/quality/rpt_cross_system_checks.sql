{#- Cross-system checks (docs/ARCHITECTURE.md: dbt tests check relations across entities; GX checks each batch).
    One row per check: how many rows were checked and how many point at something the other
    system does not know (int_cross_system_references_counted), and the status against the
    thresholds of var `cross_system_thresholds`. Counts only: no personal data. A singular test fails the build when any check reaches `error`. -#}
{%- set thresholds = var('cross_system_thresholds') -%}

with

checks as (
    select * from {{ ref('int_cross_system_references_counted') }}
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
