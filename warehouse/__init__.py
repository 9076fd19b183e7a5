"""Where the marts are built and published: the dbt build, the neutral catalogue of raw tables, and
one module per target (DuckDB file publish, Postgres schema swap, Spark)."""
