{#- Compliance counts and rate per date × requirement × department: the trend rollup of
    fct_compliance_history (every month-end of the window plus the as-of date). The rate is
    computed from the counts — compliant ÷ (applicable − exempt) — never as an average of rates;
    roll further up (by regime, company-wide) by summing the counts. -#}
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
        coalesce(department, '(none)') as department,
        count(*) as applicable_count,
        count(case when status = 'exempt' then 1 end) as exempt_count,
        count(case when status = 'compliant' then 1 end) as compliant_count,
        count(case when status = 'overdue' then 1 end) as overdue_count,
        count(case when status = 'due_soon' then 1 end) as due_soon_count,
        count(case when status = 'not_yet_due' then 1 end) as not_yet_due_count
    from history
    group by as_of_date, is_month_end, requirement_id, requirement_title, regime, coalesce(department, '(none)')
),

final as (
    select
        as_of_date,
        is_month_end,
        requirement_id,
        requirement_title,
        regime,
        department,
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
