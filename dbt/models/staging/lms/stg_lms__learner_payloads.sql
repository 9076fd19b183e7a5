{#- The source payloads (`raw`: an xAPI statement, or a CSV row's extra columns) that learner
    references came with, so rpt_unresolved_learners can read a learner's name from them — for the
    few references no employee matched only. A view: its reader filters to those references before
    anything parses a payload. -#}
{{ config(materialized='view') }}

with

learning_records as (
    select * from {{ source('lms', 'learning_record') }} as landed
    where {{ not_quarantined('lms.learning_record', 'landed') }}
),

bookings as (
    select * from {{ source('lms', 'booking') }} as landed
    where {{ not_quarantined('lms.booking', 'landed') }}
),

final as (
    select
        _source,
        {{ clean_text('learner_ref') }} as learner_ref,
        'learning_records' as seen_in,
        raw
    from learning_records
    where raw is not null
    union all
    select
        _source,
        {{ clean_text('learner_ref') }} as learner_ref,
        'bookings' as seen_in,
        raw
    from bookings
    where raw is not null
)

select * from final
