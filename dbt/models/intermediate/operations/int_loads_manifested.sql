{#- Every committed landing load with what its manifest declares: the load's own counts (raw_rows,
    parse_rejected_rows) and the rows its entities landed, summed over the manifest's entity counts
    (stg_landing__load_entities). What rpt_load_reconciliation balances the rows found against. -#}
with

loads as (
    select * from {{ ref('stg_landing__loads') }}
),

load_entities as (
    select * from {{ ref('stg_landing__load_entities') }}
),

manifest_counts as (
    select
        load_id,
        sum(manifest_rows) as manifest_landed_rows
    from load_entities
    group by load_id
),

final as (
    select
        loads.load_id,
        loads.source,
        loads.kind,
        loads.started_at,
        loads.finished_at,
        loads.raw_rows,
        loads.parse_rejected_rows,
        manifest_counts.manifest_landed_rows
    from loads
    left join manifest_counts
        on loads.load_id = manifest_counts.load_id
)

select * from final
