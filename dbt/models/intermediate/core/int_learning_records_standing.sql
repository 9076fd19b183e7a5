{#- The learning records that stand (docs/data-model.md): a voiding statement is never a learning
    record — it retracts the record it names and counts nowhere else — and a retracted record no
    longer counts either. Every model that counts, resolves or checks learning records reads this.
    A view: a filter over staging, not worth a copy of every record. voided_records reads staging
    itself, not the CTE learning_records: a CTE read twice is materialized whole (every column of
    every record) by DuckDB, where a reader of this view needs a few columns. -#}
{{ config(materialized='view') }}

with

learning_records as (
    select * from {{ ref('stg_lms__learning_records') }}
),

voided_records as (
    select distinct voids_record_id as record_id
    from {{ ref('stg_lms__learning_records') }}
    where is_voiding_statement
        and voids_record_id is not null
),

final as (
    select learning_records.*
    from learning_records
    left join voided_records
        on learning_records.record_id = voided_records.record_id
    where not learning_records.is_voiding_statement
        and voided_records.record_id is null
)

select * from final
