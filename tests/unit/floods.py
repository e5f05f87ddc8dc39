"""Floods of one form (20,000 characters of a plate, a door, a digit...): the guard's rules
must stay linear. The bound catches cost that grows faster than the text (backtracking
took minutes), not speed, which ``bench/guard.py`` prints; it is CPU time, so a loaded
machine does not fail it."""

from __future__ import annotations

import time

from guard.detect import check
from guard.pii import find_pii, mask_pii

CPU_SECONDS = 2.0  # a linear flood takes 0.1-0.3 s here


def flood(unit: str, length: int = 20_000) -> str:
    return (unit * (length // len(unit) + 1))[:length]


def assert_cheap(text: str, *, decide: bool = True) -> None:
    """Finding, masking and (``decide``) the whole decision on ``text`` stay cheap."""
    check("热身")
    started = time.process_time()
    find_pii(text)
    mask_pii(text)
    if decide:
        check(text)
    assert time.process_time() - started < CPU_SECONDS
