-- Fails when a cross-system check is over its error threshold (see rpt_cross_system_checks).
select *
from {{ ref('rpt_cross_system_checks') }}
where check_status = 'error'
