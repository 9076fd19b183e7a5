"""What people read about the runs and the marts: the run report, `trainops status`, the failure
webhook and the compliance lookup."""
