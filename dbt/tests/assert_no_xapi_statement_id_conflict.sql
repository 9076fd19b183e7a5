-- Warns when an xAPI statement id was delivered again with other content (refused, the first stored
-- version kept: stg_lms__learning_record_conflicts); the run report says which.
{{ config(severity='warn') }}
select *
from {{ ref('stg_lms__learning_record_conflicts') }}
