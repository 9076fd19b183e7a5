"""The run itself, without Prefect: configuration (`trainops.yaml`), the extract and validate steps,
the run lifecycle (lock, recovery, run records), backfill planning and the quarantine commands."""
