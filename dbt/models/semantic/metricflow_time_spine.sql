-- One row per day, 2015-01-01 .. 2035-12-31: the time spine MetricFlow (dbt's semantic layer) needs.
select cast(date_day as date) as date_day
from ({{ dbt.date_spine("day", "cast('2015-01-01' as date)", "cast('2036-01-01' as date)") }}) as spine
