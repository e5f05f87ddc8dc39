"""Scam-lure detection: hooks of a known script + a call to action, minus warnings.

A message is a lure when three things hold (the data lives in ``scripts.toml``):

* it is *hooked* to one scam script: distinct terms of that script add up (strong 1.0,
  medium 0.6, weak 0.3) to 1.0, or to 0.6 when the message carries a way off the chat
  (link, handle after 加V / 微信 / QQ, [二维码]); at least one term must be strong or
  medium, because weak terms are only topics (医保, 贷款, 王者荣耀) residents talk about;
* it *asks for action*: a contact or a call to action (私我, 扫码, 转账, 先交...费,
  下载...), unless the hooks are so dense (``self_evident``) and cue-free that the text
  is plainly the lure itself, forwarded without its last line;
* it is not a *warning* about a scam, a question about one, or a report of one
  (提醒, 骗子, 是真的吗, 我直接挂了, 有人说...). Warnings win at 1.0 of cue weight, or
  at 2.0 when the message itself carries a contact: "注意：医保卡要激活，点 xx.top" is
  still a lure, "提醒：xx.top 这种链接是诈骗，千万别点" is a warning.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from guard import normalize

# A lure is short; a 100,000-character paste is scanned only at its head and tail so that
# the decision time stays bounded. Personal-data scanning always covers the whole text.
_HEAD_CHARS = 3000
_TAIL_CHARS = 1000
# A pinyin match must contain at least this many letters the sender typed.
_MIN_TYPED_LETTERS = 3
_MIN_PINYIN_LEN = 5
# Weak terms (游戏, 在家) are too common to be worth their pinyin.
_PINYIN_MIN_WEIGHT = 0.5
# Warning-cue weight that turns a would-be lure into ok: without / with a contact in it.
_WARNED = 1.0
_WARNED_DESPITE_CONTACT = 2.0


@dataclass(frozen=True, slots=True)
class Script:
    id: str
    name: str
    advice: str
    terms: dict[str, float]  # literal term (flat form) -> weight
    patterns: tuple[tuple[re.Pattern[str], float], ...]


@dataclass(frozen=True, slots=True)
class Rules:
    scripts: tuple[Script, ...]
    hooked: float
    hooked_with_contact: float
    core: float  # the medium weight: terms at or above it can carry a hook
    urgency_weight: float
    self_evident: float
    term_re: re.Pattern[str]  # every literal term of every script, longest first
    term_owners: dict[str, tuple[tuple[int, float], ...]]  # term -> (script index, weight)
    cta_re: re.Pattern[str]
    urgency_re: re.Pattern[str]
    warn_strong_re: re.Pattern[str]
    warn_weak_re: re.Pattern[str]
    not_warning_re: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class ScamAssessment:
    script: Script | None  # best script, if any term matched
    hook: float  # that script's hook weight (0 when only weak terms matched)
    call_to_action: bool
    contact: bool  # link / handle / phone / QR placeholder
    outside_contact: bool  # link / handle / QR: a way off this chat, not just a number
    warning: float
    is_lure: bool
    score: float


# ---------------------------------------------------------------------------- loading


def _alternation(items: list[str]) -> str:
    return "|".join(f"(?:{x})" for x in items)


def _literal_alternation(terms: list[str]) -> str:
    return "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))


def _load_script(sid: str, raw: dict[str, Any], weights: dict[str, float]) -> Script:
    terms: dict[str, float] = {}
    for level in ("weak", "medium", "strong"):  # a term listed twice keeps its strongest
        for term in raw.get(level, []):
            terms[normalize.flat(term)] = max(weights[level], terms.get(normalize.flat(term), 0))
    patterns = tuple((re.compile(p["re"]), float(p["weight"])) for p in raw.get("patterns", []))
    return Script(sid, str(raw["name"]), str(raw["advice"]), terms, patterns)


def load_rules(data: dict[str, Any]) -> Rules:
    """Build matchers from the parsed ``scripts.toml`` (tests pass their own dicts)."""
    weights = {k: float(v) for k, v in data["weights"].items()}
    scripts = tuple(_load_script(sid, raw, weights) for sid, raw in data["scripts"].items())
    owners: dict[str, list[tuple[int, float]]] = {}
    for idx, script in enumerate(scripts):
        for term, weight in script.terms.items():
            owners.setdefault(term, []).append((idx, weight))
    cues = data["cues"]
    return Rules(
        scripts=scripts,
        hooked=weights["hooked"],
        hooked_with_contact=weights["hooked_with_contact"],
        core=weights["medium"],
        urgency_weight=weights["urgency"],
        self_evident=weights["self_evident"],
        term_re=re.compile(_literal_alternation(list(owners))),
        term_owners={t: tuple(o) for t, o in owners.items()},
        cta_re=re.compile(_alternation(cues["call_to_action"])),
        urgency_re=re.compile(_alternation(cues["urgency"])),
        warn_strong_re=re.compile(_alternation(cues["warning_strong"])),
        warn_weak_re=re.compile(_alternation(cues["warning_weak"])),
        not_warning_re=re.compile(_alternation(cues["not_warning"])),
    )


@cache
def rules() -> Rules:
    text = resources.files("guard").joinpath("scripts.toml").read_text("utf-8")
    return load_rules(tomllib.loads(text))


def script_by_id(sid: str) -> Script | None:
    return next((s for s in rules().scripts if s.id == sid), None)


# ---------------------------------------------------------------------------- pinyin


@dataclass(frozen=True, slots=True)
class _PinyinIndex:
    terms: dict[str, str]  # every reading of a term, spelt out -> the term
    lengths: tuple[int, ...]  # the distinct lengths of those spellings, ascending


_MAX_SPELLINGS = 64  # readings multiply (单 = dan/shan/chan); cap the product per term


def _spellings(term: str) -> list[str]:
    """All toneless pinyin spellings of ``term`` (单 reads dan, shan or chan)."""
    out = [""]
    for ch in term:
        rs = normalize.readings(ch)
        if not rs:
            return []
        out = [prefix + r for prefix in out for r in rs][:_MAX_SPELLINGS]
    return out


@cache
def _pinyin_index() -> _PinyinIndex:
    wanted = {t for s in rules().scripts for t, w in s.terms.items() if w >= _PINYIN_MIN_WEIGHT}
    index: dict[str, str] = {}
    for term in sorted(wanted):
        if len(term) < 2 or not all("\u4e00" <= ch <= "\u9fff" for ch in term):
            continue
        for spelling in _spellings(term):
            if len(spelling) >= _MIN_PINYIN_LEN:
                index.setdefault(spelling, term)
    return _PinyinIndex(index, tuple(sorted({len(k) for k in index})))


_LATIN_RUN_RE = re.compile(r"[a-z]{2,}")
# Latin runs that are plainly not pinyin: parts of links.
_URLISH_RE = re.compile(r"^(?:https?|www|com|cn|net|top|xyz|vip|cc)$")
_MAX_RUNS = 40  # a message with more Latin runs than this is not a disguised Chinese lure


def pinyin_terms(flat: str) -> set[str]:
    """Script terms spelt (partly) in pinyin around the Latin runs of ``flat``."""
    found: set[str] = set()
    runs = [m for m in _LATIN_RUN_RE.finditer(flat) if not _URLISH_RE.match(m.group())]
    if not runs:
        return found
    index = _pinyin_index()
    for m in runs[:_MAX_RUNS]:
        view, typed = normalize.pinyin_view(flat[max(0, m.start() - 4) : m.end() + 4])
        for i in range(len(view)):
            for length in index.lengths:
                if i + length > len(view):
                    break
                term = index.terms.get(view[i : i + length])
                if term is not None and sum(typed[i : i + length]) >= _MIN_TYPED_LETTERS:
                    found.add(term)
    return found


# ---------------------------------------------------------------------------- contacts

_APP = (
    r"(?:[微薇威徽嶶溦v][信芯心星x]|wx|weixin|wechat|微|薇|qq群|q群|qq|扣扣|抠抠|企鹅|koukou"
    r"|电报|telegram|tg|飞机|whatsapp|line|钉钉|抖音号|快手号|(?<![a-z])[vq])"
)
_HANDLE_RE = re.compile(
    _APP
    + r"(?:号码?|号|号是|是|同号|找我|联系我|搜|搜索|添加|私聊)?[:：]?\s*@?"
    + r"(?=[a-z0-9_\-]*[0-9][a-z0-9_\-]*[0-9])"
    r"([a-z0-9][a-z0-9_\-]{4,})"
)
_TLD = (
    r"com|cn|net|org|top|xyz|vip|cc|club|site|online|shop|app|info|link|me|io|co|ltd|icu|fun"
    r"|live|pro|work|ink|wang|ren|tk|ml|ga|cf|gq|biz|tv|hk|asia|store|cloud|win|bid|cyou|sbs"
)
_URL_RE = re.compile(
    r"(?:https?:/+|www\.)[a-z0-9\-._~/?%&+]+"
    rf"|(?<![a-z0-9@.])[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.(?:{_TLD})(?![a-z])[a-z0-9/\-._~?%&+]*"
)
# Hosts a community notice legitimately links to (government sites, WeChat articles and
# Tencent forms, the common questionnaire services). A lure's link is almost always a
# throw-away domain instead (kd-lipei.xyz, etc-gx.icu).
_TRUSTED_HOST_RE = re.compile(
    r"(?:^|\.)(?:[a-z0-9\-]+\.gov\.cn|qq\.com|wjx\.cn|jinshuju\.(?:net|com)|12306\.cn)$"
)
_LANDLINE_RE = re.compile(r"(?<![0-9])(?:0[0-9]{2,3}-?[0-9]{7,8}|400-?[0-9]{3}-?[0-9]{4})(?![0-9])")
_QR_PLACEHOLDER_RE = re.compile(r"[\[【(（]二维码[\]】)）]")
# Public numbers a warning may quote; they are not a lure's contact.
_PUBLIC_NUMBER_RE = re.compile(
    r"(?<![0-9])(?:110|119|120|122|12110|12315|12345|12338|96110)(?![0-9])"
)


def has_link(flat: str) -> bool:
    """A link to anywhere but a trusted host."""
    for m in _URL_RE.finditer(flat):
        host = re.sub(r"^https?:/+", "", m.group()).split("/")[0].split("?")[0]
        if not _TRUSTED_HOST_RE.search(host):
            return True
    return False


def has_outside_contact(flat: str) -> bool:
    """A way off this chat: a link, a handle after 加V / 微信 / QR, or a QR placeholder."""
    return bool(_HANDLE_RE.search(flat) or _QR_PLACEHOLDER_RE.search(flat) or has_link(flat))


def has_phone(flat: str, phones: int) -> bool:
    """``phones`` is the number of personal phone numbers the PII scanner found (it handles
    spaced, full-width and Chinese-numeral forms and the station's exemptions); landlines
    and 400 numbers are looked for here."""
    return phones > 0 or _LANDLINE_RE.search(_PUBLIC_NUMBER_RE.sub("", flat)) is not None


# ---------------------------------------------------------------------------- scoring


def _hooks(flat: str, r: Rules) -> tuple[Script | None, float]:
    """Best script and its weight. A script whose matches are all weak (topic words such
    as 医保, 贷款, 客服) gets 0: talking about a topic is not a lure."""
    totals = [0.0] * len(r.scripts)
    core = [False] * len(r.scripts)
    terms = {m.group() for m in r.term_re.finditer(flat)} | pinyin_terms(flat)
    for term in terms:
        for idx, weight in r.term_owners.get(term, ()):
            totals[idx] += weight
            core[idx] = core[idx] or weight >= r.core
    for idx, script in enumerate(r.scripts):
        for pattern, weight in script.patterns:
            if pattern.search(flat):
                totals[idx] += weight
                core[idx] = core[idx] or weight >= r.core
    scored = [t if c else 0.0 for t, c in zip(totals, core, strict=True)]
    best = max(range(len(scored)), key=lambda i: scored[i], default=None)
    if best is None or scored[best] <= 0:
        return None, 0.0
    urgency = r.urgency_weight if r.urgency_re.search(flat) else 0.0
    return r.scripts[best], scored[best] + urgency


def _warning(flat: str, r: Rules) -> float:
    text = r.not_warning_re.sub("", flat)
    strong = {m.group() for m in r.warn_strong_re.finditer(text)}
    weak = {m.group() for m in r.warn_weak_re.finditer(text)}
    return len(strong) + 0.5 * len(weak)


def _bounded(text: str) -> str:
    if len(text) <= _HEAD_CHARS + _TAIL_CHARS:
        return text
    return text[:_HEAD_CHARS] + "\n" + text[-_TAIL_CHARS:]


def assess(text: str, *, phones: int = 0) -> ScamAssessment:
    """Decide whether ``text`` is a scam lure. ``phones``: personal phone numbers in it."""
    r = rules()
    flat = normalize.flat(_bounded(text))
    script, hook = _hooks(flat, r)
    outside = has_outside_contact(flat)
    # A phone number is a contact too, but residents post their own all the time, so only
    # a way off the chat (link, handle, QR) lowers the bar for the hooks.
    contact = outside or has_phone(flat, phones)
    cta = contact or r.cta_re.search(flat) is not None
    warning = _warning(flat, r)
    hooked = script is not None and hook >= (r.hooked_with_contact if outside else r.hooked)
    warned = warning >= (_WARNED_DESPITE_CONTACT if contact else _WARNED)
    asks = cta or (hook >= r.self_evident and warning == 0)
    is_lure = hooked and asks and not warned
    score = 0.0
    if is_lure:
        # 0.6 for a bare hook + call to action, up to 1.0 with more hooks and a contact.
        score = min(1.0, 0.6 + 0.15 * (hook - r.hooked) + (0.2 if contact else 0.0))
    return ScamAssessment(script, hook, cta, contact, outside, warning, is_lure, round(score, 3))
