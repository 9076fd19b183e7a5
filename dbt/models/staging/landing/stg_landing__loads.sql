{%- set manifests = source('landing', 'manifests') -%}

with

{% if external_files_exist(manifests) -%}
manifests as (
    select * from {{ manifests }} as manifests
),
{%- else -%}
-- No load has been committed yet: an empty, typed relation (read_json fails on an empty glob).
manifests as (
    select
        cast(null as {{ dbt.type_string() }}) as load_id,
        cast(null as {{ dbt.type_string() }}) as source,
        cast(null as {{ dbt.type_string() }}) as kind,
        cast(null as {{ dbt.type_string() }}) as connector_version,
        cast(null as {{ dbt.type_bigint() }}) as rejects,
        cast(null as {{ dbt.type_bigint() }}) as raw_rows,
        cast(null as {{ dbt.type_string() }}) as checksum,
        cast(null as timestamp with time zone) as started_at,
        cast(null as timestamp with time zone) as finished_at
    where 1 = 0
),
{%- endif %}

final as (
    select
        load_id,
        source,
        kind,
        connector_version,
        raw_rows,
        rejects as parse_rejected_rows,
        checksum,
        started_at,
        finished_at
    from manifests
)

select * from final
