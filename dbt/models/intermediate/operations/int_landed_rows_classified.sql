{#- Every landed row, classified by where it ended up: staged (it is the version staging keeps),
    superseded (staging keeps another version of the same natural key: a later load or a
    duplicate within the load), or quarantined (validation error/critical). A landed row in none
    of these was lost, and its load does not balance. -#}
with

landed_rows as (
    select * from {{ ref('stg_landing__landed_rows') }}
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

joined as (
    select
        landed_rows.entity,
        landed_rows._load_id,
        landed_rows._row,
        landed_rows._source,
        landed_rows.natural_key,
        (staged_rows._row is not null) as is_staged,
        (quarantined_rows._row is not null) as is_quarantined
    from landed_rows
    left join staged_rows
        on landed_rows.entity = staged_rows.entity
        and landed_rows._load_id = staged_rows._load_id
        and landed_rows._row = staged_rows._row
    left join quarantined_rows
        on landed_rows.entity = quarantined_rows.entity
        and landed_rows._load_id = quarantined_rows._load_id
        and landed_rows._row = quarantined_rows._row
),

final as (
    select
        entity,
        _load_id,
        _row,
        _source,
        natural_key,
        case
            when is_staged then 'staged'
            when is_quarantined then 'quarantined'
            when max(case when is_staged then 1 else 0 end) over (partition by entity, natural_key) = 1
                then 'superseded'
            else 'lost'
        end as outcome
    from joined
)

select * from final
