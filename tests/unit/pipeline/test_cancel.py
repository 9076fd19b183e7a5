"""A signal during a shielded block (the publish's switch) is acted on when the block is done, and
only then; a block that fails takes its own error up and leaves no signal behind for a later block.
Real signals sent to this process (pytest runs tests on the main thread)."""

from __future__ import annotations

import signal

import pytest

from pipeline import cancel


def test_a_signal_in_a_shielded_block_cancels_the_run_when_the_block_is_done() -> None:
    done = []
    with pytest.raises(cancel.RunCancelled, match="SIGTERM"), cancel.cancellable(), cancel.shielded():
        signal.raise_signal(signal.SIGTERM)
        done.append("switched")
    assert done == ["switched"]


def test_a_failing_shielded_block_raises_its_error_and_leaves_no_signal_pending() -> None:
    with pytest.raises(ValueError, match="switch failed"), cancel.cancellable(), cancel.shielded():
        signal.raise_signal(signal.SIGTERM)
        raise ValueError("switch failed")
    with cancel.cancellable(), cancel.shielded():
        pass  # a later block of the same process: no stale cancel


def test_an_inner_failure_caught_by_the_outer_block_still_cancels_at_its_end() -> None:
    # outer: expect the cancel, a shielded block; inner: a shielded block whose error the outer catches
    with (
        pytest.raises(cancel.RunCancelled),
        cancel.cancellable(),
        cancel.shielded(),
        pytest.raises(ValueError),
        cancel.shielded(),
    ):
        signal.raise_signal(signal.SIGTERM)
        raise ValueError("inner")
