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
        {{ compliance_status_counts() }}
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
        {{ compliance_counts_and_rate() }}
    from counted
)

select * from final
