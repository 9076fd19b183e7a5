{#- The learning records that stand (docs/data-model.md): a voiding statement is never a learning
    record — it retracts the record it names and counts nowhere else — and a retracted record no
    longer counts either. Every model that counts, resolves or checks learning records reads this.
    A view: a filter over staging, not worth a copy of every record. -#}
{{ config(materialized='view') }}

with

learning_records as (
    select * from {{ ref('stg_lms__learning_records') }}
),

voiding_statements as (
    -- read apart from learning_records (not a second reference to that CTE), so that an engine
    -- reads only the columns a reader of this view needs instead of materialising every column
    select voids_record_id
    from {{ ref('stg_lms__learning_records') }}
    where is_voiding_statement
        and voids_record_id is not null
),

voided_records as (
    select distinct voids_record_id as record_id
    from voiding_statements
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
