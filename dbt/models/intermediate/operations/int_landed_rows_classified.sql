{#- Every landed row, classified by where it ended up: staged (it is the version staging keeps),
    superseded (staging keeps another version of the same natural key: a later load or a
    duplicate within the load), or quarantined (validation error/critical). A landed row in none
    of these was lost, and its load does not balance.

    Built incrementally on an incremental night (dbt/macros/incremental.sql), like staging: a row's
    outcome depends on its own load's quarantine (fixed once validated: a change makes the night
    full), on whether staging keeps it, and on whether staging keeps any row of its natural key
    (superseded or lost). New loads change the last two only for the natural keys whose rows
    changed: the keys the new loads land, and the keys of old loads' rows staging keeps now and did
    not before, or kept before and no longer does (a later version replaced it). Exactly those keys
    are classified again, from every landed row they have (delete+insert). -#}
{{ config(
    materialized=staging_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['entity', '_load_id', '_row'],
    on_schema_change='fail'
) }}
{#- a natural key, null-safe and hash-joinable: null keys group together, as in a window's partition -#}
{%- set key_columns = ['entity', 'key_text', 'key_is_null'] %}
with

landed_rows as (
    select
        *,
        coalesce(natural_key, '') as key_text,
        (natural_key is null) as key_is_null
    from {{ ref('stg_landing__landed_rows') }}
),

quarantine as (
    select * from {{ ref('stg_quarantine__rows') }}
),

employees as (
    select _load_id, _row from {{ ref('stg_hris__employees') }}
),

learning_records as (
    select _load_id, _row from {{ ref('stg_lms__learning_records') }}
),

sessions as (
    select _load_id, _row from {{ ref('stg_lms__sessions') }}
),

bookings as (
    select _load_id, _row from {{ ref('stg_lms__bookings') }}
),

invoices as (
    select _load_id, _row from {{ ref('stg_vendor__invoices') }}
),

invoice_lines as (
    select _load_id, _row from {{ ref('stg_vendor__invoice_lines') }}
),

staged_rows as (
    select 'hris.employee' as entity, _load_id, _row from employees
    union all
    select 'lms.learning_record' as entity, _load_id, _row from learning_records
    union all
    select 'lms.session' as entity, _load_id, _row from sessions
    union all
    select 'lms.booking' as entity, _load_id, _row from bookings
    union all
    select 'vendor.invoice' as entity, _load_id, _row from invoices
    union all
    select 'vendor.invoice_line' as entity, _load_id, _row from invoice_lines
),

quarantined_rows as (
    select distinct
        entity,
        _load_id,
        _row
    from quarantine
    where is_excluding
),

{% if is_incremental() -%}
{{ landed_rows_changed_keys('landed_rows', 'staged_rows', key_columns) }}

recomputed as (
    -- every landed row of those keys, old loads' too (a partition is classified whole)
    {{ rows_with_keys('landed_rows', 'changed_keys', key_columns) }}
),
{%- else -%}
recomputed as (
    select * from landed_rows
),
{%- endif %}

joined as (
    select
        recomputed.entity,
        recomputed._load_id,
        recomputed._row,
        recomputed._source,
        recomputed.natural_key,
        recomputed.key_text,
        recomputed.key_is_null,
        (staged_rows._row is not null) as is_staged,
        (quarantined_rows._row is not null) as is_quarantined
    from recomputed
    left join staged_rows
        on recomputed.entity = staged_rows.entity
        and recomputed._load_id = staged_rows._load_id
        and recomputed._row = staged_rows._row
    left join quarantined_rows
        on recomputed.entity = quarantined_rows.entity
        and recomputed._load_id = quarantined_rows._load_id
        and recomputed._row = quarantined_rows._row
),

unplaced_keys as (
    -- the natural keys of the rows neither staged nor quarantined (few): superseded or lost
    select distinct {{ key_columns | join(', ') }}
    from joined
    where not is_staged and not is_quarantined
),

superseding_keys as (
    -- those of them staging keeps a row of
    select distinct {% for key in key_columns %}staged.{{ key }}{% if not loop.last %}, {% endif %}{% endfor %}
    from ({{ rows_with_keys('joined', 'unplaced_keys', key_columns) }}) as staged
    where staged.is_staged
),

final as (
    select
        joined.entity,
        joined._load_id,
        joined._row,
        joined._source,
        joined.natural_key,
        case
            when joined.is_staged then 'staged'
            when joined.is_quarantined then 'quarantined'
            when superseding_keys.entity is not null then 'superseded'
            else 'lost'
        end as outcome
    from joined
    left join superseding_keys
        on {{ key_match('superseding_keys', 'joined', key_columns) }}
)

select * from final
