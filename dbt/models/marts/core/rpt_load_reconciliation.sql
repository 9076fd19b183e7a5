{#- Per landing load: every raw row is either in staging or in quarantine (docs/ARCHITECTURE.md).
    raw_rows (manifest) = staged + superseded + validation-quarantined + parse-rejected rows,
    and the rows in the load's files equal the manifest's entity counts. -#}
with

loads as (
    select * from {{ ref('int_loads_manifested') }}
),

landed_rows as (
    select * from {{ ref('int_landed_rows_classified') }}
),

outcomes as (
    select
        _load_id as load_id,
        count(*) as landed_rows,
        count(case when outcome = 'staged' then 1 end) as staged_rows,
        count(case when outcome = 'superseded' then 1 end) as superseded_rows,
        count(case when outcome = 'quarantined' then 1 end) as quarantined_rows,
        count(case when outcome = 'lost' then 1 end) as lost_rows
    from landed_rows
    group by _load_id
),

combined as (
    select
        loads.load_id,
        loads.source,
        loads.kind,
        loads.started_at,
        loads.finished_at,
        coalesce(loads.raw_rows, 0) as raw_rows,
        coalesce(loads.manifest_landed_rows, 0) as manifest_landed_rows,
        coalesce(outcomes.landed_rows, 0) as landed_rows,
        coalesce(outcomes.staged_rows, 0) as staged_rows,
        coalesce(outcomes.superseded_rows, 0) as superseded_rows,
        coalesce(outcomes.quarantined_rows, 0) as quarantined_rows,
        coalesce(loads.parse_rejected_rows, 0) as parse_rejected_rows,
        coalesce(outcomes.lost_rows, 0) as lost_rows
    from loads
    left join outcomes
        on loads.load_id = outcomes.load_id
),

final as (
    select
        load_id,
        source,
        kind,
        started_at,
        finished_at,
        {{ dbt.cast('raw_rows', dbt.type_bigint()) }} as raw_rows,
        {{ dbt.cast('manifest_landed_rows', dbt.type_bigint()) }} as manifest_landed_rows,
        {{ dbt.cast('landed_rows', dbt.type_bigint()) }} as landed_rows,
        {{ dbt.cast('staged_rows', dbt.type_bigint()) }} as staged_rows,
        {{ dbt.cast('superseded_rows', dbt.type_bigint()) }} as superseded_rows,
        {{ dbt.cast('quarantined_rows', dbt.type_bigint()) }} as quarantined_rows,
        {{ dbt.cast('parse_rejected_rows', dbt.type_bigint()) }} as parse_rejected_rows,
        {{ dbt.cast('lost_rows', dbt.type_bigint()) }} as lost_rows,
        (
            raw_rows = staged_rows + superseded_rows + quarantined_rows + parse_rejected_rows
            and landed_rows = manifest_landed_rows
            and lost_rows = 0
        ) as is_balanced
    from combined
)

select * from final
