{#- The references behind the failing rows of each cross-system check (rpt_cross_system_checks),
    most frequent first: what a steward fixes, and what a failing check's message names
    (warehouse/check_messages.py). Restricted: learner refs are personal data. -#}

with

failing as (
    select check_name, offending_ref, count(*) as failing_rows
    from {{ ref('int_cross_system_check_rows') }}
    where is_failing
    group by check_name, offending_ref
),

final as (
    select
        check_name,
        offending_ref,
        cast(failing_rows as bigint) as failing_rows,
        cast(row_number() over (
            partition by check_name order by failing_rows desc, offending_ref
        ) as bigint) as ref_rank
    from failing
)

select * from final
