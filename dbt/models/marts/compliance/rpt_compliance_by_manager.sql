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
        count(*) as applicable_count,
        count(case when status = 'exempt' then 1 end) as exempt_count,
        count(case when status = 'compliant' then 1 end) as compliant_count,
        count(case when status = 'overdue' then 1 end) as overdue_count,
        count(case when status = 'due_soon' then 1 end) as due_soon_count,
        count(case when status = 'not_yet_due' then 1 end) as not_yet_due_count
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
        {{ dbt.cast('applicable_count', dbt.type_bigint()) }} as applicable_count,
        {{ dbt.cast('exempt_count', dbt.type_bigint()) }} as exempt_count,
        {{ dbt.cast('compliant_count', dbt.type_bigint()) }} as compliant_count,
        {{ dbt.cast('overdue_count', dbt.type_bigint()) }} as overdue_count,
        {{ dbt.cast('due_soon_count', dbt.type_bigint()) }} as due_soon_count,
        {{ dbt.cast('not_yet_due_count', dbt.type_bigint()) }} as not_yet_due_count,
        case
            when applicable_count - exempt_count > 0
                then cast(round(cast(compliant_count as decimal(18, 6)) / (applicable_count - exempt_count), 4)
                    as decimal(9, 4))
        end as compliance_rate
    from counted
)

select * from final
