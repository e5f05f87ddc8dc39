"""Scam-lure detection: pretext + hook of a known script + an ask, minus warnings.

A lure is a pretext (who the sender claims to be), a hook (what they promise or
threaten) and an ask (contact, link, transfer, card, code, app). A message is a lure
when three things hold (the data lives in ``scripts.toml``):

* it is *hooked* to one scam script: distinct terms and patterns of that script add up
  (strong 1.0, medium 0.6, weak 0.3) to 1.0, or to 0.6 when the message carries a way
  off the chat (link, handle after 加V / 微信 / QQ, [二维码]); at least one term must be
  strong or medium, because weak terms are only topics (医保, 贷款, 王者荣耀) residents
  talk about. Generic hooks (先交...费, 验证码, 百分百成功, 屏幕共享) add to whichever
  script the message touches. A script with a ``pretext`` list (impersonated relatives
  and bosses) counts only when one is there: "退休金打到这张卡上 6222..." is a
  resident's own card, "妈，我换号了...打到这张卡上" is a lure;
* it *asks for action*: a contact or a call to action (私我, 扫码, 转账, 想了解的,
  交个朋友, 转接...), or, with no warning or question cue at all, the text is plainly
  the lure itself: hooks dense enough (``self_evident``), or a script-specific hook
  (包过, 稳赢, 安全账户) pushed with urgency (名额有限, 今日内);
* it is not a *warning* about a scam, a question about one, or a report of one
  (提醒, 骗子, 是真的吗, 我直接挂了, 有人说, 不会通过个人微信收费, 到物业领取...).
  Warnings win at 1.0 of cue weight, or at 2.0 when the message itself carries a
  contact: "注意：医保卡要激活，点 xx.top" is still a lure, "提醒：xx.top 这种链接是
  诈骗，千万别点" is a warning. The scammer's own orders (请勿挂断, 别告诉家人, 你涉嫌
  诈骗案) are not warnings.

Terms are matched literally on the flat text and, around Latin letters, in pinyin
(shuadan, 淘bao理pei) through the FAQ matcher's syllable index.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from guard import normalize

# A lure is short; a 100,000-character paste is scanned only at its head and tail so that
# the decision time stays bounded. Personal-data scanning always covers the whole text.
_HEAD_CHARS = 3000
_TAIL_CHARS = 1000
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
    # Who the sender claims to be or what happened to them (我是你表弟, 换号了, 出事了).
    # A script that has one is a lure only with it: "退休金打到这张卡上 6222..." is a
    # resident posting their own card, not a relative begging for money.
    pretext: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class Rules:
    scripts: tuple[Script, ...]
    hooked: float
    hooked_with_contact: float
    core: float  # the medium weight: terms at or above it can carry a hook
    urgency_weight: float
    self_evident: float
    self_evident_strong: float
    # every literal term by its first character -> the lengths of those terms, longest first
    term_starts: dict[str, tuple[int, ...]]
    term_owners: dict[str, tuple[tuple[int, float], ...]]  # term -> (script index, weight)
    # Hooks shared by every script (先交...费, 验证码, 百分百成功): they add to any script
    # the message already touches, and carry a hook alone only when strong.
    generic: tuple[tuple[re.Pattern[str], float], ...]
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


def _term_starts(terms: list[str]) -> dict[str, tuple[int, ...]]:
    lengths: dict[str, set[int]] = {}
    for term in terms:
        lengths.setdefault(term[0], set()).add(len(term))
    return {c: tuple(sorted(ls, reverse=True)) for c, ls in lengths.items()}


def _load_script(sid: str, raw: dict[str, Any], weights: dict[str, float]) -> Script:
    terms: dict[str, float] = {}
    for level in ("weak", "medium", "strong"):  # a term listed twice keeps its strongest
        for term in raw.get(level, []):
            terms[normalize.flat(term)] = max(weights[level], terms.get(normalize.flat(term), 0))
    patterns = tuple((re.compile(p["re"]), float(p["weight"])) for p in raw.get("patterns", []))
    pretext = re.compile(_alternation(raw["pretext"])) if raw.get("pretext") else None
    return Script(sid, str(raw["name"]), str(raw["advice"]), terms, patterns, pretext)


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
        self_evident_strong=weights.get("self_evident_strong", weights["self_evident"]),
        term_starts=_term_starts(list(owners)),
        term_owners={t: tuple(o) for t, o in owners.items()},
        generic=tuple(
            (re.compile(p["re"]), float(p["weight"]))
            for p in data.get("generic", {}).get("patterns", [])
        ),
        cta_re=re.compile(_alternation(cues["call_to_action"])),
        urgency_re=re.compile(_alternation(cues["urgency"])),
        warn_strong_re=re.compile(_alternation(cues["warning_strong"])),
        warn_weak_re=re.compile(_alternation(cues["warning_weak"])),
        not_warning_re=re.compile(_alternation(cues["not_warning"])),
    )


@cache
def scripts_text() -> str:
    """``scripts.toml`` as shipped: the rules, the learned model's warning, the QR kinds,
    and part of the learned model's cache key."""
    return resources.files("guard").joinpath("scripts.toml").read_text("utf-8")


@cache
def rules() -> Rules:
    return load_rules(tomllib.loads(scripts_text()))


@cache
def learned_script() -> Script:
    """What a lure the learned model found, with no rule script hooked, is warned as."""
    raw = tomllib.loads(scripts_text())["learned"]
    return Script("learned", str(raw["name"]), str(raw["advice"]), {}, ())


def script_by_id(sid: str) -> Script | None:
    return next((s for s in rules().scripts if s.id == sid), None)


# ---------------------------------------------------------------------------- pinyin
# Scammers also spell hooks in pinyin, whole (shuadan, jianzhi) or half (淘bao理pei, 客fu,
# 中jiang). The FAQ matcher's ``TermIndex`` already matches terms on toneless syllables and
# splits Latin typed inline into syllables; the guard reuses it around the Latin runs of a
# message. Its typo rule (a homophone sharing half the characters is the term) is right for
# a question but far too loose for an accusation: 注意保暖 sounds like ...医保..., 没人收
# like 每人收. So a pinyin match counts only where every Chinese character in the span is
# the term's own character and the rest was typed in Latin letters.

# Enough typed letters that a stray syllable (a, e, o) cannot make a term.
_MIN_TYPED_LETTERS = 2
_PINYIN_WINDOW = 6  # characters on each side of a Latin run that may complete a term
_LATIN_RUN_RE = re.compile(r"[a-z]+")
# Latin glued to digits is a handle or a code (lipei1990, sd8866), not a disguised word.
_HANDLE_WORD_RE = re.compile(r"[0-9]")
_MAX_RUNS = 40  # a message with more Latin runs than this is not a disguised Chinese lure
_CJK_TERM_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True, slots=True)
class _PinyinIndex:
    index: Any  # faq.text.TermIndex over the terms that hold Chinese characters
    spelled: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]  # term -> syllables, chars
    tokenize: Callable[[str], list[Any]]
    token: Callable[[str, str], Any]  # faq.text.Token


@cache
def _pinyin_index() -> _PinyinIndex:
    # Imported here, not at the top: faq.text loads pypinyin's tables (hundreds of ms),
    # which importing the guard (the CLI, tests of the number scanner) should not pay.
    from faq.text import TermIndex, Token, compile_term, tokenize

    terms = [t for t in rules().term_owners if _CJK_TERM_RE.search(t)]
    spelled = {t: (c.syllables, c.chars) for t in terms for c in (compile_term(t),)}
    return _PinyinIndex(TermIndex(terms), spelled, tokenize, Token)


def _spelled_in(tokens: list[Any], syllables: tuple[str, ...], chars: tuple[str, ...]) -> bool:
    """Whether ``tokens`` hold the term with some of its characters typed in pinyin."""
    size = len(syllables)
    for start in range(len(tokens) - size + 1):
        span = tokens[start : start + size]
        if tuple(t.syllable for t in span) != syllables:
            continue
        typed = 0
        for want, got in zip(chars, span, strict=True):
            if got.char and got.char != want:
                break  # a different character: a homophone, not a disguise
            if want and not got.char:
                typed += len(got.syllable)
        else:
            if typed >= _MIN_TYPED_LETTERS:
                return True
    return False


def _windows(flat: str) -> list[str]:
    """The stretches of ``flat`` around Latin runs that could hold a pinyin term."""
    spans: list[tuple[int, int]] = []
    for m in _LATIN_RUN_RE.finditer(flat):
        if len(spans) >= _MAX_RUNS:
            break
        glued = flat[max(0, m.start() - 1) : m.start()] + flat[m.end() : m.end() + 1]
        if _HANDLE_WORD_RE.search(glued):
            continue
        start, end = max(0, m.start() - _PINYIN_WINDOW), m.end() + _PINYIN_WINDOW
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return [flat[a:b] for a, b in spans]


def pinyin_terms(flat: str) -> set[str]:
    """Script terms written (partly) in pinyin in ``flat``: shuadan, 淘bao, 理pei."""
    found: set[str] = set()
    windows = _windows(flat)
    if not windows:
        return found
    py = _pinyin_index()
    for window in windows:
        tokens = py.tokenize(window)
        # The index is asked on syllables alone (every token passed as if typed in Latin,
        # so its typo rule never runs); the disguise rule above then checks the characters.
        sounds = [py.token(t.syllable, "") for t in tokens]
        for term in py.index.find(sounds):
            if term not in window and _spelled_in(tokens, *py.spelled[term]):
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


def links(flat: str) -> list[str]:
    """The links to anywhere but a trusted host, as host and path (no scheme)."""
    found = []
    for m in _URL_RE.finditer(flat):
        link = re.sub(r"^https?:/+", "", m.group())
        if not _TRUSTED_HOST_RE.search(link.split("/")[0].split("?")[0]):
            found.append(link)
    return found


def has_link(flat: str) -> bool:
    """A link to anywhere but a trusted host."""
    return bool(links(flat))


def contact_handles(flat: str) -> list[str]:
    """The handles named after 加V / 微信 / QQ / 飞机 ... (the account, without the app)."""
    return [m.group(1) for m in _HANDLE_RE.finditer(flat)]


def has_outside_contact(flat: str) -> bool:
    """A way off this chat: a link, a handle after 加V / 微信 / QR, or a QR placeholder."""
    return bool(_HANDLE_RE.search(flat) or _QR_PLACEHOLDER_RE.search(flat) or has_link(flat))


def asks_to_act(text: str) -> bool:
    """``text`` asks the reader to act (add, transfer, lend, scan, contact ...), by its
    words alone: give it the text without its phone numbers, since a number is no ask."""
    return _ready().cta_re.search(normalize.flat(_bounded(text))) is not None


def has_phone(flat: str, phones: int) -> bool:
    """``phones`` is the number of personal phone numbers the PII scanner found (it handles
    spaced, full-width and Chinese-numeral forms and the station's exemptions); landlines
    and 400 numbers are looked for here."""
    return phones > 0 or _LANDLINE_RE.search(_PUBLIC_NUMBER_RE.sub("", flat)) is not None


# ---------------------------------------------------------------------------- scoring


@dataclass(frozen=True, slots=True)
class _Hook:
    script: Script | None
    weight: float  # term weights + urgency; 0 when only weak terms matched
    strong: bool  # a strong term or pattern of that script: specific to the scam
    urgency: bool


def found_terms(flat: str, r: Rules | None = None) -> set[str]:
    """Distinct script terms in ``flat``, literal or in pinyin. Terms overlapping each
    other all count (老师带单 holds 老师带 and 带单); a term inside a longer one found
    at the same place does not (稳赚 in 稳赚不赔 is one hook, not two)."""
    r = r or rules()
    owners, starts = r.term_owners, r.term_starts
    found: set[str] = set()
    covered = 0  # end of the longest term found so far
    for i, ch in enumerate(flat):
        for size in starts.get(ch, ()):
            term = flat[i : i + size]
            if term in owners:
                if i + size > covered:  # not inside a longer term that started earlier
                    found.add(term)
                    covered = i + size
                break  # the longest term here; shorter ones starting here are inside it
    # Longest first: a set's order changes with each process's string hashing, and a
    # shorter term met first (yin行) would let its longer one (yin行卡) count twice.
    for term in sorted(pinyin_terms(flat), key=lambda t: (-len(t), t)):
        if not any(term in other for other in found):
            found.add(term)
    return found


def _hooks(flat: str, r: Rules) -> _Hook:
    """Best script and its weight. A script whose matches are all weak (topic words such
    as 医保, 贷款, 客服) gets 0: talking about a topic is not a lure; so does a script
    whose pretext is missing."""
    totals = [0.0] * len(r.scripts)
    best_term = [0.0] * len(r.scripts)
    for term in found_terms(flat, r):
        for idx, weight in r.term_owners.get(term, ()):
            totals[idx] += weight
            best_term[idx] = max(best_term[idx], weight)
    for idx, script in enumerate(r.scripts):
        for pattern, weight in script.patterns:
            if pattern.search(flat):
                totals[idx] += weight
                best_term[idx] = max(best_term[idx], weight)
    generic = [w for pattern, w in r.generic if pattern.search(flat)]
    if generic:
        for idx, total in enumerate(totals):
            if total > 0:
                totals[idx] += sum(generic)
                best_term[idx] = max(best_term[idx], *(w for w in generic if w >= 1.0), 0.0)
    scored = [
        t if b >= r.core and (s.pretext is None or s.pretext.search(flat)) else 0.0
        for t, b, s in zip(totals, best_term, r.scripts, strict=True)
    ]
    best = max(range(len(scored)), key=lambda i: scored[i], default=None)
    if best is None or scored[best] <= 0:
        return _Hook(None, 0.0, False, False)
    urgent = r.urgency_re.search(flat) is not None
    weight = scored[best] + (r.urgency_weight if urgent else 0.0)
    return _Hook(r.scripts[best], weight, best_term[best] >= 1.0, urgent)


# A phrase in quotation marks (那种“刷单返利”的, 说什么“安全账户”) is someone quoting a
# script, usually to warn about it; it counts as one weak warning cue. Quotes are dropped
# from the flat text, so this looks at the text as written.
_QUOTED_RE = re.compile(r"[“「『‘\"][^“”「」『』‘’\"\n]{2,24}[”」』’\"]")


def _warning(flat: str, r: Rules, *, quoted: bool = False) -> float:
    text = r.not_warning_re.sub("", flat)
    strong = {m.group() for m in r.warn_strong_re.finditer(text)}
    weak = {m.group() for m in r.warn_weak_re.finditer(text)}
    return len(strong) + 0.5 * (len(weak) + quoted)


def _bounded(text: str) -> str:
    if len(text) <= _HEAD_CHARS + _TAIL_CHARS:
        return text
    return text[:_HEAD_CHARS] + "\n" + text[-_TAIL_CHARS:]


@cache
def _ready() -> Rules:
    """The rules, with the pinyin index built too: the first message pays for both, so
    that no later message (the first one with Latin letters) stalls on the build."""
    _pinyin_index()
    return rules()


def assess(text: str, *, phones: int = 0) -> ScamAssessment:
    """Decide whether ``text`` is a scam lure. ``phones``: personal phone numbers in it."""
    r = _ready()
    bounded = _bounded(text)
    flat = normalize.flat(bounded)
    hook = _hooks(flat, r)
    outside = has_outside_contact(flat)
    # A phone number is a contact too, but residents post their own all the time, so only
    # a way off the chat (link, handle, QR) lowers the bar for the hooks.
    contact = outside or has_phone(flat, phones)
    cta = contact or r.cta_re.search(flat) is not None
    warning = _warning(flat, r, quoted=_QUOTED_RE.search(bounded) is not None)
    hooked = hook.script is not None and hook.weight >= (
        r.hooked_with_contact if outside else r.hooked
    )
    warned = warning >= (_WARNED_DESPITE_CONTACT if contact else _WARNED)
    # Without an explicit ask, the text must be plainly the lure itself: dense in one
    # script's terms, or a script-specific hook (包过, 稳赢, 安全账户) with a second
    # signal or pushed with urgency (名额有限, 今日内) - and no warning or question cue.
    implicit = warning == 0 and (
        hook.weight >= r.self_evident
        or (hook.strong and (hook.urgency or hook.weight >= r.self_evident_strong))
    )
    asks = cta or implicit
    is_lure = hooked and asks and not warned
    score = 0.0
    if is_lure:
        # 0.6 for a bare hook + call to action, up to 1.0 with more hooks and a contact.
        score = min(1.0, 0.6 + 0.15 * (hook.weight - r.hooked) + (0.2 if contact else 0.0))
    return ScamAssessment(
        hook.script, hook.weight, cta, contact, outside, warning, is_lure, round(score, 3)
    )
