"""A scam wave: the same lure in several of a station's groups within a short time.

Pure: no I/O, no clock. ``handlers.earlywarn`` stores what this module computes and asks
it whether a new sighting starts a wave.

Two messages are *the same lure* when

- their texts are near duplicates: the Jaccard similarity of their sets of character
  bigrams (of the flattened, masked text: spacing, decoration, homoglyphs and personal
  numbers do not count) is at least ``threshold``, estimated by MinHash from a
  ``HASHES``-long signature (the standard error of the estimate is at most
  ``0.5 / sqrt(HASHES)`` = 0.044); or
- they name the same way off the chat: a handle after 加V / 微信 / QQ, a mobile number, a
  link's host (its first path segment too on hosts everyone shares, such as t.me), or a QR
  code's payload.

Only the signature and hashes of the handles are kept (``Fingerprint.encode``): neither
the text nor a number can be read back from them.

A sighting is counted with the earlier sightings of the same station that are the same
lure and fall in the window; a wave starts when they come from at least ``groups_needed``
different groups and none of them belongs to a wave already. A sighting that matches a
wave's sighting joins that wave: one warning per wave, not per sighting.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from guard import pii, scam
from guard.normalize import flat

HASHES = 128
SHINGLE = 2  # characters: Chinese words are short, so bigrams survive small edits best
HANDLE_DIGEST = 16  # hex characters kept of each handle's SHA-256

# Only letters, digits and Chinese characters count towards the text's shape.
_NOT_WORD_RE = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+")
# Hosts many unrelated links share (messengers' invite links, link shorteners): the first
# path segment names the account, group or link; the host alone names nothing.
_SHARED_HOSTS = frozenset(
    {
        "t.me", "telegram.me", "wa.me", "chat.whatsapp.com", "u.wechat.com", "url.cn",
        "dwz.cn", "t.cn", "suo.im", "bit.ly", "tinyurl.com", "is.gd", "s.id", "j.mp",
    }
)  # fmt: skip

# Fixed multipliers and offsets of the hash family (multiply-shift on 64 bits: odd
# multipliers, the high 32 bits of a*x + b). Fixed, so signatures made by any process at
# any time compare.
_RANDOM = np.random.Generator(np.random.PCG64(20261206))
_A = _RANDOM.integers(1, 2**63, size=HASHES, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_B = _RANDOM.integers(0, 2**63, size=HASHES, dtype=np.uint64)
_EMPTY = tuple([0xFFFFFFFF] * HASHES)


def shape(text: str) -> str:
    """The text as compared: personal numbers masked, flattened (``guard.normalize``),
    letters, digits and Chinese characters only."""
    return _NOT_WORD_RE.sub("", flat(pii.mask_pii(text)))


def shingles(shaped: str) -> frozenset[str]:
    """The character bigrams of a shaped text (a one-character text is its own shingle)."""
    if len(shaped) <= SHINGLE:
        return frozenset([shaped]) if shaped else frozenset()
    return frozenset(shaped[i : i + SHINGLE] for i in range(len(shaped) - SHINGLE + 1))


def _hash64(item: str) -> int:
    return int.from_bytes(hashlib.blake2b(item.encode("utf-8"), digest_size=8).digest(), "big")


def minhash(items: Iterable[str]) -> tuple[int, ...]:
    """The MinHash signature of a set: for each of ``HASHES`` hash functions, the least
    value over the set. The share of positions where two signatures agree estimates the
    sets' Jaccard similarity."""
    values = np.array(sorted({_hash64(item) for item in items}), dtype=np.uint64)
    if values.size == 0:
        return _EMPTY
    with np.errstate(over="ignore"):  # multiply-shift hashing wraps around 2**64 on purpose
        hashed = (_A[:, None] * values[None, :] + _B[:, None]) >> np.uint64(32)
    return tuple(int(v) for v in hashed.min(axis=1))


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard similarity of the sets behind two signatures."""
    if len(a) != len(b) or not a:
        return 0.0
    if tuple(a) == _EMPTY or tuple(b) == _EMPTY:
        return 0.0
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a)


def handles(text: str, codes: Sequence[str] = (), exempt: frozenset[str] = frozenset()) -> set[str]:
    """The ways off the chat a lure names, written one way whatever the disguise:
    ``id:<handle>``, ``tel:<11 digits>``, ``web:<host>[/<first segment>]``, ``qr:<payload>``.
    ``exempt``: the station's public numbers (not a lure's contact)."""
    found = {f"id:{h}" for h in scam.contact_handles(flat(text))}
    for link in scam.links(flat(text)):
        host, _, path = link.partition("/")
        host = host.removeprefix("www.")
        if host not in _SHARED_HOSTS:
            found.add(f"web:{host}")
        elif segment := path.split("/")[0].split("?")[0]:
            found.add(f"web:{host}/{segment}")
    for number in pii.find_numbers(text, exempt_numbers=exempt, strict=True):
        if number.kind == "phone":
            found.add(f"tel:{number.value[-11:]}")
    found.update(f"qr:{code.strip()}" for code in codes if code.strip())
    return found


def _digest(handle: str) -> str:
    return hashlib.sha256(handle.encode("utf-8")).hexdigest()[:HANDLE_DIGEST]


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What is kept of a lure to recognise it again: a MinHash signature of its text's
    bigrams and the digests of its handles."""

    signature: tuple[int, ...]
    handles: frozenset[str]  # digests

    @property
    def empty(self) -> bool:
        return self.signature == _EMPTY and not self.handles

    def encode(self) -> tuple[str, str]:
        """(signature, handles) as stored: fixed-width hex, and space-separated digests."""
        return "".join(f"{v:08x}" for v in self.signature), " ".join(sorted(self.handles))

    @classmethod
    def decode(cls, signature: str, digests: str) -> Fingerprint:
        try:
            values = tuple(np.frombuffer(bytes.fromhex(signature), dtype=">u4").tolist())
        except ValueError:  # not hex, or not whole values: reads as no text
            values = ()
        return cls(values if len(values) == HASHES else _EMPTY, frozenset(digests.split()))


def fingerprint(
    text: str, codes: Sequence[str] = (), exempt: frozenset[str] = frozenset()
) -> Fingerprint:
    """The fingerprint of a lure's text (a message, or what OCR read in a picture) and of
    the QR codes that came with it."""
    return Fingerprint(
        minhash(shingles(shape(text))),
        frozenset(_digest(h) for h in handles(text, codes, exempt)),
    )


def same_lure(a: Fingerprint, b: Fingerprint, threshold: float) -> bool:
    return bool(a.handles & b.handles) or similarity(a.signature, b.signature) >= threshold


@dataclass(frozen=True, slots=True)
class Sighting:
    """A lure seen in one group of the station (``id`` as stored, ``wave``: the wave it
    belongs to, if any)."""

    id: int
    group: int
    at: datetime
    fingerprint: Fingerprint
    wave: int | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a new sighting means: it joins ``join`` (a wave under way), starts a new wave
    (``starts``), or neither; ``matched``: the earlier sightings that are the same lure,
    ``groups``: the groups it was seen in (the new one's included)."""

    matched: tuple[int, ...]
    groups: frozenset[int]
    join: int | None = None
    starts: bool = False


def assess(
    new: Sighting,
    earlier: Iterable[Sighting],
    *,
    groups_needed: int,
    window: timedelta,
    threshold: float,
) -> Verdict:
    """Whether ``new`` starts a wave, joins one, or is counted for later; ``earlier``: the
    station's sightings (any order; ``new`` itself and those more than ``window`` from it,
    before or after, are ignored: a backlog may be handled out of order)."""
    matches = [
        seen
        for seen in earlier
        if seen.id != new.id
        and abs(new.at - seen.at) <= window
        and same_lure(new.fingerprint, seen.fingerprint, threshold)
    ]
    groups = frozenset({new.group, *(seen.group for seen in matches)})
    matched = tuple(sorted(seen.id for seen in matches))
    waves = [seen.wave for seen in matches if seen.wave is not None]
    if new.wave is not None or waves:
        return Verdict(matched, groups, join=new.wave or max(waves))
    return Verdict(matched, groups, starts=len(groups) >= groups_needed)
