"""Bad input costs nothing (issue 21): the guard is linear and never raises."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.inbound import clean_text
from guard.detect import check
from guard.pii import find_addresses, mask_pii

ADDRESS_FLOOD = "5栋301,"


def _seconds(text: str) -> float:
    """This thread's CPU time: the work the check does, not what else the machine runs."""
    started = time.thread_time()
    check(text)
    return time.thread_time() - started


def test_address_check_is_linear() -> None:
    check(ADDRESS_FLOOD)  # warm the rules
    # Quadratic before: 0.3-0.5 s at 4,092 characters, 5-7 s at 16,000 (red team).
    assert _seconds(ADDRESS_FLOOD * 2_300) < 0.5
    assert len(find_addresses(ADDRESS_FLOOD * 10)) == 0  # no name: no address finding
    named = find_addresses("我叫王小明，" + ADDRESS_FLOOD * 10)
    assert len(named) == 10  # one name cue makes every address personal, as before


def test_worst_inputs_after_the_edge_are_cheap() -> None:
    check(ADDRESS_FLOOD)
    floods = [ADDRESS_FLOOD, "1", "1 ", "一三八", "😀", "a", "身份证丢了怎么办？", "13812345678,"]
    # Generous for a shared CI machine; bench/input_worst.py prints the real figures.
    worst = max(_seconds(clean_text(unit * 4096)) for unit in floods)
    assert worst < 0.25


# Text as it might arrive before the edge: any code point, lone surrogates included.
RAW = st.text(alphabet=st.characters(codec=None), max_size=400)
MIXED = st.lists(
    st.sampled_from(
        ["5栋301", "13812345678", "一三八", "\ud83d", "\u202e", "\u200b", "我叫王小明", "，", " "]
    )
    | RAW,
    max_size=40,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(MIXED)
def test_guard_never_raises(text: str) -> None:
    check(text)
    mask_pii(text)
    check(clean_text(text))
    mask_pii(clean_text(text))
