-- Every raw row of every load is in staging (staged or superseded by a later version) or in
-- quarantine, and the load's files hold exactly the rows its manifest counts (docs/ARCHITECTURE.md:
-- "Nothing is silently dropped").
select *
from {{ ref('rpt_load_reconciliation') }}
where not is_balanced
