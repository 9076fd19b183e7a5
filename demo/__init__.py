"""The demo enterprise generator: a deterministic, scalable organisation with its HR, LMS, session,
booking and invoice drops, reference data and the ground truth of what it planted."""

from demo.generator import generate

__all__ = ["generate"]
