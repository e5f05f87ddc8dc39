"""The group cache's background refresh: what it renews, keeps and forgets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.services import GroupCache, GroupInfo

START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def cache_with(*infos: GroupInfo) -> GroupCache:
    cache = GroupCache(ttl=timedelta(seconds=60))
    for info in infos:
        cache.put("telegram", str(info.id), info, START)
    return cache


def test_entries_fall_due_at_half_the_ttl_and_renewed_ones_live_on() -> None:
    cache = cache_with(GroupInfo(1, None, None, "幸福里"))
    assert cache.stale(START + timedelta(seconds=29)) == {}
    later = START + timedelta(seconds=30)
    stale = cache.stale(later)
    assert list(stale) == [("telegram", "1")]

    cache.renew(stale, {1: GroupInfo(1, "xq", 7, "幸福里")}, later)
    assert cache.get("telegram", "1", START + timedelta(seconds=89)) == GroupInfo(
        1, "xq", 7, "幸福里"
    )
    assert cache.get("telegram", "1", START + timedelta(seconds=90)) is None  # not renewed again


def test_an_entry_changed_or_forgotten_during_the_read_is_left_alone() -> None:
    cache = cache_with(GroupInfo(1, None, None, "a"), GroupInfo(2, None, None, "b"))
    later = START + timedelta(seconds=30)
    stale = cache.stale(later)
    cache.forget("telegram", "1")  # this worker's own /unbind, after the read began
    newer = GroupInfo(2, "xq", 7, "b")
    cache.put("telegram", "2", newer, later)  # this worker's own /bind

    cache.renew(stale, {1: GroupInfo(1, "old", 1, "a"), 2: GroupInfo(2, None, None, "b")}, later)
    assert cache.get("telegram", "1", later) is None
    assert cache.get("telegram", "2", later) == newer


def test_a_group_whose_row_is_gone_is_forgotten() -> None:
    cache = cache_with(GroupInfo(1, None, None, "a"))
    later = START + timedelta(seconds=30)
    cache.renew(cache.stale(later), {}, later)
    assert cache.get("telegram", "1", later) is None
