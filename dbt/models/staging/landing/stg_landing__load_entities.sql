{%- set manifests = source('landing', 'manifests') -%}

with

{% if external_files_exist(manifests) -%}
manifests as (
    select * from {{ manifests }} as manifests
),

entity_counts as (
    {{ manifest_entity_counts('manifests') }}
),
{%- else -%}
entity_counts as (
    select
        cast(null as {{ dbt.type_string() }}) as load_id,
        cast(null as {{ dbt.type_string() }}) as source,
        cast(null as {{ dbt.type_string() }}) as entity,
        cast(null as {{ dbt.type_bigint() }}) as manifest_rows
    where 1 = 0
),
{%- endif %}

final as (
    select
        load_id,
        source,
        entity,
        manifest_rows
    from entity_counts
)

select * from final
