{#- Compliance counts and rate per date × requirement × manager (the direct reports' rows, from
    the roster period valid on the date): the trend rollup of fct_compliance_history for people
    managers. compliance_rate = compliant ÷ (applicable − exempt), from the counts. -#}
with

history as (
    select * from {{ ref('fct_compliance_history') }}
),

counted as (
    select
        as_of_date,
        is_month_end,
        requirement_id,
        requirement_title,
        regime,
        coalesce(manager_id, '(none)') as manager_id,
        {{ compliance_status_counts() }}
    from history
    group by as_of_date, is_month_end, requirement_id, requirement_title, regime, coalesce(manager_id, '(none)')
),

final as (
    select
        as_of_date,
        is_month_end,
        requirement_id,
        requirement_title,
        regime,
        manager_id,
        case when manager_id <> '(none)' then {{ employee_key('manager_id') }} end as manager_key,
        {{ compliance_counts_and_rate() }}
    from counted
)

select * from final
