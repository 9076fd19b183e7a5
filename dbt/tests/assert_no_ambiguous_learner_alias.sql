-- Warns (never stops the run) when an alias of learner_aliases.csv names two employees on a day a
-- reference it matches was seen: that reference resolves to neither. The references and both
-- candidates are listed in restricted.rpt_unresolved_learners (resolution_method ambiguous_alias).
{{ config(severity='warn') }}

select source, period_number
from {{ ref('int_learners_resolved') }}
where resolution_method = 'ambiguous_alias'
    and learning_record_count + booking_count + invoice_line_count > 0
