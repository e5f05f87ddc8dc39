"""Personal data in a message: ID numbers, mobile and household landline numbers, bank
cards, home addresses, passports, a labelled document's or record's number with its
holder named or said (退休证号, 退役军人优待证号, 医保卡号, 住院号, 透析登记号, 户号, 公积金账号,
体检报告编号, a property certificate, a court case's number with its parties, a police
receipt's number with the one who reported, a police case's (宁公(兴)立字〔2024〕1136号)
with its victim or party, a certificate's in its issuer's words (宁退字第2016-04723号) with
its holder, the credit code of a resident's own one-person shop ...), a pupil's 学号 or 学籍号
with the name, a child's name with the school class (or with the school and a grade, when
the child is told missing or with the home too), a social account with its owner named
next to it or with where they live, a plate with its owner or driver named
anywhere in the message, a QQ number with whose it is, a list of households by door and
name (an arrears list), and what PIPL counts as sensitive said of a named person: their
health (a diagnosis, a chronic illness, an allergy, a disability) or their record with the
police and the courts (刑满释放, 前科, 吸毒, 被拘留, 社区矫正, 取保候审, 酒驾被拘).

Numbers are found on the *original* text (so that masking can replace exactly the
characters the sender typed) by one scan for runs of digit-like characters: ASCII and
full-width digits, circled and other decorated digits (⑤⓪⓪, ❶) and Chinese numerals
(一三八, 幺 for 1, 洞/〇/零 for 0, 拐 for 7, 勾 for 9, 壹贰叁; right after a phone's word,
the homophones typed by ear too: 要 for 1, 酒 for 9, 屋 for 5), separated by at most a few
spaces, dashes or dots (138 1234 5678, 138-1234-5678, 一八六 五五三二 ...) or "soft"
separators: emoji, commas, slashes, brackets, a line break (138🌸0951🌸2233,
(0951)5012345, 138095⏎12233). A run is split into its groups and consecutive groups are
tried together, so a phone number followed by a year or a price in the same run is still
found. Runs a few words apart are joined as well when a word next to them announces a
phone or an ID (电话 138 转 0951 转 2233).

A candidate counts only if it is *valid*, not merely long: an 18-digit ID must carry a
real province and birth date (a wrong check character is still warned about and
masked), a card must pass Luhn and start like a card -- or be named as one (卡号, 银行卡,
账户, a bank's name, 户名 / 收款人, 打到这张卡, before or after it), or start with UnionPay's
62 in blocks of four --, a mobile must be 1[3-9] plus nine digits, a landline an area code
and words that make it a household's (我家座机, 老家座机, 娘家电话, 我爸那个固话, 赵老师家座机)
-- or, without the area code, 7 or 8 digits after such words in a message that names the
person (家里电话：5136284，户主王建民); or a line, with or without the area code, whose
message names the person it reaches and no business (座机 6012378，找王建国).
Digits joined loosely (across soft separators or words, or out of single digits) are
read only as a phone or an ID whose check character holds: lists of amounts and dates join
up like that too. Order and tracking numbers (a number right after 订单号/运单号/取件码/...
or glued to letters such as SF/JD, though not tel/V/sfz, nor an ID whose check
character holds: T + the holder's ID is a permit's number) are not personal data when
*detecting*, nor is a trade's number in its advert (开锁换锁 ... 公安备案); when *masking*,
every valid number is masked regardless, since a log line never needs the number and
masking one too many is harmless.
"""

from __future__ import annotations

import bisect
import re
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Literal, get_args

PiiKind = Literal[
    "id",
    "passport",
    "document",
    "student",
    "phone",
    "landline",
    "bank",
    "address",
    "child",
    "plate",
    "health",
    "record",
    "qq",
    "wechat",
    "email",
    "social",
    "credential",
    "ward",
    "alone",
    "private",
]


def _labels() -> dict[str, str]:
    """The Chinese name of each kind, for residents (``pii_labels.toml``): every kind has one."""
    raw = resources.files("guard").joinpath("pii_labels.toml").read_text("utf-8")
    labels = {str(k): str(v) for k, v in tomllib.loads(raw)["labels"].items()}
    missing = set(get_args(PiiKind)) - set(labels)
    if missing:
        raise ValueError(f"pii_labels.toml names no label for {sorted(missing)}")
    return labels


LABELS: dict[str, str] = _labels()

# ----------------------------------------------------------------- digit characters

# Including the "financial" capitals (壹贰叁...) that people use for amounts and,
# now and then, to write a phone number past a filter, and the radio way of saying digits
# that former soldiers and drivers keep (幺 1, 两 2, 拐 7, 勾 9, 洞 0).
_CN_DIGITS = "零〇洞一幺二两三四五六七八九壹贰貳叁參肆伍陆陸柒捌玖拐勾"
_CN_VALUES = "0001122345678912233456678979"


def _other_digits() -> str:
    """Digits in every other written form: circled ⑤⓪⓪ and ❶➋, math bold 𝟓, superscripts,
    other scripts' digits. Decoration changes nothing: a number is a number."""
    ranges = (
        *((0x00B2, 0x00BA), (0x2070, 0x2089), (0x2460, 0x24FF), (0x2776, 0x2793)),
        *((0x1D7CE, 0x1D7FF), (0x0660, 0x0669), (0x06F0, 0x06F9)),
    )
    found = [
        chr(code)
        for a, b in ranges
        for code in range(a, b + 1)
        if unicodedata.digit(chr(code), None) is not None
    ]
    return "".join(found)


_OTHER_DIGITS = _other_digits()
_DIGIT_CHARS = "0-9０-９" + _CN_DIGITS + _OTHER_DIGITS
# Characters that may sit between digit groups of one number as it is usually written.
# Zero-width characters are allowed too: they are a known way to split a number so that a
# plain \d{11} never matches. So are the variation selector and keycap that make 5️⃣ an
# emoji digit.
_TIGHT_SEP_CHARS = " \t\u00a0\u3000\\-‐‑‒–—―－.．·・_\u200b-\u200f\u2060\ufeff\ufe0f\u20e3"
# Characters that split a number only to dodge a filter or to group it oddly: 138🌸0951🌸2233,
# 138/0951/2233, 138，0951，2233, (0951)5012345 -- or a line break where a pasted number
# wrapped (138095⏎12233). Lists of amounts and dates are written with them too, so a number
# joined across one of these counts only as a phone number (11 digits of a valid shape),
# never as a card (Luhn passes one joined list in ten) or an ID without its check or cue.
# Circled and dingbat digits (①, ❶) sit in these symbol blocks and are left out of them.
_SOFT_SEP_CHARS = (
    "\n\r/／|｜,，、()（）\\[\\]【】~～"
    "\u2190-\u21ff\u2300-\u23ff\u25a0-\u2775\u2794-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff"
)
_SEP_CHARS = _TIGHT_SEP_CHARS + _SOFT_SEP_CHARS
# The X that ends an ID may be typed apart from it, as every digit is (6 4 0 … 0 2 X).
_RUN_RE = re.compile(
    f"[{_DIGIT_CHARS}](?:[{_SEP_CHARS}]{{0,3}}[{_DIGIT_CHARS}])*"
    f"(?:[ \u3000]{{0,3}}[XxＸｘ](?![A-Za-z]))?"
)
_SEP_SPLIT_RE = re.compile(f"[{_SEP_CHARS}]+")
_SOFT_SEP_RE = re.compile(f"[{_SOFT_SEP_CHARS}]")
_DIGIT_CHAR_RE = re.compile(f"[{_DIGIT_CHARS}]|[XxＸｘ]$")  # an X only ends an ID
_TO_ASCII = str.maketrans(
    "０１２３４５６７８９" + _CN_DIGITS + "Ｘｘx" + _OTHER_DIGITS,
    "0123456789" + _CN_VALUES + "XXX" + "".join(str(unicodedata.digit(c)) for c in _OTHER_DIGITS),
)

# Short public service numbers and hotlines are never personal data.
PUBLIC_NUMBERS = frozenset(
    {"110", "119", "120", "122", "12110", "12315", "12338", "12345", "12351", "12306", "96110"}
)

# Words that say "the number that follows is an order / parcel / meeting number".
_NOT_PERSONAL_BEFORE_RE = re.compile(
    r"(?:订单|单号|运单|快递单|物流单|取件码|提货码|会议号|会议id|编号|工号|学号|流水号|交易号"
    r"|发票|车牌|车架号|尾号|验证码|序列号|imei|条码|券码|兑换码|批次|案件号|受理号|回执号"
    # A shop's, a canteen's or a gym's card: its number says nothing of a bank account.
    r"|(?:会员|积分|购物|饭|加油|公交|门禁|储值|健身|校园|消费|礼品|提货)(?:卡|一卡通))"
    r"(?:号码?|编号|id)?[\s:：是为]*$"
)
# A number a business or a service puts out for anyone to call (订餐电话, 报修电话, 物业电话,
# 客服电话). Not a resident's personal data -- but a lure's 客服电话 is its contact, so the
# scam rules still count it. The station's and its officers' numbers are not guessed from
# words: the station's exempt list says which are public (值班电话 13912345678 is a mobile
# like any other unless listed).
_PUBLISHED_BEFORE_RE = re.compile(
    r"(?:服务|咨询|报名|预约|订餐|订购|送餐|热线|客服|售后|投诉|报修|维修|物业|店里|商家|公司"
    r"|送水|订水|水站|送货|配送|开锁|搬家|家政|保洁|修车|修理|店|铺)"
    r"的?\s?(?:电话|手机|热线|座机)(?:号码?)?[\s:：是为]*$"
)


# ----------------------------------------------------------------- validators

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# First two digits of a mainland resident ID: province-level codes.
_PROVINCES = frozenset(
    {
        *("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36"),
        *("37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62"),
        *("63", "64", "65", "71", "81", "82", "83"),
    }
)


def id_check_char(first17: str) -> str:
    """GB 11643-1999 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    return date(1880, 1, 1) <= born <= date.today()


def is_valid_id18(s: str) -> bool:
    """18 characters, province code, real birth date and a correct check character."""
    if len(s) != 18 or not s[:17].isdigit() or s[17] not in "0123456789X":
        return False
    if s[:2] not in _PROVINCES:
        return False
    if not _valid_date(int(s[6:10]), int(s[10:12]), int(s[12:14])):
        return False
    return id_check_char(s[:17]) == s[17]


def looks_like_id18(s: str) -> bool:
    """Province code and real birth date, whatever the check character: a mistyped or
    invented ID still tells who someone is (or is a scammer's bait), so it is warned about
    and masked like a valid one."""
    if len(s) != 18 or not s[:17].isdigit() or s[17] not in "0123456789X":
        return False
    return s[:2] in _PROVINCES and _valid_date(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def looks_like_mistyped_id(s: str) -> bool:
    """An 18-character ID with a digit dropped or doubled (17 or 19 characters) whose
    province code and birth date still stand: it still tells who someone is."""
    if len(s) not in (17, 19) or not s[:-1].isdigit() or s[-1] not in "0123456789X":
        return False
    return s[:2] in _PROVINCES and _valid_date(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def is_valid_id15(s: str) -> bool:
    """Old 15-digit ID (issued before 1999): province code and a 19YYMMDD birth date.
    There is no check digit, so this is the best available plausibility test."""
    if len(s) != 15 or not s.isdigit() or s[:2] not in _PROVINCES:
        return False
    return _valid_date(1900 + int(s[6:8]), int(s[8:10]), int(s[10:12]))


# Luhn doubles every second digit from the right, subtracting 9 above 9: 0246813579.
_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")


def luhn_ok(digits: str) -> bool:
    if not digits.isdigit() or len(digits) < 2:
        return False
    backwards = digits[::-1]
    kept, doubled = backwards[0::2], backwards[1::2].translate(_LUHN_DOUBLED)
    return (sum(map(int, kept)) + sum(map(int, doubled))) % 10 == 0


def is_card(digits: str) -> bool:
    """16-19 digits, Luhn, and a first digit used by card schemes in China (UnionPay 62,
    Visa 4, Mastercard 5, JCB/Amex 3, old domestic 9, 60/65). Numbers starting with 1 or 2
    are dates, orders and phones far more often than cards."""
    return 16 <= len(digits) <= 19 and digits[0] in "34569" and luhn_ok(digits)


def is_mobile(digits: str) -> bool:
    return len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789"


def is_landline(digits: str) -> bool:
    """An area code and a subscriber number: 010 or 02X with 8 digits, 0XXX with 7 or 8.
    A subscriber number never starts with 0 or 1 (those are trunk and service prefixes)."""
    if len(digits) < 10 or digits[0] != "0" or not digits.isdigit() or digits[1] == "0":
        return False
    area = 3 if digits[1] in "12" else 4
    subscriber = digits[area:]
    return len(subscriber) in ((8,) if area == 3 else (7, 8)) and subscriber[0] in "23456789"


def is_local_landline(digits: str) -> bool:
    """A subscriber number written without its area code, as people do within their own
    city (家里电话 5136284): 7 or 8 digits, not starting with 0 or 1."""
    return len(digits) in (7, 8) and digits.isdigit() and digits[0] in "23456789"


def _strip_country_code(digits: str) -> str:
    if len(digits) == 13 and digits.startswith("86"):
        return digits[2:]
    if len(digits) == 15 and digits.startswith("0086"):
        return digits[4:]
    return digits


@dataclass(frozen=True, slots=True)
class Cues:
    """What the words right before a number say about it.

    ``card``: 卡号 / 银行卡 / 工资卡, a bank's name, 户名 / 收款人 ... -- 16-19 digits are a
    card number even when Luhn fails (a mistyped card still tells whose account it is).
    ``home``: 我家座机 / 家里电话
    ... -- a landline is personal only then; shops, offices and the station publish theirs.
    ``id``: 身份证 / 证件号 -- 18 digits with a real province and birth date are an ID even
    when written loosely (640104，19880517，2319) and the check character is wrong.
    """

    card: bool = False
    home: bool = False
    id: bool = False


NO_CUES = Cues()


def classify_number(
    candidate: str,
    exempt: frozenset[str] = frozenset(),
    cues: Cues = NO_CUES,
    *,
    loose: bool = False,
) -> PiiKind | None:
    """Which kind of personal number ``candidate`` (ASCII digits, maybe a final X) is.

    ``loose``: the digits were joined across emoji, commas or words, or out of pieces
    shorter than the blocks cards and IDs are written in. Lists of amounts, dates and
    codes join up like that too, so only a phone number or an ID whose check character
    holds is read then."""
    if loose:
        if is_valid_id18(candidate) or (cues.id and looks_like_id18(candidate)):
            return "id"
        if candidate.endswith("X"):
            return None
    elif candidate.endswith("X"):
        return "id" if looks_like_id18(candidate) else None
    elif looks_like_id18(candidate) or is_valid_id15(candidate):
        return "id"
    elif looks_like_mistyped_id(candidate) and (cues.id or len(candidate) == 17):
        # 17 digits are no card a bank issues with an ID's province and birth date; 19
        # are a card's length too, so only when named an ID.
        return "id"
    local = _strip_country_code(candidate)
    if is_mobile(local):
        return None if local in exempt or candidate in exempt else "phone"
    if cues.home and is_landline(candidate):
        return None if candidate in exempt else "landline"
    if loose:
        return None
    if is_card(candidate) or (cues.card and 16 <= len(candidate) <= 19):
        return None if candidate in exempt else "bank"
    return None


# ----------------------------------------------------------------- number scanning


@dataclass(frozen=True, slots=True)
class Finding:
    kind: PiiKind
    start: int
    end: int
    value: str  # ASCII digits (and X) for numbers, the matched text for addresses
    published: bool = False  # a business's or a service's line (only when asked for)


_SCRIPT_SPLIT_RE = re.compile(
    f"(?<=[0-9０-９])(?=[{_CN_DIGITS}])|(?<=[{_CN_DIGITS}])(?=[0-9０-９])"
)


@dataclass(frozen=True, slots=True)
class _Group:
    start: int
    end: int
    digits: str
    chinese: bool  # written in Chinese numerals (一三八 ...)
    soft: bool = False  # joined to the group before by a soft separator (🌸 ， / ...)
    glued: bool = False  # no separator before it, only a switch of script (1三8)
    wrapped: bool = False  # on the next line: a pasted number wrapped (138095⏎12233)


def _groups(run: str, offset: int) -> list[_Group]:
    """Digit groups of a run. Separators split groups, and so does a switch between
    Arabic digits and Chinese numerals: 卡号6222...5542一直 must not read 一 as a digit."""
    out: list[_Group] = []
    pos = 0
    pieces: list[tuple[int, int, bool, bool]] = []
    soft = wrapped = False
    for sep in _SEP_SPLIT_RE.finditer(run):
        if sep.start() > pos:
            pieces.append((pos, sep.start(), soft, wrapped))
        soft = _SOFT_SEP_RE.search(sep.group()) is not None
        wrapped = "\n" in sep.group()
        pos = sep.end()
    if pos < len(run):
        pieces.append((pos, len(run), soft, wrapped))
    for a, b, soft_before, wrapped_before in pieces:
        sub = 0
        for part in _SCRIPT_SPLIT_RE.split(run[a:b]):
            if part:
                s = offset + a + sub
                chinese = part[0] in _CN_DIGITS
                digits = part.translate(_TO_ASCII)
                first = sub == 0
                out.append(
                    _Group(
                        *(s, s + len(part), digits, chinese),
                        *(soft_before and first, not first, wrapped_before and first),
                    )
                )
            sub += len(part)
    return out


# How people group the digits of a mobile they write out: 138 0951 2233, 138 09512233,
# 1380951 2233, 1380 9512233 -- or one digit at a time (1🌸3🌸8...). Numbers listed with
# commas (房号 1302，1503，502) join up into eleven digits too, in no such shape.
_PHONE_SHAPES = frozenset({(3, 4, 4), (3, 8), (7, 4), (4, 7)})


def _phone_shape(lengths: list[int]) -> bool:
    if sum(lengths) > 11 and lengths[0] == sum(lengths) - 11:  # 86 / 0086 written apart
        lengths = lengths[1:]
    return tuple(lengths) in _PHONE_SHAPES or max(lengths) <= 2


def _unionpay_card(digits: str, lengths: list[int]) -> bool:
    """16-19 digits starting 62 (UnionPay's IIN: nearly every Chinese debit card) and
    written in a card's blocks of four (6222 0212 3456 7890 123): a card without any word
    and whatever its checksum. An order or a tracking number is never grouped like that."""
    return (
        16 <= len(digits) <= 19
        and digits.startswith("62")
        and len(lengths) in (4, 5)
        and all(n == 4 for n in lengths[:4])
    )


def _piece_lengths(
    groups: list[_Group], i: int, j: int, trim_first: int, trim_last: int
) -> list[int]:
    lengths: list[int] = []
    for g in groups[i : j + 1]:
        if g.glued and lengths:
            lengths[-1] += len(g.digits)
        else:
            lengths.append(len(g.digits))
    lengths[0] -= trim_first
    lengths[-1] -= trim_last
    return [n for n in lengths if n > 0]


_Hit = tuple[int, int, str, PiiKind]


def _window_kind(
    groups: list[_Group],
    i: int,
    j: int,
    joined: str,
    exempt: frozenset[str],
    cues: Cues,
    loose: bool,
    soft: bool,
) -> _Hit | None:
    """Classify groups i..j joined. A number spoken in Chinese numerals may run into a
    word that starts or ends with a numeral (打一三八..., ...七八九一定), so for those
    edges one character less is tried as well. Loosely joined groups can only make a
    phone number, or an ID whose check character holds; across a soft separator, a phone
    number only in the shape people write one."""
    start, end = groups[i].start, groups[j].end
    tries = [(0, 0)]
    if joined.endswith("X"):  # not an ID after all: the x is just a letter after a number
        tries.append((0, 1))
    if len(joined) > 11 and groups[j].chinese:
        tries.append((0, 1))
    if len(joined) > 11 and groups[i].chinese:
        tries.append((1, 0))
    for cut_first, cut_last in dict.fromkeys(tries):
        digits = joined[cut_first : len(joined) - cut_last]
        kind = classify_number(digits, exempt, cues, loose=loose)
        if kind is None and not loose and digits not in exempt:
            lengths = _piece_lengths(groups, i, j, cut_first, cut_last)
            kind = "bank" if _unionpay_card(digits, lengths) else None
        shaped = kind != "phone" or not soft
        if not shaped:
            lengths = _piece_lengths(groups, i, j, cut_first, cut_last)
            # A number cut in two by a line break is cut anywhere (but a list's "1." alone).
            wrapped = len(lengths) == 2 and min(lengths) >= _MIN_PIECE
            wrapped = wrapped and any(g.wrapped for g in groups[i + 1 : j + 1])
            shaped = wrapped or _phone_shape(lengths)
        if kind is not None and shaped:
            return start + cut_first, end - cut_last, digits, kind
    return None


def _may_be_number(joined: str, loose: bool, cues: Cues) -> bool:
    """A cheap look at length and first digits before the full checks: a flood of digits
    with a separator between each ("5 5 5 ...", "9🌸9🌸...") makes ten windows per digit."""
    n, first = len(joined), joined[0]
    if joined.endswith("X"):  # an ID's check character, or a letter after a number
        return n == 18 or (n > 11 and _may_be_number(joined[:-1], loose, cues))
    if n in (15, 18) and joined[:2] in _PROVINCES:  # an ID
        return True
    if (n == 11 and first == "1") or (n == 13 and joined.startswith("86")):  # a mobile
        return True
    if first == "0" and n in (11, 12, 15):  # a landline, or a mobile after 0086
        return True
    return 16 <= n <= 19 and not loose and (first in "34569" or cues.card)


def _run_findings(
    text: str, start: int, end: int, exempt: frozenset[str], self_named: bool = False
) -> list[_Hit]:
    """Greedy left-to-right: at each group take the longest valid window of groups. The
    cues before the run only speak about a window that starts at the run's start -- or
    right after a Chinese numeral that ends a word or a name (收款人张三 6217..., 李四，6217...),
    whose words before it are read as well."""
    groups = _groups(text[start:end], start)
    found: list[_Hit] = []
    i = 0
    while i < len(groups):
        best: tuple[int, _Hit] | None = None
        joined = ""
        soft = tiny = unlined = False
        if i == 0:
            window_cues = _cues_around(text, start, end, self_named)
        elif groups[i - 1].chinese and not groups[i].chinese:
            window_cues = _cues_around(text, groups[i].start, end, self_named)
        else:
            window_cues = NO_CUES
        for j in range(i, len(groups)):
            joined += groups[j].digits
            # Loose: joined across a soft separator, or out of pieces shorter than a card's
            # or an ID's blocks (5 5 5 5 ...) unless the words before say it is a card:
            # only a phone or a checked ID is read then.
            if j > i:
                soft = soft or groups[j].soft
                unlined = unlined or (groups[j].soft and not groups[j].wrapped)
                tiny = tiny or len(groups[j - 1].digits) < 3
            if len(joined) > 20 or "X" in joined[:-1]:  # an X only ever ends an ID
                break
            if len(joined) < 11:  # no personal number is shorter (a flood reads 10 of 11)
                continue
            # A card over lines (bank⏎6217 0012⏎3456 7890⏎户名...): with its holder named.
            lined = soft and not unlined and not tiny and window_cues.card
            lined = lined and _card_holder_named(text)
            loose = (soft and not lined) or (tiny and not window_cues.card)
            edge_cn = groups[i].chinese or groups[j].chinese
            if edge_cn or _may_be_number(joined, loose, window_cues):
                hit = _window_kind(groups, i, j, joined, exempt, window_cues, loose, soft)
                if hit is not None and lined and hit[3] != "bank":  # only a card joins lines
                    hit = _window_kind(groups, i, j, joined, exempt, window_cues, True, soft)
                if hit is not None and not (hit[3] == "phone" and _inside_spelt(groups, i, j)):
                    best = (j, hit)
        if best is None:
            i += 1
            continue
        found.append(best[1])
        i = best[0] + 1
    return found


def _inside_spelt(groups: list[_Group], i: int, j: int) -> bool:
    """Groups i..j are single digits inside a longer run of them (6 2 1 7 0 0 ... spelt
    out): a phone is all of such a run, not eleven digits in the middle of a card."""

    def single(k: int) -> bool:
        return 0 <= k < len(groups) and len(groups[k].digits) == 1 and not groups[k].soft

    spelt = all(len(g.digits) == 1 for g in groups[i : j + 1])
    return spelt and ((single(i - 1) and not groups[i].soft) or single(j + 1))


# Letters glued to a number name a courier or a shop's order (SF123..., JD...), except
# these, which announce a contact or an ID (sfz: 身份证's initials): tel13809512233,
# V13809512233, call 138..., sfz640104....
_PERSONAL_LETTERS_RE = re.compile(
    r"(?<![a-z])(?:tel|call|phone|mobile|mob|v|vx|wx|wechat|qq|sfzh?|id)$"
)


def _context(text: str, start: int, checked_id: bool = False) -> str | None:
    """Why the words before a number say it is not personal: "order" (an order, tracking
    or meeting number, or digits glued to letters: SF123..., JD...), "published" (a
    business's or a service's number put out for anyone to call), or None.
    ``checked_id``: the number is an ID whose check character holds. Letters glued before
    it are then a certificate's prefix (特种作业操作证 T + the holder's ID), not a courier's:
    an order number passes the ID's checksum by chance once in many thousands."""
    before = unicodedata.normalize("NFKC", text[max(0, start - 12) : start]).lower()
    if start > 0 and text[start - 1].isascii() and text[start - 1].isalpha():
        personal = checked_id or _PERSONAL_LETTERS_RE.search(before) is not None
        return None if personal else "order"
    if _NOT_PERSONAL_BEFORE_RE.search(before):
        return "order"
    return "published" if _PUBLISHED_BEFORE_RE.search(before) else None


# Words right before a number that make 16-19 digits a card whatever its checksum.
# A shop's, a gym's or a canteen's card number (会员卡号, 饭卡号) says nothing of an account.
_CARD_CUE_RE = re.compile(
    r"(?:(?<!会员)(?<!积分)(?<!购物)(?<!加油)(?<!公交)(?<!门禁)(?<!饭)(?<!储值)(?<!健身)卡号"
    r"|银行卡|储蓄卡|借记卡|信用卡|工资卡|养老金卡|退休金卡|[工农建中交招邮]行卡"
    # the benefits' cards a bank issues: subsidies and pensions are paid into them
    r"|(?<!校园)(?<!公交)(?<!饭)一卡通|惠农卡|社保卡|存折"
    r"|(?:银行|收款|转账|汇款)?[账帐](?:号|户))"
    # 卡号你记一下 / 卡号您存好: the reader is told to note it down
    r"(?:[，,]?(?:你|您)?(?:记|存|收|抄)(?:一下|下|好|着))?[号码是为的:：,，\s]{0,5}$"
)
# Words next to a landline that make it a household's (我家座机, 家里电话, 宅电, 我妈的电话,
# 张阿姨的座机 ...); without them a landline is a shop's, an office's or the station's.
# 家 alone is no cue: 商家, 酒家, 搬家 are businesses.
_PERSON = (
    "我|咱|他|她|你|本人|老人|父母|爸爸?|妈妈?|爷爷|奶奶|姥姥|姥爷|外公|外婆|老伴|老公|老婆"
    "|媳妇|儿子|女儿|闺女|孩子|阿姨|叔叔|大爷|大妈|舅舅?|姑姑|姨妈?|舅妈|姑妈|亲戚|邻居"
    "|哥哥|姐姐|弟弟|妹妹|岳父|岳母|公公|婆婆|丈母娘|老丈人|亲家|女婿|儿媳|孙子|孙女|父亲|母亲"
)
# 我们 alone is how a shop speaks (我们的电话); 我们家 is a household. So are the family's
# other homes: 老家, 娘家, 婆家 -- and "我爸那个固话" says whose line it is with 那个 between.
_HOUSEHOLD = (
    rf"(?:(?:{_PERSON})?家[里中]|我们家|老家|娘家|婆家|老宅|(?:[我咱他她你]的?)?(?:{_PERSON})家?"
    r"|住宅|家庭)"
    r"(?:那个|这个|那边|那儿|那里|那|这)?"  # 我妈那边的座机: where the parent lives
)
# Who someone is to the writer: a relative said short or by marriage (我哥, 我姐夫), a
# former spouse (我和前夫王强), a friend or a colleague.
_KIN = (
    rf"{_PERSON}|表哥|表姐|表弟|表妹|堂哥|堂姐|堂弟|堂妹"
    r"|姐夫|妹夫|嫂子|弟媳|弟妹|小舅子|大舅哥|姑父|姨父|连襟|前夫|前妻|丈夫|妻子|爱人|哥|姐|弟|妹"
    r"|外甥女?|侄子|侄女|外孙女?|儿媳妇?|孙媳妇"
    r"|同事|朋友|同学|战友|老乡|对象|男朋友|女朋友"
)
# Someone other than the writer (我爸, 老伴, 邻居 ...).
_OTHERS_KIN = "|".join(k for k in _KIN.split("|") if k not in ("我", "咱", "你", "本人"))
# Whose someone is, said before their name (我舅舅马福林, 我和前夫王强, 他弟).
_KIN_SAID = rf"(?:[我他她](?:(?:和|跟|与)?的?(?:{_KIN}))?\s*(?:[,，、]\s*)?)"
# 家里新装的座机, 我家刚拉的固话: the line just put in
_NEW_LINE = "(?:新装|新安装?|刚装|新拉|刚拉|新办|刚办|新换|刚换)?"
_HOME_PHONE_CUE_RE = re.compile(
    rf"{_HOUSEHOLD}{_NEW_LINE}的?(?:座机|固话|固定电话|电话|号码)(?:号码?)?[号码是为:：\s(（]{{0,5}}$"
    r"|宅电[是为:：\s(（]{0,5}$"
)
# A number with its area code right after the home (我家0951-5012345, 我妈家 0951-...): the
# area code says it is a line, the home whose -- no line word needed. Without the area
# code, 我家 and seven digits are as often a date or a count.
_HOME_BEFORE_RE = re.compile(
    rf"(?:(?:{_PERSON})家[里中]?|家[里中]|我们家|老家|娘家|婆家)(?:那边|那儿|那里)?[是的:：\s(（]{{0,3}}$"
)
# The same said after the number: "0951-5012345 是我家座机", "...（家里电话）".
_HOME_PHONE_AFTER_RE = re.compile(
    rf"[\s,，(（]*(?:是|为|这是)?{_HOUSEHOLD}的?(?:座机|固话|固定电话|电话)|[\s,，(（]*宅电"
    r"|[\s,，(（]*(?:是|为|这是)(?:[我咱俺他她]们?|老人)家的"  # ... 是我家的
)
# A line's word before the number and the home said just after it (固定电话 零九五一 四一二三八
# 零六 家里有人; 座机 0951-4123806，家中老人接): the line rings in a home. 商家, 厂家 and 店家
# are businesses, so 家 counts only as 家里 / 家中 / 我家 / 在家 ...
_LINE_WORD_RE = re.compile(r"(?:座机|固话|固定电话|电话)(?:号码?)?[是为:：\s(（]{0,3}$")
_HOME_WORD_AFTER_RE = re.compile(
    r"[\s,，。)）]{0,2}(?:[^\s,，。;；!！?？]{0,4}?)(?:(?:[我咱俺他她]们?|在|回|老人)家|(?<![商店厂酒卖买东作专行国大农])家[里中人]|家庭)"
)


# A tradesman's or a shop's advert (开锁换锁 139... 公安备案, 家政服务 保洁 月嫂 联系电话
# 151...): its numbers are put out for anyone to call, like a 订餐电话. Told by how a trade
# speaks of itself, not by the trade's name: a resident who needed a plumber or a delivery
# (送货上门, 找开锁的) gives their own number in the same words. An advert speaks of no one
# either: a resident says whose the number is (我, 我家, 老人 ... -- 我们 alone is how a shop
# speaks) or names someone, and the number stays personal then.
_TRADE_AD_RE = re.compile(
    r"公安备案|欢迎来电|欢迎咨询|欢迎订购|欢迎惠顾|营业时间|价格优惠|价格实惠|诚信经营|随叫随到|承接"
    r"|(?:开锁|换锁|保洁|搬家|维修|疏通|家政|回收|月嫂|保姆)服务|开锁换锁|换锁开锁"
    r"|专业(?:开锁|换锁|保洁|搬家|维修|疏通|家政|回收)"
)
_SOMEONE_RE = re.compile(rf"(?!我们(?!家))(?:{_PERSON})")


@lru_cache(maxsize=8)
def _trade_advert(text: str) -> bool:
    """The message is a trade's advert that speaks of no one (see ``_TRADE_AD_RE``)."""
    return (
        _TRADE_AD_RE.search(text) is not None
        and _SOMEONE_RE.search(text) is None
        and not _names_anywhere(text)
    )


_ID_WORDS = "身份证|证件|证号|身份号"
_ID_CUE_BEFORE_RE = re.compile(rf"(?:{_ID_WORDS})[号码是为的:：\s]{{0,5}}$")
_ID_CUE_RE = re.compile(_ID_WORDS)
ID_CUE_REACH = 40  # characters before a number in which 身份证 / 证件 names it


# A bank named by its name or short form, or the words of a transfer slip (户名, 收款人,
# 开户行) or of "pay into this card" (打到这张卡, 钱打我卡上): people give the number of an
# account that way as often as after 卡号, before the number or after it (6217... 农行).
_BANKS = (
    "工商银行|工行|建设银行|建行|农业银行|农行|中国银行|中行|交通银行|交行|邮储|邮政|招商银行|招行"
    "|浦发|兴业|民生|光大|中信|华夏|平安|广发"
    "|[\u4e00-\u9fff]{0,4}(?:农商行?|农信社?|信用社)|[\u4e00-\u9fff]{2,4}(?:银行|支行|分行|营业部)"
)
_PAYEE = "户名|收款人|收款方|开户行|开户名|开户人|开户银行|持卡人"
_THIS_CARD = (
    r"(?:这张|这个|那张|那个|我的?|他的?|她的?|我这)卡"
    # a relative's card (我妹的卡, 我表哥的工资卡, 他爸的建行卡)
    rf"|(?:[我他她]的?)?(?:{_OTHERS_KIN})的?(?:银行|工资|储蓄|{_BANKS})?卡"
    r"|(?:打|转|汇|存)到?(?:这张|这个|我|他|她)?的?卡"
)
# The payee's name may sit between the word and the number: 收款人张三 6217...
_PAYEE_NAME = r"(?:[:：\s]*[\u4e00-\u9fff]{2,4})?"
_BANK_CUE_BEFORE_RE = re.compile(
    rf"(?:{_BANKS}|{_THIS_CARD}|(?:{_PAYEE}){_PAYEE_NAME})(?:的?(?:卡号?|账号|账户))?(?:上|里)?"
    r"(?:就行|就好|就可以|吧)?[号码是为的:：,，\s]{0,5}$"
)
_BANK_CUE_AFTER_RE = re.compile(
    rf"[\s,，(（]*(?:[\u4e00-\u9fff]{{2,4}}[\s,，]+)?(?:是|为|这是)?(?:{_BANKS}|{_PAYEE})"
)


def _cues_around(text: str, start: int, end: int, self_named: bool = False) -> Cues:
    """``self_named``: the message names the writer or the person its line reaches and
    speaks of no business or office, so a landline in it is a person's (``_line_named``)."""
    before = unicodedata.normalize("NFKC", text[max(0, start - 14) : start])
    after = unicodedata.normalize("NFKC", text[end : end + 14])
    card = (
        _CARD_CUE_RE.search(before) is not None
        or _BANK_CUE_BEFORE_RE.search(before) is not None
        or _BANK_CUE_AFTER_RE.match(after) is not None
        or _CARD_WHOSE_AFTER_RE.match(after) is not None
    )
    home = (
        self_named
        or _HOME_PHONE_CUE_RE.search(before) is not None
        or _HOME_PHONE_AFTER_RE.match(text, end, end + 14) is not None
        or _named_home(before)
        or (
            text[start:end].translate(_TO_ASCII).startswith("0")
            and _HOME_BEFORE_RE.search(before) is not None
        )
        or (
            _LINE_WORD_RE.search(before) is not None
            and _HOME_WORD_AFTER_RE.match(text, end, end + 10) is not None
        )
    )
    # An ID named a clause earlier (他身份证我记下来了，号码是 ...) still says what 18 digits
    # with a real province and birth date are.
    id_cue = (
        _ID_CUE_BEFORE_RE.search(before) is not None
        or _ID_CUE_RE.search(text, max(0, start - ID_CUE_REACH), start) is not None
    )
    return Cues(card, home, id_cue) if card or home or id_cue else NO_CUES


def _normalise_exempt(numbers: frozenset[str]) -> frozenset[str]:
    out: set[str] = set()
    for n in numbers:
        digits = "".join(ch for ch in unicodedata.normalize("NFKC", n) if ch.isdigit())
        if digits:
            out.add(digits)
            out.add(_strip_country_code(digits))
    return frozenset(out)


# A number split by words: 138 转 0951 转 2233, 前三位138中间0951最后2233, 身份证前六位640104
# 中间19880517后四位2310, 卡号6217开头的，中间是0039581022，尾号3456. Only next to a word that
# announces such a number, only across short gaps inside one sentence, and only from pieces
# of at least three digits, so that room numbers, dates and prices listed in a notice never
# join up. What is joined must be a mobile in a phone's shape, an ID with a real province
# and birth date after 身份证, or a card's 16-19 digits told with a card's word and its
# holder named (户名马桂英) or passing Luhn: a tail number alone (尾号3456) is no card.
# A line break ends a sentence, except before the words that give the rest of the number
# (1380951⏎后四位2233).
_WORD_GAP_RE = re.compile(
    r"[^。！？!?；;\n*＊×]{1,8}|[^。！？!?；;\n*＊×]{0,4}\n\s*(?:后|尾|末|最后|剩下)[^。！？!?；;\n*＊×]{0,5}"
)
_PHONE_CUE_RE = re.compile(r"电话|手机|号码|联系|打我|拨打|致电|座机|微信|薇信|call|tel|加我|加v")
_CARD_WORD_RE = re.compile(rf"卡|存折|[账帐](?:号|户)|{_BANKS}|{_PAYEE}")
_MIN_PIECE = 3
_CN_WORD_NUMERAL_RE = re.compile(f"[{_CN_DIGITS}]{{1,2}}")


def _numeral_in_words(text: str, run: re.Match[str]) -> bool:
    """The run is a numeral inside the words between pieces (后四位, 一下, 前7位)."""
    numeral = run.group()
    return _CN_WORD_NUMERAL_RE.fullmatch(numeral) is not None or (
        len(numeral) <= 2 and text.startswith("位", run.end())
    )


_MAX_PIECES = 4
_CUE_REACH = 10  # characters before the first piece or after the last


# Words between pieces that say which part of the number comes next (后三位, 中间, 然后是): a
# mobile told so may be cut anywhere (13709518，后三位821; 前五位13995，后六位012346).
_PART_WORDS_RE = re.compile(
    "[前后末尾][0-9一二三四五六七八九]位|尾号|尾数|最后|后面|然后|中间|接着|再加|再往后"
)


def _worded_kind(
    joined: str, lengths: list[int], exempt: frozenset[str], parted: bool = False
) -> tuple[PiiKind, re.Pattern[str]] | None:
    local = _strip_country_code(joined)
    shaped = _phone_shape(lengths) or (parted and len(lengths) <= 3)
    if local.isdigit() and is_mobile(local) and local not in exempt and shaped:
        return "phone", _PHONE_CUE_RE
    if looks_like_id18(joined):  # the cue is required below, so a wrong check is fine
        return "id", _ID_CUE_RE
    if joined.isdigit() and 16 <= len(joined) <= 19 and joined[0] in "34569":
        return "bank", _CARD_WORD_RE  # and its holder named, below
    return None


def _bin_list(pieces: list[tuple[int, int, str]]) -> bool:
    """Two or more pieces that are each a card's first six digits (622848是农行，621700是建行):
    a list of banks' prefixes, not one card told in parts."""
    return sum(len(d) == 6 and d[0] in "3456" for _, _, d in pieces) >= 2


@lru_cache(maxsize=8)
def _card_holder_named(text: str) -> bool:
    """The card's holder is named in the message: 户名马桂英, 持卡人是我爸王德福, 户主马建国 --
    or the writer names themself (我叫马建国 ... 卡号 ...): the card they give is their own."""
    return any(_is_name(m.group(1)) for m in _CARD_HOLDER_RE.finditer(text)) or _self_named(text)


def _worded_numbers(
    text: str, pieces: list[tuple[int, int, str]], exempt: frozenset[str]
) -> list[_Hit]:
    """Numbers whose pieces are separate runs with a few words between them.
    ``pieces``: (start, end, digits) of each run in order; digits are empty for a run that
    already held a number, so nothing joins across it."""
    found: list[_Hit] = []
    k = 0
    while k < len(pieces):
        hit: tuple[_Hit, re.Pattern[str]] | None = None
        joined = ""
        lengths: list[int] = []
        parted = True  # every gap so far says which part comes next
        for n in range(k, min(k + _MAX_PIECES, len(pieces))):
            start, end, digits = pieces[n]
            if len(digits) < _MIN_PIECE or "X" in digits[:-1]:
                break
            if n > k and not _WORD_GAP_RE.fullmatch(text, pieces[n - 1][1], start):
                break
            if n > k:
                parted = parted and _PART_WORDS_RE.search(text, pieces[n - 1][1], start) is not None
            joined += digits
            lengths.append(len(digits))
            if len(joined) > 19:
                break
            kind = _worded_kind(joined, lengths, exempt, parted) if n > k else None
            if kind is not None and kind[0] == "bank" and _bin_list(pieces[k : n + 1]):
                kind = None
            if kind is not None:
                hit = ((pieces[k][0], end, joined, kind[0]), kind[1])
        if hit is None:
            k += 1
            continue
        (first, last, _, _), cue_re = hit
        around = text[max(0, first - _CUE_REACH) : first] + " " + text[last : last + _CUE_REACH]
        cued = cue_re.search(unicodedata.normalize("NFKC", around).lower()) is not None
        # A card told in parts is one with its holder named, or when the whole passes Luhn
        # (前面是62170012，后面是34567893): a tail number alone (尾号3456) never joins.
        if cued and (hit[0][3] != "bank" or luhn_ok(hit[0][2]) or _card_holder_named(text)):
            found.append(hit[0])
        k += 1
        while k < len(pieces) and pieces[k][0] < last:
            k += 1
    return found


# A local number as typed: 5136284, 513-6284, 5136 2840 (no numerals, no emoji between).
_LOCAL_RUN_RE = re.compile("[0-9０-９]{3,4}[-－ ]?[0-9０-９]{3,5}")


def _leading_local(run: str) -> int:
    """The length of the local number a run starts with, up to a soft separator (5136284,
    and the next line's 2号楼 after it), or 0."""
    m = _LOCAL_RUN_RE.match(run)
    if m is None or (m.end() < len(run) and not _SOFT_SEP_RE.match(run, m.end())):
        return 0
    return m.end()


# A phone word right before a local number (座机 6012378, 回个电话给 5023467): a line, whose
# it is said elsewhere in the message (找王建国) -- see ``_line_named``.
_LINE_WORD_BEFORE_RE = re.compile(
    r"(?:座机|固话|固定电话|电话|号码)(?:号码?)?(?:是|为|给|打)?[:：\s(（]{0,3}$"
)
_LocalHow = Literal["named", "home", "line"]


def _local_landline(
    text: str, start: int, end: int, exempt: frozenset[str]
) -> tuple[_Hit, _LocalHow] | None:
    """A landline without its area code, only where the words next to it say it is a
    home's (家里电话：5136284) or a line's (座机 6012378): 7 or 8 digits alone are prices,
    codes and dates as often. Also says how much those words tell: "named" (赵老师家座机,
    王建民家电话: whose home), "home" (a home's, whose is to be said in the message) or
    "line" (a line's; the message must name the person it reaches)."""
    digits = text[start:end].translate(_TO_ASCII).replace("-", "").replace("－", "")
    digits = digits.replace(" ", "")
    if not is_local_landline(digits) or digits in exempt:
        return None
    edges = text[start - 1 : start] + text[end : end + 1]
    if any(ch.isascii() and ch.isalnum() for ch in edges):  # SF5136284, 5136284a
        return None
    before = unicodedata.normalize("NFKC", text[max(0, start - 14) : start])
    hit: _Hit = (start, end, digits, "landline")
    if not _cues_around(text, start, end).home:
        return (hit, "line") if _LINE_WORD_BEFORE_RE.search(before) else None
    return hit, "named" if _named_home(before) else "home"


# Words said for digits when a phone number is read out or typed by ear (要/妖 for 1, 酒/久
# for 9, 屋/吾/午 for 5): everyday words elsewhere, so read as digits only in a run right
# after a phone's word (电话, 手机 ...), and only as a mobile (马建国，我电话要三八 零酒五要 2233).
# More sounds alike, as a number is spelt in words to slip past a filter (妖舞伞 酒舞妖尔 伞伞
# 思思): 么 1, 尔/耳 2, 伞/散 3, 思/丝/斯 4, 舞/武/无 5, 溜/留 6, 妻/漆/期 7, 巴/扒/吧 8, 舅/旧 9,
# 灵/铃/玲 0. The groups may be set apart by commas or emoji as digits are (要五三，酒五要二，…).
_HOMOPHONES = "要妖腰么酒久舅旧屋吾午舞武无尔耳伞散思丝斯溜留妻漆期巴扒吧灵铃玲"
_SAID_AS_NUMERAL = str.maketrans(
    _HOMOPHONES, "幺幺幺幺九九九九五五五五五五二二三三四四四六六七七七八八八零零零"
)
_HOMOPHONE_RE = re.compile(f"[{_HOMOPHONES}]")
_SAID_RUN_RE = re.compile(
    f"[{_DIGIT_CHARS}{_HOMOPHONES}](?:[{_SEP_CHARS}]{{0,3}}[{_DIGIT_CHARS}{_HOMOPHONES}])*"
)
_SAID_DIGITS = 11


def _homophone_phones(text: str, exempt: frozenset[str]) -> list[_Hit]:
    """Mobiles read out with homophones for some digits, after a phone's word."""
    said = text.translate(_SAID_AS_NUMERAL)  # one character for one: offsets hold
    found: list[_Hit] = []
    for m in _SAID_RUN_RE.finditer(text):
        run = m.group()
        if _HOMOPHONE_RE.search(run) is None or len(_SEP_SPLIT_RE.sub("", run)) < _SAID_DIGITS:
            continue
        before = unicodedata.normalize("NFKC", text[max(0, m.start() - _CUE_REACH) : m.start()])
        if _PHONE_CUE_RE.search(before.lower()) is None:
            continue
        found += [
            hit
            for hit in _run_findings(said, m.start(), m.end(), exempt)
            if hit[3] == "phone" and _HOMOPHONE_RE.search(text, hit[0], hit[1]) is not None
        ]
    return found


# An ID told by its parts: the area's six digits (前六位 640104), the birth date in any of
# its written forms (1949年07月07日出生, 一九四九年七月七日, 1949.7.7, 19490707) and the last
# four (后四位 2319), within a sentence or two, joined when the whole holds its check
# character: in any order where the words speak of an ID or of its parts, else in an ID's.
_ID_PARTS_CUE_RE = re.compile(
    rf"{_ID_WORDS}|前[六6]位|后[四4]位|末[四4]位|最后[四4]位|尾[号数]|出生|生日|地区码"
)
_CN_DATE_DIGITS = "零〇一二三四五六七八九"
_DATE_RE = re.compile(
    r"(?<![0-9])((?:19|20)[0-9]{2})\s*[年.．/\-－]\s*([0-9]{1,2})\s*[月.．/\-－]\s*"
    r"([0-9]{1,2})(?![0-9])\s*[日号]?"
    rf"|([一二][{_CN_DATE_DIGITS}]{{3}})年([十一二三四五六七八九〇零]{{1,2}})月"
    rf"([十一二三四五六七八九〇零]{{1,3}})[日号]"
)
_ID_PARTS_REACH = 64  # characters from the first part's start to the last part's end
_ID_PARTS_STOP_RE = re.compile(r"[。！？!?；;\n]")
_MAX_ID_PARTS = 400  # more pieces than this is a table of numbers, not one person's ID


_CN_SMALL = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0}


def _cn_small_number(numeral: str) -> int | None:
    """一 … 三十一 as people write a month or a day (七, 十二, 二十七, 〇七)."""
    if "十" not in numeral:
        return int("".join(str(_CN_SMALL[c]) for c in numeral)) if numeral else None
    tens, _, ones = numeral.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones or tens in ("零", "〇"):
        return None
    return (_CN_SMALL[tens] if tens else 1) * 10 + (_CN_SMALL[ones] if ones else 0)


def _date_digits(m: re.Match[str]) -> str | None:
    """YYYYMMDD of a date match, if it is a real date."""
    if m.group(1) is not None:
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        year = int(m.group(4).translate(_TO_ASCII))
        month_n, day_n = _cn_small_number(m.group(5)), _cn_small_number(m.group(6))
        if month_n is None or day_n is None:
            return None
        month, day = month_n, day_n
    if not _valid_date(year, month, day):
        return None
    return f"{year:04d}{month:02d}{day:02d}"


_IdParts = tuple[_Hit, tuple[tuple[int, int, str], ...]]  # the ID, and each part: span, kind


def _id_parts(text: str, runs: list[tuple[int, int]]) -> list[_IdParts]:
    """IDs told by their parts (see ``_ID_PARTS_CUE_RE``), with where each part is. With
    no word for an ID or its parts, only in the order an ID has (王德福，640381，1971年6月17日，
    2069)."""
    cued = _ID_PARTS_CUE_RE.search(text) is not None
    if not cued and not any(b - a >= 6 for a, b in runs):
        return []
    dated = bytearray(len(text))  # 1 where a date is written (its numbers are no part)
    parts: list[tuple[int, int, str, str]] = []
    for m in _DATE_RE.finditer(text):
        digits = _date_digits(m)
        if digits is not None:
            parts.append((m.start(), m.end(), digits, "d"))
            dated[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
        if len(parts) > _MAX_ID_PARTS:
            return []
    if not cued and not parts:  # digits alone in an ID's order are the scanner's to join
        return []
    # area (6), date (8), tail (4), area + date (14), date + tail (12)
    for a, b in runs:
        if b - a < 4:
            continue
        for g in _groups(text[a:b], a):
            if dated[g.start]:
                continue
            digits, n = g.digits, len(g.digits)
            if "X" in digits[:-1] or ("X" in digits and n not in (4, 12)):
                continue
            if n == 6 and digits[:2] in _PROVINCES:
                parts.append((g.start, g.end, digits, "a"))
            elif n == 4:
                parts.append((g.start, g.end, digits, "t"))
            elif n == 8 and _valid_date(int(digits[:4]), int(digits[4:6]), int(digits[6:])):
                parts.append((g.start, g.end, digits, "d"))
            elif n == 14 and looks_like_id18(digits + "0000"):
                parts.append((g.start, g.end, digits, "ad"))
            elif n == 10 and looks_like_id18(digits + "01010000"):  # area and year
                parts.append((g.start, g.end, digits, "ay"))
            elif n == 12 and _valid_date(int(digits[:4]), int(digits[4:6]), int(digits[6:8])):
                parts.append((g.start, g.end, digits, "dt"))
        if len(parts) > _MAX_ID_PARTS:
            return []
    if not any(p[3] in ("a", "ad", "ay") for p in parts):
        return []
    parts.sort()
    found: list[_IdParts] = []
    for i, first in enumerate(parts):
        if first[3] not in ("a", "ad", "ay"):
            continue
        near = [p for p in parts[max(0, i - 8) : i + 9] if abs(p[0] - first[0]) <= _ID_PARTS_REACH]
        by_kind = {k: [p for p in near if p[3] == k] for k in ("d", "t", "dt")}
        if first[3] == "a":
            combos = [[d, t] for d in by_kind["d"] for t in by_kind["t"]]
            combos += [[p] for p in by_kind["dt"]]
        elif first[3] == "ay":  # 前面是6401041972 后面是0912 3311: month and day, then tail
            tails = by_kind["t"]
            combos = [[(*md[:3], "md"), t] for md in tails for t in tails if md[0] < t[0]]
        else:
            combos = [[t] for t in by_kind["t"]]
        for combo in combos:
            chosen = [first, *combo]
            joined = "".join(p[2] for p in chosen)  # area, date, tail: whatever the order told
            if not is_valid_id18(joined):
                continue
            start, end = min(p[0] for p in chosen), max(p[1] for p in chosen)
            if end - start > _ID_PARTS_REACH or _ID_PARTS_STOP_RE.search(text, start, end):
                continue
            if not cued and [p[0] for p in chosen] != sorted(p[0] for p in chosen):
                continue
            if not found or start >= found[-1][0][1]:
                spans = tuple((p[0], p[1], p[3]) for p in chosen)
                found.append(((start, end, joined, "id"), spans))
            break
    return found


_DATE_DIGIT_RE = re.compile(f"[{_DIGIT_CHARS}十]")


def _mask_id_parts(text: str) -> str:
    """An ID told by its parts masked as a whole one is: the area's last two digits and
    the whole birth date starred, the last four kept (640104，1949年07月07日 →
    6401**，****年**月**日)."""
    hidden: list[int] = []
    for _, parts in _id_parts(text, [m.span() for m in _RUN_RE.finditer(text)]):
        for a, b, kind in parts:
            digits = [m.start() for m in _DATE_DIGIT_RE.finditer(text, a, b)]
            if kind in ("a", "ad", "ay"):  # the province and the city stay
                digits = digits[4:]
            elif kind in ("dt", "t"):  # the last four stay
                digits = digits[:-4]
            hidden += digits
    return _star(text, hidden) if hidden else text


# A letter O typed for a zero (64O1041985O3171028, 138O951 2233): between the digits of a
# run long enough to be a number, glued to no other letter, it is read as the zero it
# stands for. One character for one, so offsets hold.
_LETTER_ZERO_RUN_RE = re.compile(
    "(?<![A-Za-z])[0-9０-９OoＯｏ](?:[ \\-]?[0-9０-９OoＯｏ]){10,}(?![A-WYZa-wyz])"
)
_LETTER_ZEROS = str.maketrans("OoＯｏ", "0000")
_MIN_REAL_DIGITS = 8
_MAX_NUMBER_DIGITS = 19  # a card's most; an ID has 18


def letter_zeros(text: str) -> str:
    """``text`` with each letter O that stands for a zero in a long run of digits read as
    one (see ``_LETTER_ZERO_RUN_RE``); the same text when there is none."""
    if not any(c in text for c in "OoＯｏ"):
        return text

    def zero(m: re.Match[str]) -> str:
        run = m.group()
        if sum(c.isdigit() for c in run) < _MIN_REAL_DIGITS:
            return run
        # Only an O between digits: one before or after them may be a letter after all
        # (O3011630385171728 is O and a card).
        body = run.strip("OoＯｏ")
        if not body:
            return run
        start = run.index(body)
        end = start + len(body)
        if len(body) == 17 and end < len(run):  # an ID's check character typed as O
            end += 1
        zeroed = run[start:end].translate(_LETTER_ZEROS)
        if sum(c.isdigit() for c in zeroed) > _MAX_NUMBER_DIGITS:
            return run  # longer than any number: the O is a letter after one (…2778O0)
        return run[:start] + zeroed + run[end:]

    return _LETTER_ZERO_RUN_RE.sub(zero, text)


def find_numbers(
    text: str,
    *,
    exempt_numbers: frozenset[str] = frozenset(),
    strict: bool = False,
    published: bool = False,
) -> list[Finding]:
    """Valid ID, mobile, card and (household) landline numbers in ``text``.

    ``strict`` (used for masking) ignores the context: every valid number is reported.
    ``published`` also reports numbers a business puts out for anyone to call (客服电话,
    订餐电话), marked ``published``: not personal, but a lure's contact. ``exempt_numbers`` (the
    station's public phones) are never reported.
    """
    exempt = _normalise_exempt(exempt_numbers) | PUBLIC_NUMBERS
    text = letter_zeros(text)
    hits: list[_Hit] = []
    pieces: list[tuple[int, int, str]] = []
    line_named: bool | None = None
    named: bool | None = None
    runs: list[tuple[int, int]] = []
    for m in _RUN_RE.finditer(text):
        run = m.group()
        runs.append(m.span())
        in_run: list[_Hit] = []
        if len(run) >= 11:  # shorter runs cannot hold 11 digits even without separators
            if line_named is None:
                line_named = _line_named(text)
            in_run = _run_findings(text, m.start(), m.end(), exempt, line_named)
            hits += in_run
        local_end = 0 if in_run else _leading_local(run)
        if local_end:
            local = _local_landline(text, m.start(), m.start() + local_end, exempt)
            if local is not None and local[1] == "line":  # 座机 6012378，找王建国
                if line_named is None:
                    line_named = _line_named(text)
                if not line_named:
                    local = None
            elif local is not None and local[1] == "home" and not strict:
                if named is None:  # masking needs the home words only
                    named = _self_named(text) or _names_anywhere(text)
                if not named:
                    local = None
            if local is not None:
                in_run = [local[0]]
                hits += in_run
        digits = "" if in_run else _SEP_SPLIT_RE.sub("", run).translate(_TO_ASCII)
        if len(digits) < _MIN_PIECE and _numeral_in_words(text, m):
            continue  # 后四位, 一下: a numeral inside a word is part of the words between
        pieces.append((m.start(), m.end(), digits))
    if len(pieces) > 1:
        hits += _worded_numbers(text, pieces, exempt)
        hits += [
            h
            for h, _ in _id_parts(text, runs)
            if not any(a < h[1] and h[0] < b for a, b, _, _ in hits)
        ]
    if _HOMOPHONE_RE.search(text) is not None:
        hits += [
            h
            for h in _homophone_phones(text, exempt)
            if not any(a < h[1] and h[0] < b for a, b, _, _ in hits)
        ]
    hits.sort()
    if strict:
        return [Finding(kind, start, end, value) for start, end, value, kind in hits]
    found: list[Finding] = []
    for start, end, value, kind in hits:
        why = _context(text, start, kind == "id" and is_valid_id18(value))
        if why is None and kind in ("phone", "landline") and _trade_advert(text):
            why = "published"
        if why is None or (why == "published" and published):
            found.append(Finding(kind, start, end, value, why == "published"))
    return found


# ----------------------------------------------------------------- addresses

# Common surnames (single and compound) for the name that makes an address personal.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关"
    "兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻"
    "祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿"
    "桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
    # Hui surnames common in Ningxia, and rarer Han ones that are seldom a word's start.
    "纳海撒虎洪喇萧湛禹狄昝邴糜郗隗宓钭蓟邰鄂蔺胥逄郦濮扈郏慕茹庾暨匡阙殳蔚夔厍晁訾阚乜鞠蒯竺逯桓"
)
_COMPOUND_SURNAMES = "欧阳|司马|诸葛|上官|东方|皇甫|尉迟|公孙|慕容|长孙|宇文|司徒|夏侯|令狐"
_NAME = rf"(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])[\u4e00-\u9fff]{{1,2}}"
# Whose home a phone is, said with a name or a title (赵老师家座机, 老王家电话, 王建民家里电话):
# 老师 and 师傅 are titles, but 家 says the line is the person's home, not a school's.
_NAMED_HOME_CUE_RE = re.compile(
    rf"(?:((?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])(?:老师|师傅|医生|大夫|阿姨|叔叔|大爷|大妈|大娘"
    rf"|奶奶|爷爷|女士|先生|姐|哥))|(老[{_SURNAMES}])|({_NAME}))家[里中]?的?"
    r"(?:座机|固话|固定电话|电话|号码)(?:号码?)?[号码是为:：\s(（]{0,5}$"
)


def _named_home(before: str) -> bool:
    """The words before a number say it is a named person's home line."""
    for start in range(len(before)):  # the words are short: a match at each start
        m = _NAMED_HOME_CUE_RE.match(before, start)
        if m is not None and (m.group(3) is None or _is_name(m.group(3))):
            return True
    return False


# Building / unit / room: 5号楼2单元301, 7栋1单元1203, 12幢3单元402室, 2号楼1605室, 5-2-301.
_NUM = "[0-9一二三四五六七八九十]"
# A colon after the number is a time's (12:30) only with a digit after it: "702：刘志强" is a
# form's line, the door and then its resident.
_ROOM_END = r"(?![0-9年月日元块万平米个人次点分秒岁%.])(?![:：]\s*[0-9])"
# A building is numbered or lettered (5号楼, A座, B栋); a letter zone before it (F区5号楼)
# is left to the number that follows.
_BUILDING = rf"(?:{_NUM}{{1,3}}|(?<![A-Za-z])[A-Za-z](?![A-Za-z]))"
_UNIT = "(?:单元|门)"  # 2单元 / 2门: the same thing in different cities
_FLOOR = rf"(?:{_NUM}{{1,2}}\s*(?:楼|层)\s*)?"  # 6层601: the floor said before the room
# A room in digits or said in Chinese numerals (六零三, 一二零一).
_CN_ROOM_DIGIT = "零〇一二三四五六七八九幺洞"
_ROOM = (
    rf"(?:[0-9]{{3,4}}{_ROOM_END}"
    rf"|[{_CN_ROOM_DIGIT}]{{3,4}}(?![{_CN_ROOM_DIGIT}十百千万年月日个人次点分岁]))"
)
# The estate's word right before a building number; lookbehinds, so that the address
# found is the building alone and a room after it is still read as one address with it.
_ESTATE_BEFORE = "|".join(f"(?<={w})" for w in ("小区", "花园", "家园", "苑", "公寓", "新村"))
# A spot in or by a building, not a home: 9号楼电梯坏了, 9号楼门口, 9号楼下面.
_SPOT = (
    "电梯|楼道|楼梯|楼下|楼上|楼顶|楼前|楼后|门口|门前|底下|下面|旁边|后面|前面|附近|东边|西边|南边"
    "|北边|东侧|西侧|南侧|北侧|车库|地下|停车|停水|停电|停气|供暖|暖气|水管|管道|外墙|墙|顶|前|后|旁"
)
# A neighbour's door said from the writer's (楼上502的王秀英): the room alone is the door.
_NEXT_DOOR = "|".join(f"(?<={w})" for w in ("楼上", "楼下", "对门", "隔壁", "对面"))
_DOOR_RE = re.compile(
    # 2号楼1单元的101: a 的 may stand between the stairwell and the room; a stairwell may be
    # named by its side (17号楼东单元301)
    rf"{_BUILDING}\s*(?:号楼|栋|幢|座|号院|区|[#＃]楼?)\s*(?:[-－]\s*)?"
    rf"(?:(?:{_NUM}{{1,2}}|[东西中南北])\s*{_UNIT}\s*(?:[-－的]\s*)?)?"
    rf"{_FLOOR}{_ROOM}(?:室|号|房)?"
    rf"|{_NUM}{{1,2}}\s*{_UNIT}\s*(?:[-－的]\s*)?{_FLOOR}{_ROOM}(?:室|号|房)?"
    rf"|(?:{_NEXT_DOOR})\s*(?:的\s*)?{_ROOM}(?:室|号|房)?"
    # 2单元5楼东户: a floor and the side of the landing instead of a room number
    rf"|{_NUM}{{1,2}}\s*{_UNIT}\s*{_NUM}{{1,2}}\s*(?:楼|层)\s*[东西中南北左右](?:户|边|侧|门)?"
    # a village house: 红星村三组12号, 7排12号
    rf"|(?:村|队|庄)\s*{_NUM}{{1,2}}\s*(?:组|队|社)\s*{_NUM}{{1,4}}\s*号"
    # 新华村58号, 和顺村3号院: a house numbered in the village itself (新村3号楼 is a building)
    rf"|(?<=[\u4e00-\u9fff])(?:村|庄|屯)\s*{_NUM}{{1,4}}\s*号院?(?![楼院线地口车开停上下晚早前后到起之至])"
    rf"|{_NUM}{{1,3}}\s*排\s*{_NUM}{{1,3}}\s*号"
    rf"|{_NUM}{{1,3}}号\s*[0-9]{{3,4}}室"
    # 幸福里8-2-301, 我家7-3-902, 家住7-3-902, 我家是7-3-902, 住我家楼下6-1-202
    rf"|(?:小区|花园|家园|公寓|苑|府|庭|城|湾|里|村|区|院|园|家|住|楼下|楼上|对门|隔壁)"
    rf"\s*(?:(?:是|在|住|[:：])\s*)?"
    rf"[0-9]{{1,2}}[#＃]?-[0-9]{{1,2}}-[0-9]{{3,4}}(?![0-9年月日天元块])"
    rf"|(?<![0-9])[0-9]{{1,2}}[#＃]-[0-9]{{1,2}}-[0-9]{{3,4}}(?![0-9])"  # 5#-2-301: # is 号楼
    # 8-2-302张建国, 我是3-2-501的王秀芳, 5-502刘桂芳 (building and room): a name right
    # after says the numbers are a door
    rf"|(?<![0-9\-－])[0-9]{{1,2}}-(?:[0-9]{{1,2}}-)?[0-9]{{3,4}}(?![0-9])"
    rf"(?=\s?的?(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])[\u4e00-\u9fff]"
    r"|(?:室|号)?\s?[,，]?\s?(?:就|正|也)?是[我咱俺])"  # 10-3-502是我爸妈家: whose door
    # A street number (中山路88号, 漕溪北路100弄8号602): a home only with a name, like the rest.
    rf"|(?<=[\u4e00-\u9fff])(?:路|街|大道|巷|弄|胡同)\s*{_NUM}{{1,4}}\s*(?:弄\s*[0-9]{{1,4}}\s*)?号"
    rf"(?:\s*[0-9]{{3,4}}{_ROOM_END}(?:室|房)?)?"
    # Down to the stairwell (8号楼2单元) or to the village team (XX村二队, 三组): a home
    # address, though not the door, when said of a person.
    rf"|{_BUILDING}\s*(?:号楼|栋|幢)\s*(?:[-－]\s*)?{_NUM}{{1,2}}\s*{_UNIT}(?!\s*(?:[-－]\s*)?{_NUM})"
    rf"|(?<=[\u4e00-\u9fffA-Za-z])(?:村|庄)\s*{_NUM}{{1,2}}\s*(?:组|队|社)(?!长)"
    # Down to the village by its county and town (灵武市东塔镇园艺村): where a named
    # relative lives, though the house is not numbered.
    rf"|(?:县|市|区|旗)[\u4e00-\u9fff]{{1,5}}?(?:镇|乡)[\u4e00-\u9fff]{{1,6}}?村(?![委民部口里])"
    rf"(?:\s*{_NUM}{{1,2}}\s*(?:组|队|社)(?!长))?(?:\s*{_NUM}{{1,4}}\s*号院?)?"
)
# Down to the building of a named estate (金花园小区9号楼): a home when said of a person,
# unless the words after make it a spot in the estate (9号楼电梯, 9号楼门口). Not masked in
# group titles and names: "阳光花园3栋业主群" names the group, not a resident's door.
_ESTATE_BUILDING_RE = re.compile(
    rf"(?:{_ESTATE_BEFORE}){_BUILDING}\s*(?:号楼|栋|幢)(?!\s*(?:[-－]\s*)?(?:{_NUM}|[A-Za-z]))"
    rf"(?!\s*(?:的?(?:{_SPOT})|单元|门|层|楼|至|到|和|与|、))"
)
_ADDRESS_RE = re.compile(f"{_DOOR_RE.pattern}|{_ESTATE_BUILDING_RE.pattern}")
# An address down to the door: a room (301, 六零三) or a house's number (村58号, 路88号).
_DOOR_NUMBER_RE = re.compile(rf"{_ROOM}|号$")

# Titles that make "王警官" a way of addressing someone, not a resident's name.
_TITLE_RE = re.compile(
    r"(?:警官|警察|民警|所长|师傅|老师|店长|经理|主任|物业|总|局|医生|大夫|护士|院长|老板|会计)$"
)
# Everyday words that start with a surname's character but name nobody: the word after an
# address is often one of them ("送到5号楼2单元701 谢谢", "...302 马上到").
_NOT_NAME_WORDS = (
    "谢谢 谢了 马上 麻烦 方便 明天 明早 明晚 明白 时间 时候 安排 安装 安全 钱包 包裹 包邮 高层",
    "高兴 万分 白天 房东 房主 房间 车库 车位 单元 单位 全部 全家 应该 平时 费用 管理 施工",
    "周末 周一 周二 周三 周四 周五 周六 周日 路口 路边 申请 连续 齐全 严重 商量 项目 卫生",
    "温馨 于是 程序 祝福 毕业 文明 成功 简单 海鲜 海边 洪水 和平 和好 常年 宁可 尚未 任何",
    "查询 查看 查成 查下 查一 查到 查不 查找 成绩 付款 付钱 余额 和我 和你 和他 和她 康复",
    "白色 黄色 蓝色 金色 车牌 车辆 车子 车主 车型 路上 高速 马路 司机",
    "查出 确诊 诊断 查了 房子 房贷 房租 房产 房屋",
    # Ningxia's places: 金凤区, 贺兰县, 石嘴山, 吴忠, 海原, 彭阳, 沙坡头 name no one
    "宁夏 金凤 贺兰 石嘴 吴忠 海原 彭阳 沙坡 沙湖",
)
_NOT_NAMES = frozenset(word for line in _NOT_NAME_WORDS for word in line.split())
_BOUNDARY = r"(?=[\s,，。.!！?？、;；:：)）]|$|住|家|在|是|的)"
# Where a person lives, said before their name in one clause (住5号楼的, 住在12栋2单元的,
# 住咱们小区3号楼的): the words end with 的 and hold no pause.
_LIVES_AT = r"(?:(?:住在?|在)[^\s,，。;；!！?？]{1,12}?的)"
_NAME_CUE_RE = re.compile(
    rf"(?:我是|我叫|名叫|名字叫|叫做|老人叫|他叫|她叫|母亲叫|父亲叫|老人家叫|妈妈叫|爸爸叫"
    rf"|姓名|户主|住户|业主|车主|联系人|报修人)\s*[:：]?\s*({_NAME})"
    # 叫我小海就行 / 叫我老马 / 叫我海晓东: how the writer wants to be called
    rf"|叫我\s*((?:老|小)[{_SURNAMES}]|{_NAME})(?=就|吧|好了|即可|行|[\s,，。.!！?？、;；]|$)"
    # 名字：海晓东
    rf"|名字\s*[:：]\s*({_NAME})"
    # 我叫 / 名叫 give a name whatever its surname (我叫海燕)
    rf"|(?:我叫|名叫|名字叫|叫做|名字是|姓名)\s*[:：]?\s*(?![了过着的])([\u4e00-\u9fff]{{2,3}}){_BOUNDARY}"
    # 户主是刘志刚 / 房主叫王海燕 / 车主是住5号楼的马建国: whose flat or car it is, said
    # with a verb, where the owner lives maybe said between
    # 户主写的我老公马建军 / 车主是我，马建国: whose it is said first, then the name
    rf"|(?:户主|业主|房主|车主)(?:是|叫|为|写的?是?)\s*[:：]?\s*{_KIN_SAID}?{_LIVES_AT}?({_NAME})"
    # 登记在我舅舅马福林名下 / 在刘建华名下: whose name a car or a flat is registered in
    rf"|在\s*{_KIN_SAID}?({_NAME})的?名下"
    # 我和前夫王强的, 我老公马建军: a relative of the writer's by their full name
    rf"|(?<![\u4e00-\u9fff])我(?:和|跟|与)?的?(?:{_KIN})\s*({_NAME}){_BOUNDARY}"
    rf"|房主\s*[:：]?\s*({_NAME})"
    # 所有人：马建国 -- a vehicle licence's owner (所有人注意 is everyone: a colon or a space)
    rf"|所有人(?:\s*[:：]|\s)\s*({_NAME})"
    # 车是马德福家的, 这车是住7栋的海燕家的: whose car it is
    rf"|车子?(?:是|系|属于)\s*{_LIVES_AT}?{_KIN_SAID}?({_NAME})家?的"
    # 我是老马 / 联系人：小李 -- a surname with 老 or 小 is how neighbours name each other
    rf"|(?:我是|我叫|联系人|收件人|收货人|户主)\s*[:：]?\s*((?:老|小)[{_SURNAMES}]){_BOUNDARY}"
    # 联系人：刘 -- a form's label with the surname alone
    rf"|(?:联系人|收件人|收货人|户主|姓名)\s*[:：]\s*([{_SURNAMES}])(?=[\s,，。;；]|$)"
    # 我姓白 / 老人姓马 / 免贵姓吴！/ 我姓吴住13号楼: the surname alone, as people say it
    rf"|(?:我|俺|咱|他|她|老人家?|本人|户主|免贵|鄙人|在下|(?:^|[，,。;；\s]))姓\s*([{_SURNAMES}])"
    rf"(?=[\s,，。.;；!！?？~～、]|$|叫|住|家|在|是|[啊哈呀嘛哦呢])"
    # 他舅叫王富贵 / 我姓马叫马秀英: 叫 + a full name, whoever says it
    rf"|(?<![喊大尖乱])叫\s*({_NAME}){_BOUNDARY}"
    # 老刘家: how neighbours name a household (老师家 is a teacher's)
    rf"|(老(?!师)[{_SURNAMES}])家"
    # 刘建国老汉 / 杨桂花老人: a full name said with what the person is to the speaker
    rf"|({_NAME})(?:老汉|老头|老太太?|老人|老两口|大爷|大妈|大娘|婆婆|同志|本人)"
    # 本人李国华，电子邮箱…: the writer's name as a form or a letter gives it (本人高度重视
    # is no name: the name stands alone before a pause or what it is the name of)
    rf"|本人\s*(?:[:：]\s*)?({_NAME})(?=[\s,，。;；:：、]|$|邮箱|电话|手机|身份证|住|家)"
)


_TITLE_INSIDE_RE = re.compile(_TITLE_RE.pattern.removesuffix("$"))


def _is_name(candidate: str) -> bool:
    # 张某, 李某某: a name withheld, as a court's or a notice's text writes it
    return (
        not _TITLE_RE.search(candidate)
        and candidate[:2] not in _NOT_NAMES
        and "某" not in candidate
    )


# 李姐, 王阿姨, 刘叔: how a grown-up is addressed -- a surname and a title, no given name.
_ADDRESSED_RE = re.compile(
    r"(?:[姐哥叔姨婶伯爷奶娘嫂总工]|阿姨|大爷|大妈|大娘|大姐|大哥|先生|女士|小姐|师傅|老师|同学|家长)"
)


def _addressed(name: str) -> bool:
    surname = 2 if re.match(_COMPOUND_SURNAMES, name) else 1
    return _ADDRESSED_RE.match(name, surname) is not None


# The name, then what the person is (李桂兰，女，68岁，住...; 周国庆，他家住...), then the home.
_PERSON_NOTE = r"(?:\s*(?:[,，、]\s*)?(?:男|女|[0-9一二三四五六七八九十]{1,3}岁|[他她]))"
# A child said with 小朋友 (李子轩小朋友家住…); the home in brackets or after a colon after 家
# (马红梅家（兴庆区…）, 李红梅家：银川市…); or the address given later in the clause
# (去马红梅家吃饭，地址是…).
_CHILD_SAID = "(?:小朋友|小同学|同学|宝宝)"
_NAME_BEFORE_ADDRESS_RE = re.compile(
    rf"({_NAME}){_CHILD_SAID}?{_PERSON_NOTE}{{0,3}}\s*(?:[,，、]\s*)?"
    r"(?:的?家(?:住|在|是|\s*[（(:：])|住在|住(?!院)|现住|(?:的|家)?地址"
    r"|家[^。！？!?\n]{0,10}?(?:地址|住址)(?:是|在|[:：]))"
)
# A neighbour named by a title or a nickname, whose home is told (马老师家住…, 大刘家在…, 马老三
# 家地址是…, 王阿姨家（…）): the group knows whom. Only with an address down to the door.
_TITLED_HOME_RE = re.compile(
    rf"(?:(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])(?:老师|师傅|医生|大夫|阿姨|叔叔|大爷|大妈|大娘|奶奶"
    r"|爷爷|婆婆|大姐|大哥|姐|哥|嫂子?|婶子?|叔|伯|老[大二三四五六七八九]|老汉|老太太?|女士|先生"
    r"|总|老板娘?|经理|主任)"
    rf"|(?<![\u4e00-\u9fff])[老大小](?!师)[{_SURNAMES}])"
    # 马老师家住…, or after a pause the home as his or hers (胡总，他家在…, 海老板，他住在…)
    r"(?:家的?(?:住|在|是|地址|住址|\s*[（(:：])|[，,、\s]*[他她](?:家(?:就|也|还)?(?:住|在)|(?:就|也|还)?住))"
)
# A parcel's label in brackets may come first: 【快递】王丽 138****2233 ...; or the
# recipient said first: 寄过来吧：马建国 收，金凤区...12号楼2单元301.
_NAME_BARE_RE = re.compile(
    rf"(?:^|[\s,，:：】\])）)])({_NAME})(?:\s*收)?[\s,，:：]+[^\n,，。]{{0,30}}$"
)
# A bare name right after the address, as on a parcel: "...1单元502 张丽娟 收".
# In a list too: "满春社区8-2-301刘玉珍、8-2-302张建国"; after a colon, as a form's line:
# "6号楼1单元702：刘志强，…".
_NAME_BARE_AFTER_RE = re.compile(
    rf"\s*(?:(?:室|号|房)\s*)?(?:[,，、(（:：]\s*)?(?:(?:找|交给|送给|给)\s*)?({_NAME})"
    r"\s*(?:收|家|$|[,，。;；、\s(（)）])"
)
# A list's or a complaint's line, the name run straight into what the household owes or
# does (3号楼1单元601 马建国欠物业费三年了, 4-2-201刘军欠费, 7栋1101 刘伟借钱不还): said of a
# door, the name looks like one (see ``_GIVEN_CHARS``), since no pause ends it.
_NAME_DOING_AFTER_RE = re.compile(
    rf"\s*(?:(?:室|号|房)\s*)?(?:[:：]\s*)?({_NAME})(?=\s*(?:欠|拖欠|借|赖|未交|未缴|没交|不交|拒交"
    r"|拒不|至今|长期|多次|屡次|经常|总是|天天|每天|占|霸占|私占|乱|违规|私搭|私自|养|装修|堆|吵"
    r"|骂|打|偷|砸|骚扰|扰民|跟|和|与|把))"
)
# "...502的赵丽", "...201住的周国庆", "...201住着的是周国庆"; after a pause too (...602，住的是
# 王建军, ...201，户主马占林)
_NAME_AFTER_ADDRESS_RE = re.compile(
    rf"\s*(?:室|号|房)?(?:(?:[,，、:：]\s*)?(?:住(?:的|着)(?:的?是)?|住户|业主|户主)[:：]?|的)\s*({_NAME})"
)
# A name with a courtesy title right after the address: "...5号楼2单元601，刘女士".
_HONORIFIC = "女士|先生|小姐|阿姨|叔叔|大爷|大妈|大娘|奶奶|爷爷|老人|姐|哥"
_TITLED_NAME_AFTER_RE = re.compile(
    rf"\s*(?:(?:室|号|房)\s*)?(?:[,，、;；]\s*)?"
    rf"(?:(?:收件人|收货人|联系人|户主|姓名|找|联系|交给)[:：]?\s*|[:：]\s*)?"
    rf"(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])(?:{_HONORIFIC})(?![\u4e00-\u9fff]{{2}})"
    # ...301的马老师, …502的老马家, …的马老三: a title or a nickname after 的, then a pause
    rf"|\s*(?:(?:室|号|房)\s*)?(?:住(?:的|着)(?:的?是)?|的)\s*(?:[老大小](?!师)[{_SURNAMES}]"
    rf"|(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])(?:老师|师傅|医生|大夫|老[大二三四五六七八九]))家?"
    r"(?=[\s,，。!！?？;；、]|$)"
)
_RECIPIENT_RE = re.compile(r"收件人|收货人|寄件人|寄送地址|收货地址|家庭住址|住址[:：]")


@lru_cache(maxsize=8)
def _names_anywhere(text: str) -> bool:
    """A recipient label or a resident's name cue anywhere in the message (checked once
    per message, whatever the number of addresses in it; remembered for the last few
    messages, since addresses, plates, passports and documents each ask for one)."""
    if _RECIPIENT_RE.search(text):
        return True
    for m in _NAME_CUE_RE.finditer(text):
        if _is_name(next(g for g in m.groups() if g is not None)):
            return True
    for m in _NAME_BEFORE_ADDRESS_RE.finditer(text):
        # 李老师家访地址: the "name" 师家访 is the tail of a title, not a resident's name;
        # 我有高血压，住…: an illness's word, not a name
        if (
            _is_name(m.group(1))
            and not _TITLE_INSIDE_RE.search(text, max(0, m.start() - 3), m.end(1))
            and _FACT_RE.search(text, max(0, m.start(1) - 2), m.end(1)) is None
        ):
            return True
    return False


def _name_next_to(text: str, address_start: int, address_end: int, *, door: bool) -> bool:
    """A resident's name right after or right before one address (bounded look-around).
    ``door``: the address goes down to the door; one that stops at the stairwell is said
    of a neighbour by a title (3号楼2单元的王大爷) in praise and gossip, so only a full
    name makes it a person's then."""

    def named(candidate: str) -> bool:
        return _is_name(candidate) and (door or not _addressed(candidate))

    # The name right after the address: "住在东方家园8号楼2单元502的赵丽"
    after = _NAME_AFTER_ADDRESS_RE.match(text, address_end)
    if after is not None and named(after.group(1)):
        return True
    if door and _TITLED_NAME_AFTER_RE.match(text, address_end):
        return True
    bare_after = _NAME_BARE_AFTER_RE.match(text, address_end)
    if bare_after is not None and named(bare_after.group(1)):
        return True
    doing = _NAME_DOING_AFTER_RE.match(text, address_end) if door else None
    if doing is not None and _is_name(name := doing.group(1)) and _looks_given(name):
        return True
    # A bare name right before the address: "李建国 锦绣家园12幢3单元402室"
    bare = _NAME_BARE_RE.search(text[max(0, address_start - 34) : address_start])
    return bare is not None and named(bare.group(1))


# A public place at the address: the clause before it (菜鸟驿站在3号楼1单元102) or the words
# right after it (...102室的社区服务中心). A shop, an office or the station is not a home,
# whoever is named next to it.
_PUBLIC_PLACE = (
    "派出所|警务室|服务中心|服务站|居委会|村委会|物业|驿站|超市|便利店|商店|药店|药房|诊所|卫生室"
    "|卫生站|医院|学校|幼儿园|托管|银行|营业厅|办事处|办公室|门卫|店铺|门店|小卖部|餐馆|饭店|理发店"
)
# 物业报修 3号楼301 马建国: a repair asked of the office, at the resident's home.
# 物业费欠费公示 4号楼201 刘军: a fee, not the office; 幼儿园中班 家住3-1-502: a home.
_PUBLIC_BEFORE_RE = re.compile(
    rf"(?:{_PUBLIC_PLACE})(?!报修|费)(?:(?!住)[^，,。;；!！?？\n]){{0,8}}$"
)
_PUBLIC_AFTER_RE = re.compile(rf"\s*(?:(?:室|号|房)\s*)?(?:(?:的|是|为)\s*)?(?:{_PUBLIC_PLACE})")


# The writer's own name: 我叫马秀英, 我姓吴. A landline in the same message is the writer's
# own line (家里新装的座机 0951-5127733 我叫马秀英) -- unless the message speaks of a
# business or an office, whose published line a clerk or an owner signs with a name.
# 我是马秀兰, 我是三号楼的马秀兰, 我是5号楼2单元301的王建国: the writer names themselves
# (with where they live).
_SELF_NAME_RE = re.compile(
    rf"(?:我叫|我名字叫|我的名字叫|本人叫|俺叫)\s*[:：]?\s*({_NAME}){_BOUNDARY}"
    rf"|(?:我|俺|本人|免贵)姓\s*([{_SURNAMES}])(?=[\s,，。.;；!！?？、]|$|叫|住|家)"
    rf"|我是\s*(?:住\s*)?(?:在\s*)?[^\s,，。;；!！?？的]{{0,12}}?(?:号楼|栋|幢|单元|室|楼|户|[0-9]{{3,4}})"
    rf"\s*的\s*({_NAME})(?=[\s,，。.!！?？、;；~～]|$)"
    rf"|我是\s*({_NAME})(?=[\s,，。.!！?？、;；~～]|$)"
)
# The writer's own line at work (我办公室电话, 我单位座机): a person's, not an office's notice.
_OWN_WORK_LINE_RE = re.compile(
    r"我(?:的)?(?:办公室|单位|科室|工作单位|上班的?地方)(?:的)?(?:电话|座机|固话|号码|分机)"
)
# A repair asked of the property office (物业报修：报修人 ...) speaks of the resident's home;
# the office's own line is its 报修电话, which is published.
_REPAIR_ASKED_RE = re.compile(r"物业报修(?!电话|热线)")
_BUSINESS_RE = re.compile(
    rf"{_PUBLIC_PLACE}|店|公司|单位|门市|营业|前台|厂|客服|公安|法院|检察院|政府"
    r"|服务|热线|预约|订餐|订购|欢迎|来电|咨询|报名|老板|经理|主任|警官|民警|律师|专员"
    r"|办公|网格员|工作人员|值班|住院部|门诊部|护士站|科室"
    r"|铺|修车|修理|维修|开锁|搬家|家政|快递|酒店|宾馆|旅馆|餐厅"
)


def _business(text: str) -> bool:
    """The message speaks of a business or an office -- other than the writer's own line
    at work, which is the writer's (我办公室电话 ... 我是三号楼的马秀兰)."""
    return (
        _BUSINESS_RE.search(_REPAIR_ASKED_RE.sub("", _OWN_WORK_LINE_RE.sub("", text))) is not None
    )


@lru_cache(maxsize=8)
def _self_named(text: str) -> bool:
    for m in _SELF_NAME_RE.finditer(text):
        if _is_name(next(g for g in m.groups() if g is not None)):
            return not _business(text)
    return False


# The person a line reaches, named by someone else: 座机 6012378，找王建国; 让他回电话给
# 0951-5023467，他闺女叫马兰; 马兰的电话. As personal as the writer's own line -- unless the
# message speaks of a business or an office (店里电话 ... 老板叫马秀英, 找马经理).
_CALLEE_RE = re.compile(
    rf"(?:找|联系|打给|转告|告诉|通知)\s*({_NAME})(?:{_BOUNDARY}|就|吧|接|听)"
    # a repair note's resident, maybe with the door first (报修人：3号楼301 马建国 座机 ...)
    rf"|报修人\s*[:：]?\s*(?:[^\s,，。;；]{{1,12}}\s+)?({_NAME}){_BOUNDARY}"
    rf"|(?<![喊大尖乱])叫\s*({_NAME})(?:{_BOUNDARY}|就|吧)"
    rf"|(?<![\u4e00-\u9fff])({_NAME})(?:家里|家)?的?(?:电话|座机|固话|手机)"
)


def _line_named(text: str) -> bool:
    """A landline in ``text`` is a person's: the writer signs with their own name, or the
    message names the person the line reaches, and no business or office is spoken of."""
    if _self_named(text):
        return True
    for m in _CALLEE_RE.finditer(text):
        if _is_name(next(g for g in m.groups() if g is not None)):
            return not _business(text)
    return False


# The name in one clause and the home in the next, said of him or her: 谁认识王建国？他家住
# 阳光小区5号楼2单元301; 找一下李德明，他家是宝湖小区8号楼2单元601.
_PRONOUN_HOME_RE = re.compile(
    # 他一个人住在, 她现在自己住在: how and since when the person lives there, said between
    r"(?:[他她](?:们家|家)?(?:一个人|一人|自己|独自|平时|平常|现在|目前|常年|一直|还|也|就){0,3}"
    r"(?:的?(?:家庭)?(?:住址|地址)|现?住|家在|在|是)"
    r"|(?:^|[,，。!！?？;；\s])(?:家住|现住|住在|住址|地址)(?:是|在|[:：])?)[^。！？!?；;\n]{0,20}$"
)
_REFERRED_NAME_RE = re.compile(
    rf"(?:认识|知道|找一?下?|见过|联系|打听|寻找|问问?|有个叫|叫做?|名叫)\s*({_NAME})"
    # 我父亲王德福，他…; 我们楼的刘建华，她…: who the person is to the writer, then the name
    rf"|(?:(?<![\u4e00-\u9fff])我(?:的)?(?:{_KIN})|(?:我们|咱们)(?:楼|单元|小区)的?)\s*({_NAME})(?=[\s,，、])"
    # 王德福是我父亲，他…
    rf"|(?:^|[\s,，。!！?？;；])({_NAME})是我的?(?:{_KIN})"
    rf"|(?:^|[\s,，。!！?？;；])({_NAME})(?=[吗呢嘛吧你您这是]|在吗|没有|大家|[,，。!！?？\s、]|{_CHILD_SAID})"
)
_PRONOUN_REACH = 32  # characters before an address searched for 他家住 ...
_REFERRED_REACH = 40  # characters before the pronoun searched for the name


def _named_then_pronoun(text: str, address_start: int) -> bool:
    """A full name said in an earlier clause and the address said of 他 / 她 after it."""
    window = max(0, address_start - _PRONOUN_REACH)
    pronoun = _PRONOUN_HOME_RE.search(text[window:address_start])
    if pronoun is None:
        return False
    at = window + pronoun.start()
    for m in _REFERRED_NAME_RE.finditer(text, max(0, at - _REFERRED_REACH), at):
        name = next(g for g in m.groups() if g is not None)
        if _is_name(name) and not _addressed(name):
            return True
    return False


# A relative's home said by who they are to the writer instead of a name (我家老李住在…5栋1单元
# 1101, 我公公婆婆住在丽景湾12-1-301, …3号楼2单元201是我舅舅家): the door and the person it
# belongs to. The writer's own home (我家在…) names no one; a spot by the door (我妈在301门口
# 摔倒了) is no home.
_RELATIVES = "|".join(k for k in _OTHERS_KIN.split("|") if k not in ("他", "她"))
_WRITERS_KIN = (
    rf"(?:[我咱俺]们?家?的?(?:老|亲)?(?:{_RELATIVES})+"
    rf"|[我咱俺]们?家(?:老[{_SURNAMES}]|那口子))"
)
_KIN_HOME_BEFORE_RE = re.compile(
    rf"{_WRITERS_KIN}家?(?:一个人|自己|现在|一直|平时|常年|就|也|还)*"
    r"(?:住在?|在|家在|家住|家是|现住)[^,，。;；!！?？\n]{0,14}$"
)
_KIN_HOME_AFTER_RE = re.compile(
    rf"\s*(?:(?:室|号|房)\s*)?(?:[,，]\s*)?(?:就|正|也)?(?:是|为)\s*{_WRITERS_KIN}(?:的)?(?:家|住)"
)
_SPOT_AFTER_RE = re.compile(rf"\s*(?:室|号|房)?的?(?:{_SPOT})")


def _kin_at_door(text: str, start: int, end: int) -> bool:
    """A relative of the writer's said to live at the door ``start``..``end``."""
    if _SPOT_AFTER_RE.match(text, end):
        return False
    if _KIN_HOME_AFTER_RE.match(text, end):
        return True
    return _KIN_HOME_BEFORE_RE.search(text, max(0, start - 24), start) is not None


def _public_place(text: str, address_start: int, address_end: int) -> bool:
    before = text[max(0, address_start - 16) : address_start]
    return bool(_PUBLIC_BEFORE_RE.search(before) or _PUBLIC_AFTER_RE.match(text, address_end))


# A shop's advert (新店开业，地址：解放西街128号，订餐电话0951-…): the address is the shop's,
# whatever reads as a name in its words (老马家羊肉泡馍 is the shop's name, 公安备案 no one's).
# An advert speaks of no one (see ``_trade_advert``).
_SHOP_AD_RE = re.compile(
    r"开业|新店|新开|订餐|订座|订位|欢迎光临|欢迎惠顾|欢迎品尝|营业时间|店址|本店"
    r"|门店|老字号|招生|特价|打折|加盟"
)


@lru_cache(maxsize=8)
def _shop_advert(text: str) -> bool:
    return (
        _SHOP_AD_RE.search(text) is not None or _TRADE_AD_RE.search(text) is not None
    ) and _SOMEONE_RE.search(text) is None


_SAME_ADDRESS_GAP = 8  # characters between a street number and a building: one address
_STREET_RE = re.compile("路|街|大道|巷|弄|胡同")


def find_addresses(text: str) -> list[Finding]:
    """A full home address (building + room) together with a person's name.

    Linear in the text: the message-wide name cues are looked for once (not once per
    address, which made "5栋301," repeated 585 times cost half a second), and each
    address only looks at its immediate neighbourhood.
    """
    norm = unicodedata.normalize("NFKC", text)
    if len(norm) != len(text):  # offsets would not line up; only report, never mask
        text = norm
    found: list[Finding] = []
    named: bool | None = None
    titled: bool | None = None
    if _shop_advert(text):
        return found
    for m in _ADDRESS_RE.finditer(text):
        if named is None:
            named = _names_anywhere(text)
        if _public_place(text, m.start(), m.end()):
            continue
        door = _DOOR_NUMBER_RE.search(m.group()) is not None
        if door and titled is None:
            titled = _TITLED_HOME_RE.search(text) is not None
        if (
            named
            or (door and titled)
            or _name_next_to(text, m.start(), m.end(), door=door)
            or (door and _named_then_pronoun(text, m.start()))
            or (door and _kin_at_door(text, m.start(), m.end()))
        ):
            last = found[-1] if found else None
            if (
                last is not None
                and m.start() - last.end <= _SAME_ADDRESS_GAP
                and _STREET_RE.search(last.value)
            ):
                # 建国路88号华贸公寓2号楼1605室: the street and the flat are one address
                found[-1] = Finding("address", last.start, m.end(), text[last.start : m.end()])
            else:
                found.append(Finding("address", m.start(), m.end(), m.group()))
    return found


# ----------------------------------------------------------------- lists of households

# A list of households by their doors and names, as an arrears list or a round of visits
# writes it (3-2-501 王建国 1200元；5-1-302 李秀兰 860元): every household on it is named at
# home. With the names masked (王**) or withheld (李某), it is a notice like any other.
_ROSTER_DOOR_RE = re.compile(
    rf"{_DOOR_RE.pattern}|(?<![0-9\-－])[0-9]{{1,2}}[-－][0-9]{{1,2}}[-－][0-9]{{3,4}}(?![0-9])"
)
_ROSTER_NAME = (
    rf"(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])(?:[*＊×xX某]{{1,3}}|[\u4e00-\u9fff]{{1,2}})"
)
_ROSTER_AFTER_RE = re.compile(
    rf"\s*(?:(?:室|号|房)\s*)?(?:[:：,，、]\s*)?(?:(?:户主|业主|住户|姓名)\s*)?(?:[:：]\s*)?"
    rf"({_ROSTER_NAME})"
)
_ROSTER_BEFORE_RE = re.compile(rf"({_ROSTER_NAME})\s*[:：,，、]?\s*$")
_MASKED_RE = re.compile("[*＊×xX某]")
_ROSTER_HINTS = "-－单栋幢#＃号排村"


@dataclass(frozen=True, slots=True)
class Roster:
    """How many doors in a message stand next to a name: any (``listed``), and how many of
    those names are real, not masked (``named``)."""

    listed: int = 0
    named: int = 0


@lru_cache(maxsize=8)
def households(text: str) -> Roster:
    """The doors with a name next to them, after the door or just before it (see
    ``_ROSTER_DOOR_RE``): two or more are a list of households."""
    if sum(map(text.count, _ROSTER_HINTS)) < 2:  # two doors at least, each with one of these
        return Roster()
    listed = named = 0
    for m in _ROSTER_DOOR_RE.finditer(text):
        after = _ROSTER_AFTER_RE.match(text, m.end())
        before = _ROSTER_BEFORE_RE.search(text[max(0, m.start() - 6) : m.start()])
        names = [n.group(1) for n in (after, before) if n is not None]
        if not names:
            continue
        listed += 1
        if any(_MASKED_RE.search(n) is None and _is_name(n) for n in names):
            named += 1
    return Roster(listed, named)


# ----------------------------------------------------------------- licence plates

# A Chinese plate: a province's one-character abbreviation, the city's letter, then five
# letters and digits (six on a new-energy car), often with a dot, a dash or a space after
# the letter, or spaces inside as people type it: 宁A·5Q821, 宁A-9X382, 宁C 3K790, 京AD12345,
# 宁A 3X 670, 宁 A·3X670. At least two digits, so a word in capitals after a province's
# character (云APP) is no plate; a single space at most between two characters, and nothing
# of a plate right after it, so a longer run of spaced digits (宁A 1 2 3 4 5 6 7) is none.
_PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_RE = re.compile(
    rf"[{_PLATE_PROVINCES}][ \t]?([A-Z])[ \t]?[·・.．•\-－]?[ \t]?"
    r"([A-Z0-9](?:[ \t]?[A-Z0-9]){4,5})(?![ \t]?[A-Za-z0-9])"
)


def _plates(text: str) -> list[tuple[int, int, int]]:
    """(start, end, where the characters after the city's letter start) of each plate."""
    norm = unicodedata.normalize("NFKC", text).upper()
    if len(norm) != len(text):
        return []
    return [
        (m.start(), m.end(), m.end(1))
        for m in _PLATE_RE.finditer(norm)
        if sum(ch.isdigit() for ch in m.group(2)) >= 2
    ]


# Whose car it is, said next to the plate: 宁A·L8826是我表哥马建军的, 是马建军家的;
# 马建军的车 宁A·L8826, 马建军家的车牌是宁A·L8826.
# The owner's building may come first (是3号楼李强的); "王建军的车" after the plate says it too.
# 是我们楼马建国的: the writer's own building, which the group knows.
_OWNERS_BUILDING = (
    rf"(?:住?在?{_NUM}{{1,3}}\s*(?:号楼|栋|幢)(?:{_NUM}{{1,2}}单元)?(?:[0-9]{{3,4}})?的?"
    r"|(?:我们|咱们|俺们|咱)楼的?)"
)
# What the car looks like may come between the plate and its owner (宁A5Q821 白色大众，是...).
# (Its first character no space, and the spaces after it its own: a run of spaces after a
# plate can be read one way only.)
_CAR_SAID = r"(?:[^\s,，。;；!！?？][^,，。;；!！?？\n]{0,9}[,，]\s*)?"
_PLATE_OWNER_AFTER_RE = re.compile(
    rf"\s*(?:[,，]\s*)?{_CAR_SAID}(?:(?:是|系|属于)\s*{_OWNERS_BUILDING}?"
    rf"(?:(?:我|他|她)的?(?:{_KIN})?\s*)?({_NAME})(?:家)?的"
    rf"|({_NAME})(?:家)?的(?:车|小车|轿车|私家车|电动车))"
    rf"|\s*[(（]\s*({_NAME})\s*[)）]"  # 宁A 5Q821（王建军）
    rf"|\s*的?车主(?:是|叫|为)\s*({_NAME})"  # 宁A5Q821的车主是马建军
)
_PLATE_OWNER_BEFORE_RE = re.compile(
    rf"({_NAME})(?:家)?的(?:车子?|小车|轿车|汽车|私家车|电动车|面包车|货车|皮卡|车牌号?)"
    r"\s*(?:是|为|号码?)?\s*[:：,，]?\s*$"
    # a register's line or a list's: 车辆登记：马德福 宁A5Q821
    rf"|(?:^|[\n:：;；])\s*({_NAME})\s*[:：,，]?\s*$"
)


# The owner said by their surname and title (是王师傅的, 韩师傅的车宁A…), maybe with their
# building (是3号楼王老师家的车, 是咱们楼杨大姐的): in a group of neighbours that says whose car
# it is as well as a full name does.
# The building may be a stairwell (是二单元孙哥的) or the estate (是咱小区的马老师的), asked too
# (是不是2号楼的李医生的车); the owner a title of work (医生, 会计) or a nickname (老马).
_OWNERS_PLACE = (
    rf"(?:{_OWNERS_BUILDING}|{_NUM}{{1,2}}\s*单元的?"
    r"|(?:我们|咱们|俺们|咱|本)(?:小区|单元|院|村)(?:里)?的?)"
)
_TITLED_OWNER = (
    rf"(?:(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])(?:老师|师傅|大姐|大哥|医生|大夫|护士|会计|老板|警官"
    rf"|{_HONORIFIC})|老[{_SURNAMES}])"
)
_PLATE_TITLED_OWNER_RE = re.compile(
    rf"\s*(?:[,，]\s*)?{_CAR_SAID}(?:这个?车|这辆车?)?(?:是不是|是|系|属于)\s*{_OWNERS_PLACE}?"
    rf"{_TITLED_OWNER}家?的"
    # the door right after the plate, as the owner's (宁A·K9E22，4号楼502的)
    rf"|\s*(?:[,，]\s*)?(?:是\s*)?(?:{_BUILDING}\s*(?:号楼|栋|幢)\s*(?:{_NUM}{{1,2}}\s*{_UNIT}\s*)?"
    rf"|[0-9]{{1,2}}-[0-9]{{1,2}}-){_ROOM}(?:室|号)?(?:家)?的"
)
_CAR_WORDS = (
    "车子?|小车|轿车|汽车|私家车|电动车|电车|电瓶车|越野车|商务车|面包车|货车|皮卡|摩托车?|车牌号?"
)
# ... or before it, the neighbour by title with the building (3单元张阿姨家的车宁A 7G21C);
# without the building, a titled neighbour's car (韩师傅的车) is ``_TITLED_CAR_RE``'s.
_PLATE_TITLED_BEFORE_RE = re.compile(
    rf"{_OWNERS_PLACE}{_TITLED_OWNER}家?的(?:{_CAR_WORDS})?\s*(?:是|为|号码?)?\s*[:：,，]?\s*$"
)


# Whose the car is or who drives it, said anywhere in the message: the owner's or the
# driver's word, maybe hedged (好像, 应该), then a verb, where they live and who they are to
# the writer, then the full name (车主好像是3号楼的马建国, 车主名字写的是我爸马德福); a full name
# said to own it (应该是张伟的, 马建国家的车); or said to drive it (是他儿子马小军开着, 2单元的
# 李红在开).
_HEDGE = r"(?:好像|应该|可能|估计|据说|听说|大概|貌似|似乎|就|也|平时|一直)?"
_NEIGHBOUR_AT = (
    rf"(?:住?在?{_NUM}{{1,3}}\s*(?:号楼|栋|幢|单元)(?:{_NUM}{{1,2}}单元)?(?:[0-9]{{3,4}})?的?"
    r"|(?:我们|咱们|俺们|咱)楼的?|(?:隔壁|对门|楼上|楼下|对面)的?)"
)
_PLATE_USER_RE = re.compile(
    rf"(?:车主|司机|驾驶人|驾驶员|开车的)(?:的?名字|姓名)?{_HEDGE}"
    rf"(?:是|叫|为|写的?是?|登记的?是?)\s*(?:[:：]\s*)?{_HEDGE}{_NEIGHBOUR_AT}?{_KIN_SAID}?({_NAME})"
    rf"|(?:是|系|属于){_HEDGE}{_NEIGHBOUR_AT}?{_KIN_SAID}?({_NAME})家?的"
    rf"|({_NAME})家?的(?:{_CAR_WORDS})"
    # (a run of spaces is entered at its first one only)
    rf"|(?:^|(?<!\s)[\s,，。!！?？;；]|是|的|{_KIN})\s*({_NAME}){_HEDGE}(?:在|天天|每天|经常|老)?开(?:着|的)?"
    r"(?=[\s,，。!！?？;；]|$|车|这|那|是)"
    rf"|({_NAME})\s*(?:[,，]\s*)?(?:你|您)家?的(?:{_CAR_WORDS})"
    # the owner called down by name to move it (陈卫东你下来挪车)
    rf"|({_NAME})\s*(?:[,，]\s*)?(?:你|您)[^。！？!?\n]{{0,6}}?(?:挪车|挪一下|挪下|把车|开走|下来)"
)


@lru_cache(maxsize=8)
def _plate_user_named(text: str) -> bool:
    """The message names whose car it is or who drives it (see ``_PLATE_USER_RE``)."""
    for m in _PLATE_USER_RE.finditer(text):
        name = next(g for g in m.groups() if g is not None)
        if not _is_name(name) or _addressed(name):
            continue
        # Said to drive it after a pause, the name must look like one (司机开着车跑了).
        given = name[1:-1] if name[-1] in _NOT_NAME_END else name[1:]  # 李红在开: 李红
        if m.group(4) is None or all(ch in _GIVEN_CHARS for ch in given):
            return True
    return False


# The owner by title, nickname or job anywhere in the message, the building optional, asked
# too: 是王医生的车, 好像是物业李经理的, 是开出租的老刘的车, 车主是楼下开饭店的马老板,
# 是不是那个医生的车 -- whose car the neighbours know by the title as by a full name.
_OWNER_TITLE = (
    rf"(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])(?:老师|师傅|大姐|大哥|医生|大夫|护士|会计|老板娘"
    rf"|老板|经理|主任|警官|律师|{_HONORIFIC})"
    rf"|[老小][{_SURNAMES}](?![时候实师样区米])"
)
_OWNER_JOB = "医生|大夫|老师|护士|律师|警察|老板|经理|会计|保安|门卫|快递员|护工"
# A title alone (是王师傅的) names no one: the building, the workplace, the job or 那个 with it.
_OWNER_SAID = (
    r"(?:(?:物业|单位|医院|学校|社区|诊所|超市|小卖部|派出所)的?"
    r"|[^，。！？!?,\s的]{1,6}的|那个|这个|那位)"
)
_PLATE_KNOWN_OWNER_RE = re.compile(
    rf"(?:是不是|是|系|属于|(?:车主|司机)(?:是|叫)){_HEDGE}"
    rf"(?:(?:{_NEIGHBOUR_AT}|{_OWNERS_PLACE}){_OWNER_SAID}?|{_OWNER_SAID})"
    rf"(?:{_OWNER_TITLE}|{_OWNER_JOB})(?:家?的|(?=[，。！？!?,\s]|$))"
)


# ... or a titled neighbour's car, or their kin's, anywhere in the message (那是咱们小区保安
# 队长王师傅的私家车, 是马姐她老公的车).
_TITLED_CAR_RE = re.compile(
    rf"{_TITLED_OWNER}(?:[他她]?(?:{_OTHERS_KIN}))?家?的(?:{_CAR_WORDS})"
    rf"|(?:是|车主是){_HEDGE}(?:{_OWNERS_PLACE})?{_TITLED_OWNER}[他她]?(?:{_OTHERS_KIN})"
    r"(?:家?的|(?=[，。！？!?,\s]|$))"
)


# ... or by surname with where they live (是3单元那个姓李的, 是2单元姓金的女的), or by what
# they do for a living (是开烧烤店的那个胖子的, 卖菜的两口子的): the neighbours know them so.
_PEOPLE_WORDS = "胖子|瘦子|光头|大个子|小伙子?|老头儿?|老太太?|女的|男的|两口子"
_PLATE_DESCRIBED_OWNER_RE = re.compile(
    rf"(?:是|系|属于|车主是){_HEDGE}"
    rf"(?:(?:{_NEIGHBOUR_AT}|{_OWNERS_PLACE})(?:那个|这个|那位)?|那个|那位)"
    rf"姓(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])(?:的(?:{_PEOPLE_WORDS}))?"
    rf"(?:家?的|(?=[，。！？!?,\s]|$))"
    rf"|(?:是|系|属于|车主是){_HEDGE}(?:{_NEIGHBOUR_AT}|{_OWNERS_PLACE})?(?:那个)?"
    rf"(?:开|卖|干|做|修)[^，。！？!?,\s的]{{1,5}}的(?:那个)?(?:{_PEOPLE_WORDS})"
    rf"(?:家?的|(?=[，。！？!?,\s]|$))"
)


@lru_cache(maxsize=8)
def _plate_known_owner(text: str) -> bool:
    """The owner by title with the building, the workplace or the job (see
    ``_PLATE_KNOWN_OWNER_RE``), by surname and home or by trade
    (``_PLATE_DESCRIBED_OWNER_RE``), or a titled neighbour's car (``_TITLED_CAR_RE``), once
    per message whatever the number of plates."""
    return any(
        r.search(text) is not None
        for r in (_PLATE_KNOWN_OWNER_RE, _PLATE_DESCRIBED_OWNER_RE, _TITLED_CAR_RE)
    )


def _plate_owner(text: str, start: int, end: int) -> bool:
    """A person named as the plate's owner right next to it (bounded look-around), or as
    its owner or driver anywhere in the message."""
    if _PLATE_TITLED_OWNER_RE.match(text, end) or _plate_user_named(text):
        return True
    if _plate_known_owner(text):
        return True
    after = _PLATE_OWNER_AFTER_RE.match(text, end)
    if after is not None and _is_name(next(g for g in after.groups() if g is not None)):
        return True
    if _PLATE_TITLED_BEFORE_RE.search(text[max(0, start - 20) : start]):
        return True
    before = _PLATE_OWNER_BEFORE_RE.search(text[max(0, start - 16) : start])
    return before is not None and _is_name(next(g for g in before.groups() if g is not None))


# The owner called by a nickname (车主是大刘, 是二黑子的, 胖子马的车, 车主外号老黑, 二狗子开的,
# 三胖子的面包车, 宁A·Q7790 老蔫儿的) with the home down to the door (他家就在6号楼1单元102,
# 住12号楼3单元501, or the door right after the owner: 老蔫儿的，6-1-202): the neighbours know
# whose car and whose door.
_NOT_NICK = "谁|哪|什么|啥|这|那|我|咱|你|白色|黑色|红色|蓝色|灰色|银色|新|旧|外地|外面|本地|小区"
_NICK = rf"(?!{_NOT_NICK})[\u4e00-\u9fff]{{2,4}}?"
_NICK_STOP = r"(?=[\s,，。;；!！]|$)"
_PLATE_NICK_RE = re.compile(
    rf"(?:车主|司机)(?:好像|应该)?(?:是|叫|(?:外号|绰号|小名)(?:是|叫)?)\s*{_NICK}(?=[\s,，。;；!！]|$|家|的|住)"
    rf"|(?:是|系|属于)\s*{_NICK}家?的(?:车)?{_NICK_STOP}"
    rf"|(?<![\u4e00-\u9fff]){_NICK}家?的(?:{_CAR_WORDS}){_NICK_STOP}"
    # who drives it: 二狗子开的, 老黑在开着
    rf"|(?<![\u4e00-\u9fff]){_NICK}在?开(?:的|着){_NICK_STOP}"
    # whose, right after the plate: 宁A·Q7790 老蔫儿的
    rf"|(?<=[0-9A-Za-z])[ \t]*(?:[,，][ \t]*)?{_NICK}家?的{_NICK_STOP}"
)
# Where the owner lives, said before the door: 家在, 他家就在, 住 -- not the writer's own home.
_HOME_DOOR_BEFORE_RE = re.compile(
    r"(?<![我咱俺])(?:家|住)(?:就|也|还)?(?:在|是)?[^，。;；!！?？\n]{0,8}$"
)
# ... or nothing but a pause between the owner and the door.
_DOOR_RIGHT_AFTER_RE = re.compile(r"[\s,，、:：]{0,3}")
_MAX_NICKS = 8


def _nicknamed_owner_at_home(text: str) -> bool:
    """The plate's owner said by any name and the owner's door said as their home, or
    right after the owner."""
    ends = [m.end() for _, m in zip(range(_MAX_NICKS), _PLATE_NICK_RE.finditer(text), strict=False)]
    if not ends:
        return False
    for d in _ROSTER_DOOR_RE.finditer(text):
        if not _DOOR_NUMBER_RE.search(d.group()) and "-" not in d.group():
            continue
        if _HOME_DOOR_BEFORE_RE.search(text, max(0, d.start() - 12), d.start()):
            return True
        at = bisect.bisect_right(ends, d.start())
        if at and _DOOR_RIGHT_AFTER_RE.fullmatch(text, ends[at - 1], d.start()):
            return True
    return False


def find_plates(text: str, *, named: bool | None = None) -> list[Finding]:
    """A licence plate together with a person's name (车牌宁A·5Q821 我叫张建军): whose
    car it is. A plate alone is a car, which residents post about all the time (宁A·5Q821
    挡住消防通道了): not personal. ``named``: the message-wide name cues, when known."""
    spans = _plates(text)
    if not spans:
        return []
    if named is None:
        named = _names_anywhere(text) or _nicknamed_owner_at_home(text)
    return [
        Finding("plate", a, b, text[a:b]) for a, b, _ in spans if named or _plate_owner(text, a, b)
    ]


# ----------------------------------------------------------------- passports

# A Chinese passport: E and eight digits, or E and a letter and seven (EA1234567, EJ...);
# the older G and eight digits; P, D, S (and PE, DE, SE) for service passports. Read off
# the page, the digits come in blocks now and then (E 1234 5678): single spaces inside.
_PASSPORT_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:E[A-Z]?|G|[PDS]E?) ?[0-9](?: ?[0-9]){6,7}(?![A-Za-z0-9])(?! [0-9])"
)
_PASSPORT_CUE_RE = re.compile(r"护照|passport|旅行证", re.IGNORECASE)
_NAME_NEXT_RE = re.compile(rf"[\s,，:：、(（]*({_NAME})(?=[\s,，。;；、!！?？)）]|的|同学|$)")


# A name in pinyin, as a passport or a travel permit prints it (WANG JIANGUO, Ma Xiulan,
# OUYANG XIAOMING): a common surname's syllables, then one or two syllables of a given name,
# in capitals or capitalised. Only for a passport's or a permit's holder.
_PINYIN_SURNAMES = (
    "ouyang|situ|shangguan|zhuge|wang|li|zhang|liu|chen|yang|huang|zhao|wu|zhou|xu|sun|ma"
    "|zhu|hu|guo|he|gao|lin|luo|zheng|liang|xie|song|tang|han|feng|deng|cao|peng|zeng|xiao"
    "|tian|dong|yuan|pan|yu|jiang|cai|du|ye|cheng|su|wei|lv|lu|ding|ren|shen|yao|cui|zhong"
    "|tan|fan|jin|shi|liao|jia|xia|fang|bai|zou|meng|xiong|qin|qiu|yin|xue|yan|duan|lei|hou"
    "|long|tao|gu|mao|hao|gong|shao|wan|qian|dai|mo|kong|xiang|chang|wen|kang|niu|ge|xing"
    "|an|qi|qiao|pang|ni|zhuang|nie|yue|na|hai|sa|hong|la|ning|bao|ke|mi|sha|lan|ji|mu|ai"
)
_PINYIN_SYLLABLE = (
    "(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    "(?:iang|iong|uang|ang|eng|ing|ong|uan|ian|iao|uai|ai|ei|ao|ou|an|en|in|un|ia|ie|iu|ua|uo"
    "|ui|ue|ve|er|a|o|e|i|u|v)"
)
_PINYIN_NAME_RE = re.compile(
    r"(?<![A-Za-z])(?:[A-Z]{2,20}(?: [A-Z]{2,12}){0,2}|[A-Z][a-z]{1,19}(?: ?[A-Z][a-z]{1,11}){0,2})"
    r"(?![A-Za-z])"
)
_PINYIN_SURNAME_RE = re.compile(rf"(?:{_PINYIN_SURNAMES})", re.IGNORECASE)
_PINYIN_GIVEN_RE = re.compile(rf"(?:{_PINYIN_SYLLABLE}){{1,2}}", re.IGNORECASE)


_PINYIN_LABEL_RE = re.compile(r"(?:姓名|名字|持证人|持有人|本人|拼音|name)\s*[:：]?\s*$", re.I)
_PINYIN_REACH = 24  # characters around a permit's code searched for its holder in pinyin


def _pinyin_name(words: list[str]) -> bool:
    if len(words) > 1:  # WANG JIANGUO, Ma Xiulan: the surname is the first word
        surname, given = words[0], "".join(words[1:])
        return bool(_PINYIN_SURNAME_RE.fullmatch(surname) and _PINYIN_GIVEN_RE.fullmatch(given))
    word = words[0] if words else ""
    return any(  # WANGJIANGUO: one word, after a label only
        _PINYIN_SURNAME_RE.fullmatch(word[:cut]) and _PINYIN_GIVEN_RE.fullmatch(word[cut:])
        for cut in range(2, min(8, len(word) - 1) + 1)
    )


def _pinyin_holder(text: str, start: int, end: int) -> bool:
    """A name in pinyin near a passport's or a permit's code (``start``..``end``): two
    words (WANG JIANGUO, Ma Xiulan) or one after a name's label (姓名：WANGJIANGUO). Brands
    and places read as pinyin too (HUAWEI, Yinchuan), so only there."""
    a, b = max(0, start - _PINYIN_REACH), min(len(text), end + _PINYIN_REACH)
    for m in _PINYIN_NAME_RE.finditer(text, a, b):
        if start <= m.start() < end:
            continue  # the code itself
        words = re.findall("[A-Z][a-z]+|[A-Z]+", m.group())
        labelled = _PINYIN_LABEL_RE.search(text, max(0, m.start() - 8), m.start()) is not None
        if (len(words) > 1 or labelled) and _pinyin_name(words):
            return True
    return False


def find_passports(text: str, *, named: bool | None = None) -> list[Finding]:
    """A passport number with the word 护照 near it or a person's name in the message
    (护照号E12345678, E12345678 张伟): letters and digits alone are as often a product's
    or an order's code. ``named``: the message-wide name cues, when known."""
    norm = unicodedata.normalize("NFKC", text).upper()
    if len(norm) != len(text):
        return []
    found: list[Finding] = []
    for m in _PASSPORT_RE.finditer(norm):
        before = norm[max(0, m.start() - 12) : m.start()].lower()
        if _NOT_PERSONAL_BEFORE_RE.search(before):
            continue
        near = norm[max(0, m.start() - 20) : m.end() + 12]
        if not _PASSPORT_CUE_RE.search(near):
            after = _NAME_NEXT_RE.match(text, m.end())
            holder = after is not None and _is_name(after.group(1))
            if not holder and not _pinyin_holder(text, m.start(), m.end()):
                if named is None:
                    named = _names_anywhere(text)
                if not named:
                    continue
        found.append(Finding("passport", m.start(), m.end(), m.group()))
    return found


def _star(text: str, positions: Iterable[int]) -> str:
    """``text`` with the characters at ``positions`` starred."""
    chars = list(text)
    for i in positions:
        chars[i] = "*"
    return "".join(chars)


def _mask_passports(text: str) -> str:
    """A passport's digits starred but the last two (E12345678 → E******78)."""
    hidden = []
    for f in find_passports(text):
        hidden += [i for i in range(f.start, f.end) if text[i].isdigit()][:-2]
    return _star(text, hidden)


# ----------------------------------------------------------------- documents and records

# A personal document's or record's number under its label: 老年证号, 退休证号：, 残疾证号码,
# 医保卡号, 社保号, 病历号, 住院号, 门诊号, 就诊卡号, 学籍号, 学号, 工号, 驾驶证号, 准考证号,
# 港澳通行证 C12345678. Stems that are a document only with 号 after them (学号, 住院号) and
# documents that may take a colon instead (退休证：...).
# 户号 is the household register's (户口本户号), not a utility's or a shop's account (电费户号,
# 客户号, 用户号); a check-up's report (体检报告编号, 报告单号) is a medical record.
_DOC_STEMS = (
    "公积金(?:个人)?[账帐]?|学籍|学|工|医保|社保|医疗保险|考生|准考|档案|户籍"
    # a hospital's records, registered for a course of care too (透析登记号 XT2021045)
    "|(?:病历|病案|住院|门诊|就诊|透析|血透|慢病|慢特病|门特)(?:登记)?"
    "|(?<![用客账帐电水气费商])户|体检报告|体检|报告单|化验单|检验单|检查单|(?<![参思])考"
    "|预防接种证?|接种证|疫苗本|疫苗证"
    # a vehicle's identification number (车辆识别代号 LSVAM4187C2184847): a car's, and with
    # its owner named (所有人 马建国) as telling as the owner's plate
    "|车辆识别代|车架"
    # a police receipt for a reported case (受案回执编号, 回执号): the one who reported it
    "|受案回执|受案|回执|案件|警情|立案|受理|接警|报警回执"
)
_DOC_WORDS = (
    "老年证|老年卡|退休证|离休证|残疾证|残疾人证|军官证|士兵证|士官证|文职(?:干部|人员)证"
    # a group's card, the group said first: the holder's name may come before it
    "|(?:退役军人|军人|老年人?|烈属|残疾人)?优待证|(?:残疾|伤残)军人证"
    "|(?:城乡|农村|城市)?(?:低保|最低生活保障)[证卡]|特困(?:供养|人员)?证|救助证"
    "|通行证|台胞证|回乡证|居住证|暂住证|驾驶证|驾照|行驶证|准考证|学生证|工作证|医保卡|社保卡"
    "|医疗卡|就诊卡|诊疗卡|健康卡|病历本|出生证明?|出生医学证明|结婚证|离婚证|房产证|不动产证"
    "|户口本|户口簿"
    # a profession's certificate: 教师资格证号, 律师执业证号, 资格证书编号, 职称证书编号
    "|(?:教师|医师|护士|律师|会计|执业|从业)?资格证书?|(?:医师|律师|护士)?执业证书?|职称证书?|上岗证"
)
_DOC_LABEL_RE = re.compile(
    rf"(?:(?:{_DOC_STEMS}|{_DOC_WORDS})(?:卡|证)?[ ]?(?:号码|编号|编码|字号|号)(?!召|称|外)"
    rf"[是为:：\s]{{0,4}}|(?:{_DOC_WORDS})\s*[:：]\s*)"
    # The code: letters and digits, single spaces or dashes inside, or a bureau's words
    # around it (宁退字第0083211号, 银房权证兴庆区字第2012345号); 港澳通行证C12345678 needs no
    # 号 after the word.
    # 银公金受案字〔2024〕10583号: the year in brackets after the bureau's words
    r"((?:[\u4e00-\u9fff]{1,9}字)?(?:[〔\[(]\s*(?:19|20)[0-9]{2}\s*[〕\])]\s*第?[0-9]{1,8}号"
    r"|第?[A-Za-z0-9](?:[ \-]?[A-Za-z0-9]){5,29}号?))"
    r"(?![A-Za-z0-9])"
    r"|(?<=通行证)\s*([A-Za-z][A-Za-z0-9]{8})(?![A-Za-z0-9])"  # C12345678, CA1234567
    # A property certificate's number, which needs no label: 宁(2021)银川市不动产权第0048372号
    # (the text is normalised, so full-width brackets read as these).
    r"|([\u4e00-\u9fff]\s*\(\s*[0-9]{4}\s*\)\s*[\u4e00-\u9fff]{0,10}?不动产(?:权|证明)"
    r"\s*第\s*[0-9]{4,10}\s*号"
    # A court case's number: (2024)宁0104民初3127号 -- the year, the court, the kind of case
    r"|\(\s*(?:19|20)[0-9]{2}\s*\)\s*[\u4e00-\u9fff]{1,3}[0-9]{0,4}[\u4e00-\u9fff]{1,4}[0-9]{1,6}\s*号)"
)
# Numbers in an issuer's words, which need no label either (looked for only when 字 is in
# the message): a police case's or receipt's, the bureau's words and the kind of case
# first (宁公(兴)立字〔2024〕1136号, 银公金受字〔2024〕2087号: a case filed or taken in), and a
# certificate's (宁退字第2016-04723号, 宁残字第0083211号).
_ISSUED_CODE_RE = re.compile(
    r"[\u4e00-\u9fff]{0,8}(?:\([\u4e00-\u9fff]{1,4}\)[\u4e00-\u9fff]{0,4})?(?:立|受|受案|立案|刑|拘)字"
    r"\s*[〔\[(]\s*(?:19|20)[0-9]{2}\s*[〕\])]\s*第?\s*[0-9]{1,8}\s*号"
    r"|[\u4e00-\u9fff]{1,6}字\s*第\s*[0-9]{4,}(?:[\-－][0-9]{2,})*\s*号"
)
# A business's unified social credit code, 18 characters: the registering body and kind
# (92: an individual business), the region, then the organisation code and a check.
_CREDIT_CODE_RE = re.compile(
    r"(?:统一)?(?:社会)?信用代码(?:号码?)?[是为:：\s]{0,4}"
    r"([0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10})(?![0-9A-Za-z])",
    re.IGNORECASE,
)
# A credit code is a person's record only when the business is a one-person shop (个体户)
# and its holder is named -- or when it is the writer's own (法人是我, 我开的店), whom the
# group knows without a name; a company's code, posted on a notice, is public.
_MY_BUSINESS = (
    r"(?:法人|法定代表人|经营者|负责人|老板)(?:就?是|为)(?:我|本人)|我(?:就?是|为)(?:法人|经营者)"
    r"|我(?:自己)?(?:家|开|的)的?(?:店|铺|摊|小卖部|门市)|本人(?:经营|开)"
)
_MY_BUSINESS_RE = re.compile(_MY_BUSINESS)
_OWN_BUSINESS_RE = re.compile(rf"个体|{_MY_BUSINESS}")
_COMPANY_RE = re.compile(r"公司|集团|企业|合作社|事务所|股份|有限|协会|学校|医院|政府|委员会")
# Not the resident's: a staff's number given by a service (客服工号 1023456, 工号1023456
# 客服王芳), whatever name follows.
_DOC_NOT_PERSONAL_RE = re.compile(r"客服|坐席|话务|工作人员|接线员|专员|售后")


def _holder_re(words: str) -> re.Pattern[str]:
    """The holder named after the words that say who holds a record or an account; whose
    the name is may come first (产权人是我爸李德福, 法人是我，杨丽, 持卡人是我爸王德福)."""
    return re.compile(
        rf"(?:{words})(?:就?是|为|叫)?\s*[:：]?\s*"
        rf"(?:(?:我|他|她)的?(?:{_PERSON})?\s*[,，、]?\s*)?({_NAME})"
    )


# The holder named next to the number: 患者张建国, 病人：王芳, 持证人马德明, a marriage
# certificate's 男方马建军 女方李秀兰.
_DOC_HOLDER_RE = _holder_re(
    "患者|病人|病号|持证人|持卡人|考生|学生|职工|员工|本人|老人|名字|权利人|产权人|所有权人"
    "|受检人|体检人|经营者|法人|法定代表人|男方|女方"
    # a birth certificate's child and parents; a vehicle licence's owner
    "|新生儿|婴儿|孩子|母亲|父亲|所有人"
    # a court case's parties
    "|原告|被告|上诉人|被上诉人|申请人|被申请人|申请执行人|被执行人|第三人|当事人"
    # a reported case's
    "|报案人|报警人|受害人"
)
# A card's or an account's holder (户名马桂英, 户主马建国): a card told in parts is one then.
_CARD_HOLDER_RE = _holder_re(f"户主|{_PAYEE}")
# Whose card it is, said after it: 这是马建国的卡, 这是我妈杨桂花的卡, 是我爱人的卡.
_CARD_WHOSE = (
    rf"(?:这张|那张|这)?是\s*(?:[我他她]的?)?(?:(?:{_PERSON}|爱人)\s*(?:{_NAME})?|{_NAME})"
    r"的(?:银行|工资|储蓄)?卡"
)
_CARD_WHOSE_AFTER_RE = re.compile(rf"[\s,，(（]*{_CARD_WHOSE}")
# Words that ask to pay into a card (打到这张卡, 转到我卡上, 房租打我爱人卡上): how a lure gives
# its account, and a resident too (see ``paid_as_lure``).
_PAY_INTO_RE = re.compile(
    rf"(?:打|转|汇|存|还)(?:到|进|给)?(?:这张|这个|那张|[我他她你]?的?(?:{_PERSON}|爱人)?)的?卡"
    r"|(?:打|转|汇)到"
)
_SPELT_RE = re.compile(f"[{_DIGIT_CHARS}](?:[{_TIGHT_SEP_CHARS}]+[{_DIGIT_CHARS}])+")


# What a lure says of the card it asks to be paid into: a new or changed account, who
# claims to have changed it, haste and secrecy (卡换了, 新账户, 房东, 尽快, 别告诉爸).
_CARD_LURE_RE = re.compile(
    r"新卡|换(?:了|成)?(?:张|个)?新?卡|卡(?:号)?(?:换|改|变)了|新的?[账帐](?:户|号)"
    r"|换了?(?:个)?[账帐](?:户|号)|房东|领导|尽快|马上|立即|立刻|赶紧|抓紧|今天(?:必须|之内|内)"
    r"|必须|别告诉|不要告诉|别跟|不要跟|保密|别声张"
)
# A debt between neighbours: a meal, a shared ride or a group buy paid for by one of them.
_OWED_RE = re.compile(
    r"菜钱|饭钱|饭费|餐费|车费|油费|路费|拼车|团购|拼单|接龙|AA|垫付|垫的|代买|代购|跑腿费",
    re.IGNORECASE,
)


def _neighbours_debt(text: str) -> bool:
    """The writer names themself and asks back what a neighbour owes them (我叫马建国，上次
    的菜钱，你给我打过来就行), with none of a lure's marks (see ``_CARD_LURE_RE``)."""
    return (
        _OWED_RE.search(text) is not None
        and _CARD_LURE_RE.search(text) is None
        and _self_named(text)
    )


# Pay for work the writer's household did, asked of whoever owes it (工资打我弟卡上, 工钱发到
# 我媳妇卡里, 护工费打我姐的卡): the money comes to the writer's side, as a lure's never does.
_WAGES_RE = re.compile(r"工资|工钱|薪水|薪资|劳务费|护工费|保姆费|加班费|提成|结工资|结账")


def _wages_owed(text: str) -> bool:
    """Wages or a fee for work asked to be paid into a card, with none of a lure's marks
    (see ``_CARD_LURE_RE``)."""
    return _WAGES_RE.search(text) is not None and _CARD_LURE_RE.search(text) is None


# A relative asks the family for the family's money (爸，生活费打我卡上 …; 闺女，你把钱汇到你弟
# 卡上 …): the message opens by calling the reader by kin, or names money a family sends
# (生活费, 学费, 压岁钱, 看病的钱, 房贷) with a relative said in it. The money stays in the
# family, the card is the writer's or a relative's.
_KIN_CALLED_RE = re.compile(
    r"^\s*[大二三四五六七八小老]?(?:爸爸?|妈妈?|爷爷|奶奶|姥姥|姥爷|外公|外婆|舅舅?|舅妈|叔叔?|婶子?"
    r"|姑姑?|姨妈?|伯伯?|哥哥?|姐姐?|弟弟?|妹妹?|闺女|儿子|女儿|老公|老婆|媳妇|孙子|孙女|爹|娘)"
    r"(?:[，,!！:：\s。]|你|呀|啊)"
)
_FAMILY_MONEY_RE = re.compile(
    r"生活费|学费|伙食费|零花钱|压岁钱|医药费|药费|药钱|看病|房贷|车贷|彩礼|分红|养老钱|赡养费"
    r"|抚养费|份子钱|礼金"
)
_KIN_WORD_RE = re.compile(_OTHERS_KIN)
# What the stranded or impersonated relative's lure says and a relative asking for the
# family's money does not: who the sender claims to be (我是你二舅), a new number or account,
# a meeting and no calls, haste, a third party's card (朋友, 同事, 室友, 领导), secrecy.
_FAMILY_LURE_RE = re.compile(
    r"我是(?:你|您)|是我[，,啊呀]|听(?:得|不)?出|新号|新微信|换(?:了)?(?:个)?(?:新)?(?:号|手机|微信|电话)"
    r"|登不上|被盗|开会|会上|不方便|(?:别|不要|不用)(?:给我)?(?:打|回)?电话|(?:不能|没法)接"
    r"|朋友|同事|室友|同学|老板|客户|领导|主任|出事|车祸|被抓|急用|急需|急事|着急|事急|截图"
)


def _family_asks(text: str) -> bool:
    """A relative asks the family to send the family's money to their card, with none of a
    lure's marks (see ``_FAMILY_LURE_RE``, ``_CARD_LURE_RE``)."""
    if _FAMILY_LURE_RE.search(text) is not None or _CARD_LURE_RE.search(text) is not None:
        return False
    if _KIN_CALLED_RE.search(text) is not None:
        return True
    return _FAMILY_MONEY_RE.search(text) is not None and _KIN_WORD_RE.search(text) is not None


def paid_as_lure(text: str, finding: Finding) -> bool:
    """A card in a message that asks to pay into it and reads like a lure's account:
    spelt digit by digit (6 2 1 7 0 0 ...), how a lure slips it past a filter, or said to
    be new or changed, with haste or secrecy (房租打到新卡 ... 今天必须转). A resident
    spelling their own card says whose it is and asks nothing to be paid into it; one who
    names themself and asks a neighbour for what is owed (菜钱, 车费, 团购) gives their own;
    so does a relative asking the family for its money (``_family_asks``)."""
    if finding.kind != "bank" or _PAY_INTO_RE.search(text) is None:
        return False
    if _neighbours_debt(text) or _wages_owed(text) or _family_asks(text):
        return False
    span = text[finding.start : finding.end]
    spelt = _SPELT_RE.fullmatch(span) is not None and all(
        len(piece) == 1 for piece in _SEP_SPLIT_RE.split(span)
    )
    return spelt or _CARD_LURE_RE.search(text) is not None


# 王磊，男，学号…; 张浩然同学学号…; 马思远（学号…）: the name, maybe what the person is, then
# the label.
_NAME_BEFORE_LABEL_RE = re.compile(
    rf"({_NAME})(?:同学|学生)?{_PERSON_NOTE}{{0,2}}的?\s*[,，:：(（]?\s*$"
)
# The code first, then whose record it is (20230512是王欣怡的学号, …是我儿子的学籍号): the
# label's start is where the label is, so the holder is read before it as usual.
_CODE_BEFORE_LABEL_RE = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z0-9]{6,30})\s*(?:是|为)\s*[^\s,，。;；!！?？]{1,8}?的\s*"
    rf"((?:{_DOC_STEMS}|{_DOC_WORDS})(?:卡|证)?(?:号码|编号|号))"
)
# A school's record of a pupil (学号, 学籍号, 学生证号): told with a name, where the pupil is.
_STUDENT_LABEL_RE = re.compile("学号|学籍|学生证")
# Whose the document is, said before its label (我的医保卡号, 我家孩子的学籍号, 我妈的驾驶证档案
# 编号): the writer's or a relative's record, whom the group knows without a name. Not a
# household's utility account (我家户号) or a work number (我的工号), which say little.
_OWNER_BEFORE_LABEL_RE = re.compile(rf"(?:{_PERSON}|我家)的?\s*(?:{_DOC_WORDS})?的?\s*$")
# ... or after the code: 港澳通行证号 C12345678（本人）, ...，是我妈的
_OWNER_AFTER_CODE_RE = re.compile(rf"\s*(?:[(（,，]\s*)?(?:(?:是|为)\s*)?(?:本人|(?:{_PERSON})的)")
_OF_NAME_AFTER_CODE_RE = re.compile(r"\s*的\s*(?=\S)")
_WEAK_LABELS = ("户", "工")
_MIN_DOC_DIGITS = 4


def _doc_code(m: re.Match[str]) -> tuple[int, int] | None:
    if m.group(3) is not None:  # a property certificate's number
        return m.span(3)
    group = 1 if m.group(1) is not None else 2
    code = m.group(group)
    alnum = sum(ch.isascii() and ch.isalnum() for ch in code)
    digits = sum(ch.isdigit() for ch in code)
    if alnum < 6 or digits < _MIN_DOC_DIGITS:
        return None  # 门诊号 15 号: a queue number
    return m.span(group)


def _doc_labels(text: str, *, credit: bool = True) -> list[tuple[int, int, int]]:
    """(where the label starts, the code's start and end) of each labelled code; the text
    is normalised so that full-width codes read (offsets kept only when lengths agree).
    ``credit``: business credit codes as well (a label start of -1 marks them)."""
    norm = unicodedata.normalize("NFKC", text)
    if len(norm) != len(text):
        return []
    out: list[tuple[int, int, int]] = []
    for m in _DOC_LABEL_RE.finditer(norm):
        span = _doc_code(m)
        if span is not None:
            out.append((m.start(), *span))
    for m in _CODE_BEFORE_LABEL_RE.finditer(norm):
        if sum(ch.isdigit() for ch in m.group(1)) >= _MIN_DOC_DIGITS:
            out.append((m.start(2), *m.span(1)))
    if "字" in norm:  # an issuer's number, unless a label's code already (退休证号：宁退字第...)
        labelled = [(a, b) for _, a, b in out]
        out += [
            (m.start(), *m.span())
            for m in _ISSUED_CODE_RE.finditer(norm)
            if not any(a < m.end() and m.start() < b for a, b in labelled)
        ]
    if credit:
        out += [(-1, *c.span(1)) for c in _CREDIT_CODE_RE.finditer(norm)]
    return out


def _own_business(text: str) -> bool:
    """The business whose credit code is given is the resident's own one-person shop."""
    return _OWN_BUSINESS_RE.search(text) is not None and _COMPANY_RE.search(text) is None


def _holder_next_to(text: str, label_start: int, code_end: int) -> bool:
    """The holder said right next to a labelled code: named before the label or after the
    code (患者张建国，住院号...; 学号 20230512 王芳), or whose it is before the label (我的医保卡号,
    孩子的学籍号) or after the code (…（本人）) -- except for the labels that say little (see
    ``_WEAK_LABELS``)."""
    words_before = text[max(0, label_start - 10) : label_start]
    before = _NAME_BEFORE_LABEL_RE.search(words_before)
    if before is not None and _is_name(before.group(1)):
        return True
    after = _NAME_NEXT_RE.match(text, code_end)
    if after is not None and _is_name(after.group(1)):
        return True
    whose = _QQ_WHOSE_AFTER_RE.match(text, code_end)  # 学号20230512是王磊的
    if whose is not None and _is_name(whose.group(1)):
        return True
    of = _OF_NAME_AFTER_CODE_RE.match(text, code_end)  # 学号20230512的王磊到办公室来
    if of is not None and (subject := _subject_at(text, of.end(), len(text))) and subject[2]:
        return True
    if text.startswith(_WEAK_LABELS, label_start):
        return False
    return (
        _OWNER_BEFORE_LABEL_RE.search(words_before) is not None
        or _OWNER_AFTER_CODE_RE.match(text, code_end) is not None
    )


def _topic_before(text: str, at: int) -> bool:
    """A name that opens the sentence (see ``_TOPIC_NAME_RE``) is who a record's label at
    ``at`` is told of: within reach, in the same sentence, with no one else said between
    (马思远，就是那个戴眼镜的男孩，…，学号是20230415)."""
    start = max(0, at - _TOPIC_REACH)
    stops = list(_CLAUSE_END_RE.finditer(text, start, at))
    if stops:
        start = stops[-1].start()  # the sentence's start, where a topic name stands
    for m in _TOPIC_NAME_RE.finditer(text, start, at):
        between = text[m.end() : at]
        if (
            _looks_given(m.group(1))
            and _is_name(m.group(1))
            and _CLAUSE_END_RE.search(between) is None
            and _SOMEONE_ELSE_RE.search(between) is None
        ):
            return True
    return False


def find_documents(text: str, *, named: bool | None = None) -> list[Finding]:
    """A personal document's or record's number under its label, with the holder's name
    in the message (退休证号：宁退字第0083211号，姓名马德明; 患者张建国，住院号20230517) or the
    holder said before the label (我的医保卡号, 孩子的学籍号): whose pension, care or school
    record it is. A resident's own shop's credit code is theirs without a name. A number
    without a holder (门诊号 000123 快到了), a queue number (门诊号15号), an order's, a
    member's or a service's number stay out.
    ``named``: the message-wide name cues, when known."""
    labels = _doc_labels(text)
    if not labels:
        return []
    found: list[Finding] = []
    own: bool | None = None
    mine = False
    for label_start, a, b in labels:
        credit = label_start < 0
        if credit:  # a credit code: a one-person shop's, the writer's own, or public
            if own is None:
                own = _own_business(text)
                mine = own and _MY_BUSINESS_RE.search(text) is not None
            if not own:
                continue
            label_start = a
        if _DOC_NOT_PERSONAL_RE.search(text, max(0, label_start - 6), b + 8):
            continue
        if (
            not (credit and mine)
            and not _holder_next_to(text, label_start, b)
            and not _pinyin_holder(text, a, b)  # a permit's holder in pinyin
            and not _topic_before(text, label_start)
        ):
            if named is None:
                named = _names_anywhere(text) or any(
                    _is_name(h.group(1)) for h in _DOC_HOLDER_RE.finditer(text)
                )
            if not named:
                continue
        student = _STUDENT_LABEL_RE.match(text, max(label_start, 0)) is not None
        found.append(Finding("student" if student else "document", a, b, text[a:b]))
    return found


# A picture of a document, described in the text next to it ([图片] 这是我身份证正反面 王秀兰
# ...): the picture shows every field. The placeholder a chat puts for a picture, a
# document said to be in it, and something of whose it is: a name, the fields an ID card
# prints (民族, 出生, 住址) or a number's pieces.
_PICTURE_RE = re.compile(
    r"[\[【(（](?:图片|照片|image|photo|img)[\]】)）]|^\s*(?:图片|照片)\s*[:：]", re.I
)
_PICTURED_DOCS = (
    "身份证|户口本|户口簿|驾驶证|驾照|行驶证|社保卡|医保卡|护照|房产证|不动产证|结婚证|残疾证"
)
_PICTURED_DOC_RE = re.compile(
    rf"({_PICTURED_DOCS})的?(?:正反面|正面|反面|背面|照片|复印件|扫描件|截图|首页|那页|信息页|原件)"
    rf"|这(?:是|个是|张是|俩是)[^，。！？!?\s]{{0,6}}?({_PICTURED_DOCS})"
    rf"|(?:{_KIN})的?({_PICTURED_DOCS})"
)
# A name standing alone after the document's word ([照片] 驾驶证正反面发你了 李国庆).
_BARE_NAME_RE = re.compile(rf"(?<=[\s,，:：、])({_NAME})(?=[\s,，。;；、!！?？]|$)")
_ID_CARD_FIELDS_RE = re.compile(r"民族|出生|住址|签发机关|有效期限|公民身份号码|[0-9]{4,}")


def find_pictured_documents(text: str) -> list[Finding]:
    """A picture placeholder with a document said to be in it and whose it is (see
    ``_PICTURE_RE``): an ID card (kind id) or another document. The finding is the
    document's word; the picture itself is the handler's to delete."""
    if _PICTURE_RE.search(text) is None:
        return []
    doc = _PICTURED_DOC_RE.search(text)
    if doc is None:
        return []
    if not (_ID_CARD_FIELDS_RE.search(text) or _names_anywhere(text)):
        names = [m.group(1) for m in _BARE_NAME_RE.finditer(text, doc.end())]
        if not any(_is_name(n) and all(c in _GIVEN_CHARS for c in n[1:]) for n in names):
            return []
    word = next(i for i in (1, 2, 3) if doc.group(i) is not None)
    kind: PiiKind = "id" if doc.group(word) == "身份证" else "document"
    return [Finding(kind, doc.start(word), doc.end(word), doc.group(word))]


def _mask_documents(text: str) -> str:
    """A labelled document's code starred but a few edge characters, named or not (a log
    line never needs it): 宁退字第0083211号 → 宁退字第0*****1号, C12345678 → C1*****78 ..."""
    hidden = []
    for _, a, b in _doc_labels(text):
        positions = [i for i in range(a, b) if text[i].isascii() and text[i].isalnum()]
        keep = min(4, len(positions) // 4)
        hidden += positions[keep : len(positions) - keep]
    return _star(text, hidden)


# ----------------------------------------------------------------- a child's class

# A class at a school: 三年级二班, 二年级3班, 初一8班, 初二(5)班, 高三2班, 七年级（3）班, 三(2)班.
_GRADE = (
    r"(?<![0-9一二三四五六七八九十])"
    r"(?:[一二三四五六七八九1-9]\s*年级?|初[一二三1-3]|高[一二三1-3]|[一二三四五六1-6](?=\s*[(（]))"
)
# 2班, (5)班, 二班
_CLASS_NUMBER = r"\s*(?:[(（]\s*)?[0-9一二三四五六七八九十]{1,2}\s*(?:[)）]\s*)?班"
_CLASS_RE = re.compile(
    # a kindergarten's: 中二班, 大(3)班, 小一班
    rf"{_GRADE}{_CLASS_NUMBER}|(?<![高初])[小中大]{_CLASS_NUMBER}"
)
# A numbered school said short: 二中, 回民二小, 21小 (一小时, 一小部分 are no school).
_SCHOOL_RE = re.compile(
    r"小学|中学|学校|初中|高中|附小|附中|幼儿园|[0-9一二三四五六七八九十]中"
    r"|[0-9一二三四五六七八九十]小(?![时块部会只段点份半口])"
)
_CHILD = (
    "孩子|儿子|女儿|闺女|孙子|孙女|外孙女?|外甥女?|侄子|侄女|小孩|娃|学生|小朋友|宝贝"
    "|儿童|男孩|女孩"  # 走失儿童, 小男孩
)
_CHILD_RE = re.compile(_CHILD)
_CLAUSE_END_RE = re.compile(r"[。！？!?；;\n]")
# Quotes too: a name copied off an exercise book (写着“二中 初二（7）班 李子轩”).
_STOP = "[\\s,，。.!！?？;；:：、(（“”\"'「」『』]"
# A name, but never one that swallows the word after it (李明的妈妈, 马小龙在实验小学).
_CHILD_NAME = rf"(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])(?:(?![的在是])[\u4e00-\u9fff]){{1,2}}"
# The name before the class: at a clause's start, after the child it names or after 叫
# (他叫马小宝，在第一小学一年级二班) -- not a teacher's 叫 (班主任叫王芳).
_CHILD_NAME_BEFORE_RE = re.compile(
    rf"(?:(?:^|{_STOP})|(?:{_CHILD}|[我咱俺你您]们?家)(?:名叫|名字叫|叫|是)?|(?<![师任长练员记])叫"
    r"|看到|看见|见到|见过|寻找)"  # 有没有人看到马子豪，一年级4班的小男孩
    # 马小龙同学（银川九中初一6班）: the school and class in brackets after the pupil
    rf"\s*({_CHILD_NAME})(?={_STOP}|在|是|读|就读|上|同学\s*[(（]|小朋友|小同学|同学[,，]"
    # what happened to the child, said right after the name (马浩然今天放学没回家)
    r"|今天|昨天|前天|放学|到现在|至今|一直没|没回|不见|走丢|走失|失踪|联系不上)"
)
# The same without the clause's start, for a school and a grade alone (说叫王小宝，第一小学
# 一年级的): with no class, a name is a pupil's only when said to be a child's or with 叫.
_GRADE_NAME_BEFORE_RE = re.compile(
    rf"(?:(?:{_CHILD})(?:名叫|名字叫|叫|是)?|(?<![师任长练员记])叫)"
    rf"\s*({_CHILD_NAME})(?={_STOP}|在|是|读|就读|上)"
)
# A school and a grade without the class (兴庆区第一小学一年级, 二中初二, 实验小学 三年级).
_SCHOOL_GRADE_RE = re.compile(
    rf"(?:{_SCHOOL_RE.pattern})\s*(?:(?:的|上|读|念)\s*)?"  # 二小上三年级
    r"(?:[一二三四五六七八九1-9]\s*年级|初[一二三1-3]|高[一二三1-3]|[小中大]班)"  # 幼儿园中班
    rf"(?!{_CLASS_NUMBER})"
    # a kindergarten's class by its name (向日葵幼儿园苗苗班), not a shift (幼儿园加班, 老师值班)
    r"|幼儿园\s*(?:的\s*)?(?![^班]{0,2}(?:老师|阿姨|园长))[\u4e00-\u9fff]{1,2}[^\s上加值下接跟晚早轮换]班"
)
# The child named anywhere in the message with 叫 (…初二7班… 我家孩子叫李子轩, 他叫马小宝).
_CHILD_CALLED_RE = re.compile(
    rf"(?:{_CHILD}|他|她)(?:的?(?:名字|大名|小名))?(?:名叫|叫做|叫)\s*({_CHILD_NAME})"
    rf"(?={_STOP}|$|在|是|读|就读|上|同学)"
)
# The child named as whose parent the writer or the one addressed is (我是马小龙妈妈, 王子涵
# 的妈妈在吗): a parent's way of naming a pupil anywhere in the message.
_PARENT_OF_RE = re.compile(
    rf"({_CHILD_NAME})(?=的?(?:妈妈|爸爸|家长|奶奶|爷爷|姥姥|姥爷|外婆|外公)(?!们))"
)
# A teacher of the class: 三年级二班的班主任, 三年级二班数学老师.
_CLASS_STAFF_RE = re.compile(
    r"\s*(?:的\s*)?(?:[\u4e00-\u9fff]{0,2}老师|班主任|校长|主任|辅导员|教练)"
)
# The name after it: 初二(5)班 张子涵, 三年级二班的王小明同学, 三年级二班李明家长, 三年级
# 二班，叫马小龙.
# The name may run straight into what is said of the child (…中班的马小宝今天发烧了).
_CHILD_NAME_AFTER_RE = re.compile(
    rf"的?\s*(?:[:：,，]\s*)?(?:(?:学生|同学|名叫|名字叫|叫|(?:学生)?姓名|名字)\s*(?:[:：]\s*)?)?"
    rf"({_CHILD_NAME})"
    rf"(?={_STOP}|$|同学|家长|的|妈妈|爸爸|今天|昨天|明天|没|在|是|也|又|被|和|跟|生病|发烧|不见)"
)
# 马小龙的家长, 马文博同学: the name after a class is a pupil's, with no school said.
_PUPIL_AFTER_RE = re.compile(r"的?(?:家长|同学|妈妈|爸爸)")
# 王老师, 李红 老师: a teacher or a head is named publicly with the class.
_STAFF_AFTER_RE = re.compile(r"\s*(?:老师|班主任|校长|主任|教练|辅导员|园长|书记)")
# A child told missing (走失, 寻人, 没回家) or told with the home (家住, 3号楼2单元501): the
# class is then a pupil's even with no school said, and a name at a clause's start by a
# school and a grade is the pupil's (走失：周子轩，8岁，二年级2班; 王小虎 男 6岁 红星幼儿园中班
# 家住幸福里3-1-502).
_MISSING_OR_HOME_RE = re.compile(
    "走失|走丢|丢了|失踪|寻人|寻找|找孩子|离家出走|没回家|没有回家|不见了|求扩散|联系不上|家住|家在|住在"
)
# A child told missing (not only at home): the school alone, without a grade, is then
# where the child was last, and a name at a clause's start near it the pupil's -- when the
# message speaks of a child (孩子, 学生, 小朋友, 放学), not of a grown-up gone missing.
_MISSING_RE = re.compile(
    "走失|走丢|丢了|失踪|寻人|寻找|找孩子|离家出走|没回家|没有回家|不见了|求扩散|联系不上"
)
_SCHOOLCHILD_RE = re.compile(f"{_CHILD}|放学|上学|学生")
_GROWN_UP_RE = re.compile(
    r"老人|老太|老爷子|老头|大爷|大妈|大娘|奶奶|爷爷|老汉|阿姨|叔叔"
    r"|(?<![0-9])(?:[2-9][0-9]|1[89])岁|[二三四五六七八九]十多?岁"
)
_CLASS_REACH = 30  # characters before the class searched for the school and the name
_KIN_WORDS = frozenset({"孙子", "孙女"})  # a grandson, not 孙 and a given name


def _child_named(name: str) -> bool:
    return _is_name(name) and name[:2] not in _KIN_WORDS and not _addressed(name)


def _child_name(
    text: str,
    m: re.Match[str],
    called: tuple[int, int] | None,
    *,
    grade: bool = False,
    missing: bool = False,
) -> tuple[int, int] | None:
    """Where the child's name is next to one class, if it is; else ``called``, the child
    named with 叫 elsewhere in the message, when the class is a pupil's. ``grade``: ``m``
    is a school and a grade alone, said of a child only with 叫 or a child's word -- or
    when the child is told ``missing`` or with the home (see ``_MISSING_OR_HOME_RE``)."""
    before = text[max(0, m.start() - _CLASS_REACH) : m.start()]
    ends = list(_CLAUSE_END_RE.finditer(before))
    if ends:
        before = before[ends[-1].end() :]
    school = _SCHOOL_RE.search(before) or _SCHOOL_RE.search(text, m.end(), m.end() + 12)
    after = _CHILD_NAME_AFTER_RE.match(text, m.end())
    pupil = after is not None and _PUPIL_AFTER_RE.match(text, after.end(1)) is not None
    if school is None and not (grade or pupil or missing) and not _CHILD_RE.search(before):
        return None  # a class alone, or a name and a class with nothing to say it is a pupil
    if _CLASS_STAFF_RE.match(text, m.end()):
        return None  # 三年级二班的班主任: a teacher's class
    offset = m.start() - len(before)
    before_re = _GRADE_NAME_BEFORE_RE if grade and not missing else _CHILD_NAME_BEFORE_RE
    candidates = [(offset + n.start(1), offset + n.end(1)) for n in before_re.finditer(before)]
    if after is not None:
        candidates.append(after.span(1))
    for a, b in reversed(candidates):  # the nearest first
        if _child_named(text[a:b]) and not _STAFF_AFTER_RE.match(text, b):
            return a, b
    return called


# A named pupil's grade with what is told of them at school -- a rank, a mark, a punishment,
# misbehaviour, gone missing (我们组的韩梦琪，初三，月考倒数第一; 刘子涵在实验小学五年级，天天
# 在班里打架; 大名马一鸣，在六中上初一，昨天没回家): the child can be found and is exposed.
_PUPIL_TOLD_RE = re.compile(
    r"倒数|第[一二三四五六七八九十0-9]+名|(?:全|年)(?:班|年级|校|级)(?:第|前|倒)|考了?[0-9一二三四五六七八九十几]+分"
    r"|不及格|挂科|打架|逃课|逃学|旷课|抄(?:同学的?)?作业|作弊|玩手机|顶撞|处分|记过|开除|休学|退学"
    r"|早恋|网吧|偷东西|欺负同学|霸凌|叫家长|请家长|没回家|不见了|离家出走|走丢|失踪"
)
_PUPIL_GRADE_RE = re.compile(
    r"(?<![0-9一二三四五六七八九十])(?:初[一二三1-3]|高[一二三1-3]|[一二三四五六1-6]\s*年级)"
)
_PUPIL_NAME_RE = re.compile(
    rf"(?:^|(?<={_STOP})|(?<=大名)|(?<=名叫)|(?<=叫)|(?<=的)|(?<=[组班])|(?<=那个)|(?<=这个))"
    rf"({_CHILD_NAME})"
    rf"(?={_STOP}|$|在|是|读|就读|上|期中|期末|月考|这次|今天|昨天|经常|天天|考|被)"
)
_PUPIL_SAID_RE = re.compile("(?:那个|这个|大名|名叫|叫)$")
_PUPIL_REACH = 30  # characters before a grade searched for the pupil's name (12 after it)
_MAX_GRADES = 4


def _pupils_told(text: str) -> list[tuple[int, int]]:
    """The named pupil a grade and a school matter are told of (see ``_PUPIL_TOLD_RE``)."""
    found: list[tuple[int, int]] = []
    for g in list(_PUPIL_GRADE_RE.finditer(text))[:_MAX_GRADES]:
        a, b = _sentence_around(text, g.start(), g.end())
        if _PUPIL_TOLD_RE.search(text, a, b) is None:
            continue
        lo, hi = max(a, g.start() - _PUPIL_REACH), min(b, g.end() + 12)
        for n in _PUPIL_NAME_RE.finditer(text, lo, hi):
            if n.start(1) < g.end() and g.start() < n.end(1):
                continue  # 高一月考: the grade read as a name
            name = n.group(1)
            # at a clause's start the name must look like one; after 那个, 大名, 叫 it is one
            said = _PUPIL_SAID_RE.search(text, max(0, n.start(1) - 2), n.start(1)) is not None
            if (
                _child_named(name)
                and (said or _looks_given(name))
                and not _STAFF_AFTER_RE.match(text, n.end(1))
            ):
                found.append(n.span(1))
                break
    return found


# A family's child, by the household (赵家的闺女, 老刘家孙子, 王老师家的儿子), in a class at a
# school (在二中高一7班): the neighbours know which child and where to find them. With a
# school and a grade alone, only when the child's rank is told too (老马家孙女在二中初三，
# 年级倒数): a household's child's marks.
_FAMILY_CHILD_RE = re.compile(
    rf"(?:[老小](?!师)[{_SURNAMES}]|(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])"
    r"(?:老师|师傅|医生|大夫|阿姨|大姐|大哥|姐|哥|叔|婶|嫂)?)家的?"
    rf"(?:{_CHILD}|小子|丫头|大孙子|小孙子|大儿子|小儿子|大闺女|小闺女)"
)
_RANK_RE = re.compile(
    r"第[一二三四五六七八九十0-9]+名?|前[一二三四五六七八九十0-9]+名?|倒数|排名|名次|垫底|末尾"
)


def _family_child(text: str, m: re.Match[str], grade: bool) -> tuple[int, int] | None:
    """A household's child told in the class or grade ``m`` at a school (see
    ``_FAMILY_CHILD_RE``)."""
    before = text[max(0, m.start() - _CLASS_REACH) : m.start()]
    ends = list(_CLAUSE_END_RE.finditer(before))
    if ends:
        before = before[ends[-1].end() :]
    found = list(_FAMILY_CHILD_RE.finditer(before))
    if not found or _CLASS_STAFF_RE.match(text, m.end()):
        return None
    school = grade or _SCHOOL_RE.search(before) or _SCHOOL_RE.search(text, m.end(), m.end() + 12)
    if not school:  # a school and a grade (``grade``) name the school themselves
        return None
    if grade and not _RANK_RE.search(text, m.end(), m.end() + 20):
        return None
    offset = m.start() - len(before)
    return offset + found[-1].start(), offset + found[-1].end()


def find_children(text: str) -> list[Finding]:
    """A child's name together with the school class they are in (我家孩子马小龙，在第三小学
    三年级二班): where a child can be found. A class alone (三年级二班的家长注意) or a
    teacher named with it (王老师是三年级二班的班主任) is not personal. Each class looks at
    a bounded window around it, so the cost is linear in the text."""
    spans: set[tuple[int, int]] = set(_pupils_told(text))
    schooled = "班" in text or _SCHOOL_RE.search(text) is not None
    called: tuple[int, int] | None = None
    looked = False  # the message-wide 叫 is looked for once, at the first class
    missing = False
    classes = [(m, False) for m in _CLASS_RE.finditer(text)] if schooled else []
    classes += [(m, True) for m in _SCHOOL_GRADE_RE.finditer(text)] if schooled else []
    if (
        schooled
        and not classes
        and _MISSING_RE.search(text)
        and _SCHOOLCHILD_RE.search(text)
        and not _GROWN_UP_RE.search(text)
    ):
        classes = [(m, True) for m in list(_SCHOOL_RE.finditer(text))[:4]]
    for m, grade in classes:
        if not looked:
            looked = True
            missing = _MISSING_OR_HOME_RE.search(text) is not None or any(
                _DOOR_NUMBER_RE.search(d.group()) for d in _DOOR_RE.finditer(text)
            )
            called = next(
                (
                    c.span(1)
                    for pattern in (_CHILD_CALLED_RE, _PARENT_OF_RE)
                    for c in pattern.finditer(text)
                    if _child_named(c.group(1)) and not _STAFF_AFTER_RE.match(text, c.end(1))
                ),
                None,
            )
        span = _child_name(text, m, called, grade=grade, missing=missing)
        if span is None:
            span = _family_child(text, m, grade)
        if span is not None:
            spans.add(span)
    found: list[Finding] = []
    for a, b in sorted(spans):
        if not found or a >= found[-1].end:
            found.append(Finding("child", a, b, text[a:b]))
    return found


# ----------------------------------------------------------------- sensitive facts

# What PIPL counts as *sensitive* personal information, said of a named resident: their
# health and their record with the police or the courts. Said of no one (糖尿病能吃西瓜吗,
# 刑满释放人员怎么办社保), of someone by a title alone (王大爷有高血压), with the name withheld
# (王**, 张某) or of a story's or the news's people, it is talk about an illness or the law.
#
# Health: a diagnosis, a chronic or common illness, an allergy, a disability, a treatment
# (心脏支架, 透析), and any illness said with a verb (有焦虑症, 得了怪病).
_CONDITION = (
    r"乙肝|丙肝|肝炎|艾滋|HIV|梅毒|结核|阳性|携带者|阿尔茨海默|老年痴呆|痴呆|癌|白血病|尿毒症"
    r"|肿瘤|淋巴瘤|渐冻症|帕金森|癫痫|脑梗|脑出血|脑溢血|中风|偏瘫|瘫痪|植物人|肝硬化|肾衰|透析"
    r"|糖尿病|血糖高|高血压|血压高|高血脂|冠心病|心脏病|心梗|心衰|房颤|搭桥"
    r"|(?:心脏|放了?|装了?|做了?|安了?)(?:个|一个|两个|三个)?支架"
    r"|过敏|哮喘|慢阻肺|肺气肿|甲亢|甲减|结节|痛风|类风湿|红斑狼疮|[肺胃肾胆鼻咽喉皮]炎|关节炎"
    r"|抑郁|躁郁|双相|焦虑症|强迫症|精神分裂|精神病|精神类|精神疾病|精神障碍|自闭症|孤独症"
    r"|多动症|智力障碍|智障|脑瘫|唐氏|残疾|聋哑|失明|失聪|截肢|盲人|失智|半身不遂|精神(?:有)?问题"
    r"|精神不正常|精神失常|白内障|青光眼|骨折|结石|囊肿|贫血|HPV|性病|怀孕|流产|不孕|移植|化疗|放疗"
    r"|坐月子|产后|身孕"
    # an operation told of a named neighbour (马文静在医院做手术); a stay in hospital alone
    # is news a visit is asked for (李娟住院了，大家有空去看看)
    r"|(?:做|动|开)(?:完|过)?了?(?:个|一个|两次)?手术|开刀|肌瘤|息肉"
    # an illness found by a check: 体检出来转氨酶高, 查出来肝有问题, 确诊了
    r"|(?:确诊|诊断出?|(?:体检|检查|化验|复查|筛查)出?来?|查出来?)(?!没|无|正常|一切)(?:了|是|为|有)?"
    r"[\u4e00-\u9fffA-Za-z]{0,6}?(?:病|症|炎|癌|瘤|偏?高|偏?低|阳性|异常|问题|毛病)"
    r"|(?:患有?|得了|有)(?!毛|什么|啥|点|些|个|这|那|一|没)[\u4e00-\u9fff]{1,4}?[病症]"
    r"(?![状房床假历人号友情])"
)
# A record: a sentence served or being served, a past conviction, drugs, detention, an
# arrest, community correction, bail, a licence revoked for drink-driving.
_RECORD = (
    r"刑满释放|刑释|前科|案底|犯罪记录|违法记录|[吸戒贩]过?毒|复吸|强戒|毒瘾"
    r"|拘留|被拘|刑拘|被抓(?![拍伤破住])|抓进去|逮捕|批捕|判过?刑|被判|判了[0-9一二两三四五六七八九十半]"
    r"|坐过?牢|蹲过?(?:监狱|大牢|号子|局子)|进过(?:监狱|看守所|拘留所|局子)|服过?刑|劳改|劳教"
    # a sentence said with its length (坐过三年牢, 坐了两年多的牢, 蹲了五年大牢), a release
    # (刚放出来, 从号子里放出来, 出狱), and the crime it was for (因为盗窃, 因抢劫被判)
    r"|[坐蹲][过了]?[0-9一二两三四五六七八九十几半]{1,3}(?:年多?|次|回)的?(?:大)?牢"
    r"|(?:刚刚?|才|被|从(?:监狱|牢里|号子|看守所|拘留所|里面|局子)里?)放出来"
    r"|刚刚?(?:刑满|出狱)|才(?:刑满|出狱)|出狱|刑满"  # 陈磊刚出狱: 刚 starts the fact, not a name
    r"|因为?(?:盗窃|偷窃|偷东西|抢劫|抢夺|诈骗|贩毒|吸毒|故意伤害|伤人|强奸|杀人|寻衅滋事"
    r"|聚众斗殴|打架斗殴)(?:罪|被|坐|进|判|蹲)"
    r"|社区矫正|矫正对象|假释|缓刑"
    r"|取保候审|监视居住|通缉|在逃(?!跑)|涉嫌|酒驾|醉驾|毒驾|吊销|无证驾驶|嫖娼|卖淫|聚众赌博"
    r"|赌博被|打架被[罚拘抓]|行政处罚|被处罚|失信被执行人|失信人|老赖|限制高消费"
    r"|被(?:警察|民警|派出所|公安局?|刑警|交警|警方|便衣)(?:抓|拘|带走|关|铐|逮)"
    # a court's or a creditor's record (被法院强制执行, 上了失信名单), a fine (卖假货被罚过),
    # violence at home, gambling and its debts, a divorce: told of a neighbour as gossip
    r"|强制执行|被执行人|失信名单|上了?失信|限高|被罚(?![站抄写跑])|罚过款|罚了款|卖假货|售假"
    r"|家暴|家庭暴力|赌博|赌钱|网赌|赌债|网贷|高利贷|欠债|欠了一屁股"
    # 离婚案 is a case: the documents'
    r"|离婚(?!案|证|协议|官司|手续|律师)|离了婚|离过婚|离的婚|离过?[一两三四几]次婚|离异"
)


def _first_chars(alternation: str) -> str:
    """The characters a match of ``alternation`` may start with, read off its text: the
    first character of each alternative (of a group's too: any character after a ``|``
    counts) and every character of a class that starts one. More than needed, never
    fewer, for lexicons like these, whose alternatives start with no escape or look-around.
    A regex that looks ahead for one of them skips most positions of a message at once."""
    chars: set[str] = set()
    i, start = 0, True
    while i < len(alternation):
        if start and alternation.startswith("(?:", i):
            i += 3
            continue
        c = alternation[i]
        if start and c == "[":
            end = alternation.index("]", i)
            chars.update(alternation[i + 1 : end])
            i, start = end + 1, False
            continue
        if start:
            chars.add(c)
        start = c == "|"
        i += 2 if c == "\\" else 1
    return "".join(sorted(chars - set("()|?*+")))


_FACT_STARTS = _first_chars(f"{_CONDITION}|{_RECORD}")
_FACT_RE = re.compile(
    rf"(?=[{re.escape(_FACT_STARTS)}])(?:({_CONDITION})|({_RECORD}))", re.IGNORECASE
)
# The fact is the topic of a talk, a check or a campaign, not of the person (高血压义诊), or
# a record's or a card's name (透析登记号, 残疾证), which the documents read.
_FACT_TOPIC_RE = re.compile(
    r"义诊|讲座|知识|筛查|随访|宣传|科普|防治|专家|门诊|专科|(?:登记)?号|[卡证本](?:号|编号)"
)
# A story, a film or the news: its people are no residents (小说里的主角坐过牢, 明星吸毒被抓).
_STORY_RE = re.compile(
    r"小说|电视剧|电影|剧里|剧中|主角|角色|演员|明星|歌手|艺人|网红|主播|新闻|报道|热搜|微博"
    r"|落马|书里|故事|历史上|古代|演的"
)
# Words between a name and a fact that say the fact is not the person's: someone speaking
# of it (王医生说, 马建国推荐), a doctor treating it, someone else (王建国，我妈有高血压; 王强
# 你知道...), an officer's work with those who have it (马建国书记带队走访了刑满释放人员).
_FACT_GAP_STOP_RE = re.compile(
    r"[。！？!?；;\n]|说|讲|问|告诉|觉得|认为|建议|提醒|推荐|医生|大夫|专家|主任|专治|主治|会治|能治"
    r"|[我你您]|大家|走访|看望|慰问|帮扶|探望|关心|照顾|带队|带领|管理|打击|处理|查处|抓获"
    r"|宣讲|讲解|防范|预防|远离|拒绝|举报|报警|禁"
)
_PAUSE_RE = re.compile("[,，、:：]")
_HAS_IT_RE = re.compile("有|得了|患|被|因|以前|去年|曾经?|一直|从小|已经|早年|前几年")
_CALLED_BEFORE_RE = re.compile("(?:名叫|叫做?)$")
# 王强的儿子吸毒: his son; 苏建军的老母亲老年痴呆, 他的亲弟弟
_KIN_AFTER_OF_RE = re.compile(rf"的(?!我|咱|他|她|你)(?:老|亲)?(?:{_KIN})")
_FACT_REACH = 12  # characters before a fact searched for whom it is said of
_FACT_GAP = 10  # at most this many between the name and the fact
_AFTER_PAUSE = 4  # at most this many between a pause after the name and the fact
# What may stand right before a name a fact is said of. Strong: who the person is to the
# writer (我妈, 邻居, 表哥), where they live (二单元的, 5号楼的, 对门的), a title of address
# with the full name after it (陈大爷陈建国), what they are (刑满释放人员, 患者, 居民), a
# name's label or 叫. Weak: a clause's start or a word that leads to a name (是, 和, 听说):
# a name there must look like one (see ``_GIVEN_CHARS``).
_STRONG_BEFORE_SUBJECT_RE = re.compile(
    rf"(?:{_KIN})$"
    r"|(?:单元|号楼|楼|栋|幢|室|户|层|班|组|队|村|院|苑|园|区|镇|乡|县|隔壁|对门|对面|楼上|楼下)的?$"
    r"|(?:住|小区里|院里|村里|楼里|单元里)的?$"
    rf"|[{_SURNAMES}](?:大爷|大妈|大娘|阿姨|叔叔|奶奶|爷爷|师傅|大姐|大哥|姐|哥|叔|婶)$"
    # what the person does, then the full name (英语老师李静, 马老师马云霞, 收银员白秀兰)
    r"|(?:老师|医生|护士|大夫|会计|出纳|司机|保安|保洁|厨师|师傅|经理|主任|校长|班主任|同事|员工"
    r"|职工|店员|收银员?|营业员|教练|护工|保姆|门卫)$"
    r"|(?:人员|对象|患者|病人|病号|家属|居民|村民|业主|住户|同志|男子|女子|小伙|姓名|名叫|叫做?)"
    r"[:：\s]*$"
)
_WEAK_BEFORE_SUBJECT_RE = re.compile(
    r"(?:^|[\s,，。.!！?？;；:：、“”\"'()（）《》【】~～])$"
    r"|(?:就是|是|和|跟|与|及|听说|据说|知道|发现|那个|这个|的)$"
    r"|(?:知道|晓得|听说)(?:不|没|了没|吗)$"  # 你们知道不马文静…: a question tag before the name
)
# Characters common in given names (建国, 秀英, 德福, 海燕 ...): a word at a clause's start
# that begins with a surname's character is a name only if the rest could be one -- 牛奶过敏,
# 杨絮过敏 and 金属过敏 name no one.
_GIVEN_CHARS = frozenset(
    "建国军民华明强伟刚勇杰磊涛斌鹏辉超波峰浩宇轩涵子博文武志俊飞龙虎海洋平安康宁静丽娟芳英秀"
    "兰桂花梅玉珍凤琴霞燕红艳萍娜敏慧婷雪琳晶莹颖佳欣怡梦雨晨阳光辰旭东升春夏秋冬德福禄寿喜财"
    "贵富荣昌盛兴旺成功立新永长庆祥瑞林森山川江河泉晓小少青清云彩虹月星亮耀宏鸿程远胜利学仁义"
    "礼智信忠孝廉家庭树生金银宝珠琪瑶璐珊瑛莲菊芬芝蕾薇莉婉婧妍媛娇妮雯霖雷震冰洁丹彤紫翠碧彬"
    "杉松柏桦楠勤俭诚真善美乐欢悦然定坚健硕岳岭峻崇巍汉满振正世中天一二三大元凯铭哲豪恒瀚宸睿"
    "泽鑫淼焱垚毅弘昊航帆阔达通顺贤良友谊兵卫保守宾彦鹤鸣雁莺蓉艺茹若思诗书雅淑贞惠娴巧翔腾跃"
    "雄伦骏才邦栋梁材香馨妹娣娥嫦芸茜萱蓓蕊苗苹茂叶根发有余全增添双竹玲铃娅媚婕瑾瑜璇琼琦璋环"
    "南西北京津沪渝湘鄂豫晋冀辽吉黑陕甘藏蒙粤闽浙苏皖赣鲁豹鹰麟旋策略谋聪捷锋锐钢铁铮锦绣纯素"
    "朴实宽厚深沉稳重占奎魁柱栓锁仓存留改换转引招芹彪旗奇尚维韦蕴怀启迪"
    # children's names of the last twenty years (梓涵, 奕辰, 可馨, 沐阳, 皓轩)
    "梓晗奕歆诺依沐嘉熙钰煜烨皓昕桐晴语悠琛楷芮可凡"
)
# Words after a surname's character that name no one in talk of illness and the law.
_NOT_SUBJECT_WORDS = (
    "万一 许多 尤其 包括 孙子 孙女 高血 高压 高烧 高龄 高危 明年 平常 任何 全身 全都 连着",
    "和他 和她 和我 和你 于是 何况 向来 经常 常常 常见 余下 金银 马兰花",
)
_NOT_SUBJECTS = frozenset(word for line in _NOT_SUBJECT_WORDS for word in line.split())
# A place, not a person, when these follow the word: 向阳小区有人被拘留了, 金凤区, 贺兰县.
_PLACE_AFTER_RE = re.compile(
    "小区|花园|家园|公园|广场|社区|区|路|街|巷|村|镇|乡|县|市|省|医院|学校|中学|小学|大学|超市"
    "|商场|酒店|宾馆|公司|银行|派出所"
)
# What may stand between a name and a pause before the fact (马秀英阿姨，乙肝携带者).
_TITLE_AFTER_NAME_RE = re.compile(
    "(?:阿姨|大爷|大妈|大娘|叔叔|奶奶|爷爷|老人|老汉|同志|师傅|大姐|大哥|女士|先生)?"
)
# A given name's last character is not one of these: they begin the words after it (刘强去年,
# 陈磊现在, 张伟对青霉素, 孙浩最近).
_NOT_NAME_END = frozenset(
    "的是在有被对因和跟与去以现最曾也还又已得患查确体说这那今昨从就都很请于到要会能把给让叫住"
    "家里上下不没过了着吗呢吧啊呀"
)
_BODY_PARTS = frozenset("头脸眼耳鼻嘴牙手胳膊腿脚腰背胸心肝脾肺肾胃脑骨皮血")
_SURNAME_CHARS = frozenset(_SURNAMES)
_COMPOUND_SURNAME_RE = re.compile(_COMPOUND_SURNAMES)


def _looks_given(name: str) -> bool:
    """The name's given part (after the surname) is of characters common in given names:
    a name with no pause after it (学号20230512的王磊到, 601 刘伟欠) must look like one."""
    surname = 2 if _COMPOUND_SURNAME_RE.match(name) else 1
    return all(ch in _GIVEN_CHARS for ch in name[surname:])


# A title whose first character may be read as a given name's last (王丽老师: not 王丽老).
_TITLE_STARTS_RE = re.compile(
    "老师|老板|老汉|老头|老人|老太|大夫|大爷|大妈|大娘|大姐|大哥|阿姨|师傅"
)


def _subject_at(text: str, p: int, limit: int) -> tuple[int, int, bool] | None:
    """The full name starting at ``p`` and ending by ``limit``, if one is there: (start,
    end, looks like a name). A surname with a title (陈大爷, 王老师) names no one, and
    neither does a word such as 万一 or 孙子."""
    compound = _COMPOUND_SURNAME_RE.match(text, p)
    surname = compound.end() - p if compound else 1
    if not compound and text[p] not in _SURNAME_CHARS:
        return None
    three, two = text[p : p + surname + 2], text[p : p + surname + 1]
    if len(three) == surname + 2 and (_TITLE_RE.search(three) or _addressed(three)):
        return None  # 王老师, 陈大爷: a title, whatever stands after it
    if _TITLE_RE.search(two) or _addressed(two) or two.endswith("老"):
        return None  # 王总, 李姐, 王老
    if text[p : p + surname + 2] in _NOT_SUBJECTS:
        return None
    readings: list[tuple[int, int, bool]] = []
    for given in (2, 1):
        end = p + surname + given
        candidate = text[p:end]
        if end > limit or len(candidate) < surname + given:
            continue
        if given == 2 and _TITLE_STARTS_RE.match(text, end - 1):
            continue  # 王丽老师: the title's first character is no part of the name
        if not all("\u4e00" <= ch <= "\u9fff" for ch in candidate):
            continue
        if given == 2 and candidate[-1] in _NOT_NAME_END:
            continue
        if candidate[:2] in _NOT_SUBJECTS or candidate[:2] in _NOT_NAMES:
            continue
        if not _is_name(candidate) or _addressed(candidate):
            continue
        if _PLACE_AFTER_RE.match(text, end):
            return None  # 向阳小区, 金凤区: a place's name
        readings.append((p, end, all(ch in _GIVEN_CHARS for ch in candidate[surname:])))
    if not readings:
        return None
    # The longer reading, unless only the shorter looks like a name and a body's part
    # follows it (王强腿骨折了; not 马铃薯).
    longer, shorter = readings[0], readings[-1]
    if not longer[2] and shorter[2] and text[shorter[1] : shorter[1] + 1] in _BODY_PARTS:
        return shorter
    return longer


def _subjects_before(text: str, fact_start: int, taken: bytearray) -> list[tuple[int, int]]:
    """Where the names are that a fact at ``fact_start`` is said of, in the words before it
    within its sentence (see ``_STRONG_BEFORE_SUBJECT_RE``); ``taken``: 1 at each position
    a fact covers, which is no name's (高血压加心脏支架: 高血压 names no one)."""
    window_start = max(0, fact_start - _FACT_REACH)
    found: list[tuple[int, int]] = []
    for p in range(window_start, fact_start):
        if text[p] not in _SURNAME_CHARS and not _COMPOUND_SURNAME_RE.match(text, p):
            continue
        if taken[p]:
            continue
        subject = _subject_at(text, p, fact_start)
        if subject is None:
            continue
        _, end, looks = subject
        gap = text[end:fact_start]
        before = text[max(0, p - 8) : p]
        called = _CALLED_BEFORE_RE.search(before) is not None  # 有个叫马小军的, 吸毒
        if len(gap) > _FACT_GAP or _FACT_GAP_STOP_RE.search(gap):
            continue
        if gap.startswith("的") and not called and not _KIN_AFTER_OF_RE.match(gap):
            continue  # 高明的医生都说高血压...: what is said is of someone else
        pieces = _PAUSE_RE.split(gap)
        # 患者马建国，确诊...: a pause only right after the name or its title, and the fact
        # soon after it, said of no one else (王建国，他妈有高血压).
        after_pause = pieces[-1] if len(pieces) == 2 else ""
        if len(pieces) > 2 or (
            len(pieces) == 2
            and (
                _TITLE_AFTER_NAME_RE.fullmatch(pieces[0]) is None
                or len(after_pause) > _AFTER_PAUSE
                or after_pause.startswith(("他", "她"))
            )
        ):
            continue
        strong = _STRONG_BEFORE_SUBJECT_RE.search(before) is not None
        # A full three-character name said to have it (马占山有心脏病) needs no common
        # given name's characters.
        looks = looks or (end - p == 3 and _HAS_IT_RE.match(gap) is not None)
        if strong or (looks and _WEAK_BEFORE_SUBJECT_RE.search(before) is not None):
            found.append((p, end))
    return found


# 刑满释放人员马小军, 糖尿病患者刘德福, 社区矫正对象陈晓磊: what the person is, then the name.
# 精神病人张伟: 人 right after the illness (严重心脏病的老人 is no one named).
_WHO_AFTER_FACT_RE = re.compile(
    r"(?:[\u4e00-\u9fff]{0,2}?(?:人员|对象|患者|病人|病号|者)|人(?![员们家群]))[:：\s]*"
)


# 楼下王婶子住院了…她叫王桂花: the name told after the fact, of the one it is said of.
_CALLED_AFTER_FACT_RE = re.compile(
    rf"(?:[他她]|人家?|大名|全名|名字)(?:就|全名|大名)?叫做?\s*({_NAME})"
)
_CALLED_REACH = 24  # characters after a fact searched for the name


def _named_after(text: str, end: int) -> tuple[int, int] | None:
    """The name the teller adds after a fact ending at ``end`` (…住院了，她叫王桂花)."""
    called = _CALLED_AFTER_FACT_RE.search(text, end, end + _CALLED_REACH)
    return called.span(1) if called is not None and _is_name(called.group(1)) else None


# A stay in hospital is news a visit is asked for (李娟住院了，大家有空去看看), but the one who
# stays is told of as a health fact when the writer names them on purpose (她叫王桂花).
_IN_HOSPITAL_RE = re.compile("住院|住进了?(?:医院|icu|重症)", re.IGNORECASE)
# ... told as happening (住院了, 在住院, 住院治疗, 住进了医院), not asked about (住院怎么报销).
_STAY_AFTER_RE = re.compile("了|中|治疗|呢|观察|[一两三四五六七八九十几半好多]+[天个周月年]")
_STAY_BEFORE_RE = re.compile("(?:在|正在|刚|又|还在|已经|一直|最近|这几天|前几天)$")
# A hospital's building is no one's home (住院了，在人民医院住院部5号楼).
_WARD_PLACE_RE = re.compile("医院|住院部|门诊|病区|院区|卫生院|医大|附院|病房")


def _stay(text: str, m: re.Match[str]) -> bool:
    """A stay in hospital (``_IN_HOSPITAL_RE``) told as happening."""
    return (
        not m.group().startswith("住院")
        or _STAY_AFTER_RE.match(text, m.end()) is not None
        or _STAY_BEFORE_RE.search(text, max(0, m.start() - 4), m.start()) is not None
    )


def _home_near(text: str, start: int, end: int) -> bool:
    """Where someone lives (``_HOME_SAID_RE``) said in the sentence around ``start``..``end``,
    not a hospital's building."""
    a, b = _sentence_around(text, start, end)
    return any(
        _WARD_PLACE_RE.search(text, max(a, h.start() - 8), h.start()) is None
        for h in _HOME_SAID_RE.finditer(text, a, b)
    )


# A medical record or a report as OCR reads it (姓名：马占林 性别：男 诊断：慢性阻塞性肺疾病;
# 病历 王桂花 女 72岁 主诉：头晕三天): the patient's name under its label and a diagnosis's,
# whatever the illness is called. A bare 结论 needs an illness the lexicon knows (体检报告
# 姓名：刘桂花 结论：乙肝小三阳): an exam's or an audit's 结论 is no one's health.
_PATIENT_RE = re.compile(
    rf"(?:(?:患者|病人|受检者|体检人)?姓名|患者|病人|受检者|病历|病案)\s*(?:[:：]\s*)?({_NAME})"
    r"(?=[\s,，。;；、]|$|男|女|性别|年龄|[0-9])"
)
_DIAGNOSIS_RE = re.compile(
    r"(?:临床|初步|入院|出院|门诊|病理|影像|最后)?诊断(?:结果|意见|结论)?(?:\s*[:：]\s*|\s+)[^\s:：]"
    r"|主诉\s*[:：]|现病史|既往史|(?:体检|检查|化验|检验)(?:结论|所见|结果)\s*[:：]"
)
_BARE_CONCLUSION_RE = re.compile(r"结论\s*[:：]")


def _patients(text: str) -> list[tuple[int, int]]:
    """The patient named in a medical record or report (see ``_PATIENT_RE``)."""
    if _DIAGNOSIS_RE.search(text) is None and not (
        _BARE_CONCLUSION_RE.search(text) and _FACT_RE.search(text)
    ):
        return []
    return [m.span(1) for m in _PATIENT_RE.finditer(text) if _is_name(m.group(1))]


# The writer's own health with their name and home (本人杨雪，家住万达小区，怀孕六个月; 我叫
# 马秀花，住阅海万家C区，有糖尿病): said across pauses, which a name told of by others may
# not cross. The illness is had (有, 得了, 查出 ...) or is a state (怀孕, 化疗, 透析): a
# question about one (想问下糖尿病怎么报销) is no one's, nor one of another person said
# between (我叫王芳，住3号楼，我妈有糖尿病).
_WRITER_NAMED_RE = re.compile(
    rf"(?:我叫|我名字叫|本人叫|俺叫|我是|本人)\s*(?:[:：]\s*)?({_NAME})(?=[\s,，。;；、]|$|住|家)"
)
# ... or an elderly parent's, by the writer (我妈叫李秀英，住在文化西街，查出来乳腺癌了;
# 老爷子马占山住丽景街，上个月刚放了支架).
_PARENT_NAMED_RE = re.compile(
    r"(?:(?:我|俺|咱)家?(?:爸|妈|爷爷|奶奶|姥姥|姥爷|外公|外婆|老伴|婆婆|公公|父亲|母亲|岳父|岳母"
    rf"|丈母娘)|老爷子|老太太|老父亲|老母亲|老爹|老娘)(?:叫|名叫|是)?\s*(?:[:：]\s*)?({_NAME})"
    r"(?=[\s,，。;；、]|$|住|家)"
)
_WRITER_HOME_RE = re.compile(r"(?:家住|住在|家在|住(?!院))\s*[^\s,，。;；!！?？]{2,}")
_HAD_RE = re.compile(
    r"(?:有(?!关|没有)|得了|患有?|查出来?|确诊|是|一直|长期|常年|老是|总是|[做动](?:完|了|过))"
    r"[\u4e00-\u9fff]{0,3}$"
)
_HAD_REACH = 6
# ... or the fact found starts with the having (有糖尿病, 查出来高血压), or is a state.
_HAD_OR_STATE_RE = re.compile(
    "有|得了|患|确诊|诊断|查出|体检|检查|化验|复查|怀孕|化疗|放疗|透析|截肢|瘫痪|失明|坐月子|产后"
    "|放|装|安|做|动|开刀"  # 放了支架, 做了手术
)
# ... or is said to have come or grown (乳腺癌了, 老年痴呆越来越严重了, 糖尿病好几年了).
_HAD_AFTER_RE = re.compile("了|越来越|很?严重|晚期|好几年|多年|十几年|又犯|手术|术后")
_SOMEONE_ELSE_RE = re.compile(rf"[他她你]|{_OTHERS_KIN}|邻居|朋友")


# ... or a resident named with where they live, by anyone, and an illness or a stay in
# hospital told soon after in the same sentence (刘建国，住4号楼，前几天查出胃癌; 王秀英（7号楼
# 501）住院了; 他叫刘强 住我们楼 有精神病): the name at a clause's start or after 叫, then the
# home right after it.
# ... or with where they work or teach, or the hospital they are in (马红梅在二中教数学，查出来
# 乳腺癌了; 苏建平在移动营业厅上班，查出肺癌; 杨丽萍在宁安医院住院部6楼，重度抑郁).
_AT_WORK = (
    r"(?:在|于)[^\s,，。;；!！?？]{1,14}?(?:上班|工作|教书|任教|教[\u4e00-\u9fff]{1,2}|当[\u4e00-\u9fff]{1,3}"
    r"|打工|干活|实习|开店|做事|住院|病房|医院|卫生院|病区|科|床"
    # a workplace said by its kind (在我们厂食堂打饭, 在物业当保安, 在超市收银)
    r"|厂|公司|单位|食堂|超市|商场|营业厅|银行|物业|工地|车间|学校|幼儿园|小学|中学|诊所|饭店|餐馆)"
)
_NAMED_AT_HOME_RE = re.compile(
    rf"(?:(?<=叫)|(?<=叫做)|(?<![^\s,，。!！?？;；:：、])|^)({_NAME})\s*(?:[,，、(（]\s*)?"
    rf"(?=家住|住在|现住|家在|住(?!院)|{_BUILDING}\s*(?:号楼|栋|幢)|{_NUM}{{1,2}}\s*{_UNIT}"
    rf"|[0-9]{{1,2}}-[0-9]{{1,2}}-[0-9]{{3,4}}|{_AT_WORK})"
)
# A name that opens a sentence and a pause after it, maybe with what the person is (张伟，男，
# …; 马思远同学，…; 我们班杨梓涵，…): what the sentence goes on to tell is told of that person.
_TOPIC_NAME_RE = re.compile(
    # From the last line break of a run only: each break of a run of thousands would scan
    # the rest of it (a flood of 2,000 newlines took 0.1 s, 20,000 took 20 s).
    r"(?:^|(?<=[。！？!?\n]))(?!\s*?\n)\s*(?:(?:我们|咱们|我|咱)(?:班|单位|厂|公司|科室?|组|队|部门|店|村|楼|小区"
    r"|学校|年级)(?:的|里的?|上的?)?)?"
    rf"({_NAME})(?:{_CHILD_SAID}|老师|师傅|阿姨|叔叔|大爷|大妈|奶奶|爷爷)?{_PERSON_NOTE}{{0,3}}\s*[,，、]"
)
_TOPIC_REACH = 40  # characters from the name to what is told of the person
_AT_HOME_REACH = 30  # characters from the name to the illness told of them
# ... or listed with them, an item between pauses (王桂兰，7号楼，乳腺癌).
_PAUSE_BEFORE_RE = re.compile(r"[\s,，、:：;；][\u4e00-\u9fff]{0,2}$")
_LISTED_RE = re.compile(r"\s*(?:[\s,，、;；。!！]|$)")


def _first_told(
    text: str, people: list[re.Match[str]], said: list[re.Match[str]], reach: int | None
) -> tuple[int, int] | None:
    """The first of ``people`` (sorted) the next of ``said`` after them is told of: an
    illness had (有, 得了, 查出, a state, 了 after it) or a stay in hospital, with no one
    else said between (他, 我妈, 邻居) -- within ``reach`` and the sentence, if given.
    Each name looks only at the first fact after it, so a flood of both stays linear."""
    starts = [m.start() for m in said]
    for named in people:
        at = bisect.bisect_left(starts, named.end())
        if at == len(said):
            return None
        m = said[at]
        if reach is not None and (
            m.start() - named.end() > reach or _CLAUSE_END_RE.search(text, named.end(), m.start())
        ):
            continue
        listed = _LISTED_RE.match(text, m.end()) is not None  # 脑梗，: an item between pauses
        had = (
            (_stay(text, m) if m.re is _IN_HOSPITAL_RE else _HAD_OR_STATE_RE.match(m.group()))
            or (listed and _PAUSE_BEFORE_RE.search(text, max(0, m.start() - 3), m.start()))
            or _HAD_RE.search(text, max(named.end(), m.start() - _HAD_REACH), m.start())
            or _HAD_AFTER_RE.match(text, m.end())
        )
        mine = _SOMEONE_ELSE_RE.search(text, named.end(), m.start()) is None
        if had and mine and _is_name(named.group(1)):
            return named.span(1)
    return None


# A relative of a named person, who is named only by that (王德胜他媳妇, 李建华的老丈人, 马德福
# 家的闺女, 周国庆她婆婆): the family is the named person's, and an illness or a stay in
# hospital told of the relative later in the sentence, past where they lie or work (王德胜他
# 媳妇在人民医院住院部5楼，子宫肌瘤刚做完手术), is told of that family. The name is masked.
_FAMILY_TIES = (
    "媳妇儿?|老婆|爱人|老公|丈夫|妻子|儿子|女儿|闺女|孩子|老丈人|丈母娘|岳父|岳母|公公|婆婆"
    "|父亲|母亲|爸爸?|妈妈?|老爹|老娘|老伴|哥哥?|姐姐?|弟弟?|妹妹?|孙子|孙女|外孙女?|儿媳妇?|女婿"
    "|对象|大舅子|小舅子|姐夫|妹夫|嫂子|弟媳|侄子|侄女|外甥女?|叔叔|婶子|姑姑|舅舅|姨妈"
)
_RELATIVE_OF_NAMED_RE = re.compile(
    rf"({_NAME})\s*(?:的|[他她](?:的|家的?)?|家(?:里)?的?)(?:老|亲)?(?:{_FAMILY_TIES})"
)
_RELATIVE_REACH = 36  # characters from the relative to what is told of them
_MAX_RELATIVES = 8  # relatives looked at in one message: a flood of them stays cheap


def _relatives_health(text: str, said: list[re.Match[str]]) -> list[tuple[int, int]]:
    """The named person whose relative an illness or a stay in hospital is told of (see
    ``_RELATIVE_OF_NAMED_RE``): in the same sentence, with no one else and no talk of it
    between (``_FACT_GAP_STOP_RE``: 医生, 说, 大家 ...), and had (``_HAD_RE`` ...) or said
    right after."""
    starts = [m.start() for m in said]
    found: list[tuple[int, int]] = []
    for n, rel in enumerate(_RELATIVE_OF_NAMED_RE.finditer(text)):
        if n == _MAX_RELATIVES:
            break
        name = rel.group(1)
        if not _is_name(name) or _addressed(name) or _PLACE_AFTER_RE.match(text, rel.end(1)):
            continue  # 刘姐的孙子: a grown-up addressed by a title, as health reads no one
        at = bisect.bisect_left(starts, rel.end())
        while at < len(said) and said[at].start() - rel.end() <= _RELATIVE_REACH:
            m = said[at]
            gap = text[rel.end() : m.start()]
            if _CLAUSE_END_RE.search(gap) or _FACT_GAP_STOP_RE.search(gap):
                break
            if _SOMEONE_ELSE_RE.search(gap):
                break
            at += 1
            if m.re is not _IN_HOSPITAL_RE and _FACT_TOPIC_RE.match(text, m.end()):
                continue
            stay = m.re is _IN_HOSPITAL_RE
            had = (
                len(gap) <= _FACT_GAP
                or (_stay(text, m) if stay else _HAD_OR_STATE_RE.match(m.group()))
                or _HAD_RE.search(text, max(rel.end(), m.start() - _HAD_REACH), m.start())
                or _HAD_AFTER_RE.match(text, m.end())
            )
            if had:
                found.append(rel.span(1))
                break
    return found


def _writers_health(text: str, facts: list[re.Match[str]]) -> list[tuple[int, int]]:
    """The writer's name, or an elderly parent's, when the writer tells that person's
    illness and home; or a resident's named with their home and an illness or a stay in
    hospital told of them (see above)."""
    conditions = [m for m in facts if m.group(1) is not None]
    told: list[tuple[int, int] | None] = []
    if conditions and _WRITER_HOME_RE.search(text) is not None:
        people = [*_WRITER_NAMED_RE.finditer(text), *_PARENT_NAMED_RE.finditer(text)]
        told.append(_first_told(text, sorted(people, key=lambda n: n.start()), conditions, None))
    at_home = [
        n
        for n in _NAMED_AT_HOME_RE.finditer(text)
        if _looks_given(n.group(1)) or text[max(0, n.start() - 1) : n.start()] == "叫"
    ]
    if at_home:
        stays = [m for m in _IN_HOSPITAL_RE.finditer(text) if _stay(text, m)]  # not 住院部
        said = sorted([*conditions, *stays], key=lambda m: m.start())
        told.append(_first_told(text, at_home, said, _AT_HOME_REACH))
    if conditions:
        topics = [n for n in _TOPIC_NAME_RE.finditer(text) if _looks_given(n.group(1))]
        if topics:
            facts = [m for m in conditions if not _FACT_TOPIC_RE.match(text, m.end())]
            told.append(_first_told(text, topics, facts, _TOPIC_REACH))
    if conditions or _IN_HOSPITAL_RE.search(text) is not None:
        stays = [m for m in _IN_HOSPITAL_RE.finditer(text) if _stay(text, m)]
        said = sorted([*conditions, *stays], key=lambda m: m.start())
        told.extend(_relatives_health(text, said))
    return [span for span in told if span is not None]


# A household's health or record told by its door instead of a name (5栋2单元301那家男的进过
# 看守所, 孙阿姨的女儿刚做了乳腺癌手术，住在7-3-401, 我老婆怀孕七个月了，我们住11-2-702): the
# neighbours know whose door. Someone other than the writer is said in the sentence -- a
# relative, a neighbour by title or nickname, 那家, 男的 --, so the writer's own illness with
# the writer's own door (我有高血压，住5-1-301) stays a resident's business.
_HOUSEHOLD_SAID_RE = re.compile(
    rf"{_OTHERS_KIN}|那家|这家|那户|这户|男的|女的|男人|女人|住户|业主|户主|人家"
    rf"|老[{_SURNAMES}]|[{_SURNAMES}](?:阿姨|大爷|大妈|大娘|奶奶|爷爷|姐|哥|叔|婶|老师|师傅)"
)
_HAPPENING_RE = re.compile("(?:正|又|还|现在)?在$")
_DOOR_FACT_REACH = 30  # characters between a door and the fact told of its household
# A neighbour called by title or nickname with the building (3号楼老王媳妇得了尿毒症, 二单元的
# 王姐她老公被拘留过): the building names the household as a door does.
_PLACED_NEIGHBOUR_RE = re.compile(
    rf"(?:{_BUILDING}\s*(?:号楼|栋|幢)\s*(?:{_NUM}{{1,2}}\s*{_UNIT})?|{_NUM}{{1,2}}\s*{_UNIT})的?"
    rf"(?:老[{_SURNAMES}]|[{_SURNAMES}](?:阿姨|大爷|大妈|大娘|奶奶|爷爷|姐|哥|叔|婶|老师|师傅))"
    rf"(?:[他她]|家)?的?(?:老|亲)?(?:{_FAMILY_TIES})?"
)
_PLACED_REACH = 16  # characters from the neighbour to the fact told of them


def _told_had(text: str, m: re.Match[str], since: int) -> bool:
    """A fact ``m`` found after ``since`` is told as had (a record always is)."""
    return (
        m.group(1) is None
        or _HAD_OR_STATE_RE.match(m.group()) is not None
        or _HAD_RE.search(text, max(since, m.start() - _HAD_REACH), m.start()) is not None
        or _HAD_AFTER_RE.match(text, m.end()) is not None
    )


def _households_told(text: str, facts: list[re.Match[str]]) -> dict[tuple[int, int], PiiKind]:
    """The door, or the building and the neighbour, a health fact or a record is told of
    (see ``_HOUSEHOLD_SAID_RE``, ``_PLACED_NEIGHBOUR_RE``)."""
    found: dict[tuple[int, int], PiiKind] = {}
    told = [m for m in facts if not _FACT_TOPIC_RE.match(text, m.end())][:_MAX_RELATIVES]
    if not told:
        return found
    doors = [
        d
        for _, d in zip(range(_MAX_RELATIVES), _ROSTER_DOOR_RE.finditer(text), strict=False)
        if (_DOOR_NUMBER_RE.search(d.group()) or "-" in d.group())
        and not _public_place(text, d.start(), d.end())
    ]
    for m in told:
        kind: PiiKind = "health" if m.group(1) is not None else "record"
        a, b = _sentence_around(text, m.start(), m.end())
        for d in doors:
            if d.start() < a or d.end() > b:
                continue
            lo, hi = min(d.start(), m.start()), max(d.end(), m.end())
            if hi - lo > _DOOR_FACT_REACH + len(d.group()) + len(m.group()):
                continue
            if _HOUSEHOLD_SAID_RE.search(text, a, b) is None:
                continue
            if kind == "record" and _HAPPENING_RE.search(text, max(a, m.start() - 3), m.start()):
                continue  # 隔壁又在家暴，在7号楼502: a call for help, not a record
            if _told_had(text, m, a):
                found.setdefault(d.span(), kind)
    for n in _PLACED_NEIGHBOUR_RE.finditer(text):
        at = bisect.bisect_left([m.start() for m in told], n.end())
        if at == len(told):
            continue
        m = told[at]
        gap = text[n.end() : m.start()]
        if len(gap) > _PLACED_REACH or _CLAUSE_END_RE.search(gap) or _FACT_GAP_STOP_RE.search(gap):
            continue
        if _told_had(text, m, n.end()) or len(gap) <= _FACT_GAP:
            found.setdefault(n.span(), "health" if m.group(1) is not None else "record")
    return found


@lru_cache(maxsize=8)
def _sensitive(text: str) -> tuple[Finding, ...]:
    """Each named person a health fact or a record is said of (see ``find_health``,
    ``find_records``): the name before the fact (我妈王秀兰查出来糖尿病了) or after what the
    fact makes them (刑满释放人员马小军). Remembered for the last few messages: detecting
    and masking both ask."""
    if _STORY_RE.search(text):
        return ()
    facts = list(_FACT_RE.finditer(text))
    taken = bytearray(len(text))
    for m in facts:
        taken[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    found: dict[tuple[int, int], PiiKind] = dict.fromkeys(
        _patients(text) + _writers_health(text, facts), "health"
    )
    for span, kind in _households_told(text, facts).items():
        found.setdefault(span, kind)
    for m in facts:
        if _FACT_TOPIC_RE.match(text, m.end()):
            continue
        spans = _subjects_before(text, m.start(), taken)
        who = _WHO_AFTER_FACT_RE.match(text, m.end())
        subject = _subject_at(text, who.end(), len(text)) if who and who.end() < len(text) else None
        if subject is not None and subject[2]:  # 刑满释放人员安置帮教: no name after it
            spans.append(subject[:2])
        if not spans and (named := _named_after(text, m.end())) is not None:
            spans.append(named)
        for span in spans:
            found.setdefault(span, "health" if m.group(1) is not None else "record")
    # A stay in hospital, told of a name said on purpose (…住院了，她叫王桂花) or of one said
    # before it with where the person lives (7号楼的王秀英住院了; 张伟住院了，住5号楼).
    for m in _IN_HOSPITAL_RE.finditer(text):
        if (named := _named_after(text, m.end())) is not None:
            found.setdefault(named, "health")
        elif _stay(text, m) and _home_near(text, m.start(), m.end()):
            for span in _subjects_before(text, m.start(), taken):
                found.setdefault(span, "health")
    out: list[Finding] = []
    for (a, b), kind in sorted(found.items()):  # overlapping readings of one name: one kept
        if not out or a >= out[-1].end:
            out.append(Finding(kind, a, b, text[a:b]))
    return tuple(out)


def find_health(text: str) -> list[Finding]:
    """A full name with a diagnosis, an illness, an allergy or a disability said of it
    (刘秀英乳腺癌晚期, 我妈王秀兰查出来糖尿病了, 二单元的李建国有严重的心脏病, 陈大爷陈建国是乙肝
    携带者, 糖尿病患者刘德福): the resident's health. A diagnosis without a name (乙肝表面抗原
    阳性能打疫苗吗), with one withheld (张某) or a title alone (王大爷) is a question about an
    illness. The finding is the name, which masking stars as a child's."""
    return [f for f in _sensitive(text) if f.kind == "health"]


def find_records(text: str) -> list[Finding]:
    """A full name with a criminal or administrative record said of it (5号楼的王强是刑满释放
    人员, 李建军有盗窃前科, 刘志强被行政拘留了十五天, 陈磊在社区矫正, 我表哥王建国酒驾被拘):
    sensitive under PIPL. The finding is the name, masked as a diagnosis's is."""
    return [f for f in _sensitive(text) if f.kind == "record"]


def _name_ends_at(text: str, end: int) -> bool:
    """A full name ends at ``end`` (or right before a 的 there), where a name is said (see
    ``_STRONG_BEFORE_SUBJECT_RE``): 王强的QQ, 我女儿马小红的qq, 李秀英QQ -- not 联系方式QQ."""
    end = len(text[:end].rstrip())
    whose = end > 0 and text[end - 1] == "的"  # 加一下马小红的qq: whose it is, said
    end -= whose
    for length in (3, 2, 4):
        p = end - length
        subject = _subject_at(text, p, end) if p >= 0 else None
        if subject is None or subject[1] != end:
            continue
        before = text[max(0, p - 8) : p]
        if _STRONG_BEFORE_SUBJECT_RE.search(before) or (
            subject[2] and (whose or _WEAK_BEFORE_SUBJECT_RE.search(before))
        ):
            return True
    return False


# ----------------------------------------------------------------- whereabouts

# Where a named person can be found while unable to look after themself: a ward's bed
# (我爸马德福在人民医院住院部8楼17床), or the home of an elderly person who lives alone, by
# its door (7号楼502住的是马德福，一个人) or where they keep their savings (存折压在枕头底下).
# A hospital's public address (住院部在8楼) has no bed; a warning (独居老人不要把现金放在家里)
# names no one.
_BED_RE = re.compile(
    r"(?<![0-9])[0-9一二三四五六七八九十]{1,3}\s*号?(?:床|病床)(?![位单垫罩品上铺头边])"
    r"|(?<![0-9])[0-9]{3,4}\s*号?病房"
)
_HOSPITAL_RE = re.compile(r"医院|住院|病区|病房|院区|[内外儿妇骨]科|icu|重症|监护室|卫生院", re.I)
_HOSPITAL_REACH = 24  # characters before a bed searched for the hospital's word
_ALONE_RE = re.compile(
    r"一个人住|一人住|独居|独自(?:一人|一个人)?(?:住|生活|在家)|一个人(?:在家|生活|过)|孤寡|空巢"
    r"|(?:身边|家里)(?:没人|没有人|就(?:他|她)一个)|(?:就|只有)(?:他|她)一个人"
    r"|一个人(?=[\s,，。！!？?]|$)"
)
_SAVINGS_RE = re.compile(
    r"(?:存折|存款|现金|积蓄|养老钱|退休金|金首饰|首饰|金镯子|金条|钱)[^，。,！!？?\n]{0,6}?"
    r"(?:压|放|藏|塞|锁|搁|缝|垫)(?:在|到|于)(?!哪|什么|啥)"
    r"|(?:枕头|床垫|床底|褥子|柜子|衣柜|箱子|抽屉|炕|鞋盒|米缸)[^，。,！!？?\n]{0,3}?(?:底下|下面|里)"
    r"[^，。,！!？?\n]{0,4}?(?:存折|现金|钱|首饰|金)"
)
_ELDER_TITLE_RE = re.compile(
    rf"(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])(?:奶奶|爷爷|大爷|大妈|大娘|阿姨|婆婆|老太太?|老汉|老人|老头)"
    rf"|老[{_SURNAMES}](?:头|太太?)"
)
_WHERE_REACH = 40  # characters around a bed, a door or a hiding place searched for a name
_KIN_OR_CALLED_RE = re.compile(rf"(?:{_KIN}|名叫|叫做?)$")


def _names_in(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Full names in ``text[start:end]`` said where a name is (see
    ``_STRONG_BEFORE_SUBJECT_RE``): after kin, a door, 叫, or at a clause's start when
    they look like one."""
    found: list[tuple[int, int]] = []
    p = start
    while p < end:
        if text[p] not in _SURNAME_CHARS and not _COMPOUND_SURNAME_RE.match(text, p):
            p += 1
            continue
        subject = _subject_at(text, p, end)
        if subject is not None:
            before = text[max(0, p - 8) : p]
            said = _KIN_OR_CALLED_RE.search(before) is not None  # 我爸马德福, 叫马德福
            where = _STRONG_BEFORE_SUBJECT_RE.search(before) or _WEAK_BEFORE_SUBJECT_RE.search(
                before
            )
            # 8楼查房 is no name: where a name may stand, it must look like one
            if said or (subject[2] and where):
                found.append(subject[:2])
                p = subject[1]
                continue
        p += 1
    return found


def _sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The window around ``start``..``end`` within its sentences (at most ``_WHERE_REACH``
    characters each side)."""
    a = max(0, start - _WHERE_REACH)
    stops = list(_CLAUSE_END_RE.finditer(text, a, start))
    if stops:
        a = stops[-1].end()
    b = min(len(text), end + _WHERE_REACH)
    stop = _CLAUSE_END_RE.search(text, end, b)
    return a, (stop.start() if stop else b)


# A woman's flat told with her name and where she works or that she lives alone (502那个女的
# 叫张婷，在人民医院当护士，一个人住): who she is, where she sleeps and when she is out. (A
# single space at most between its words: a run of spaces is read one way only.)
_WOMAN_AT_DOOR_RE = re.compile(
    r"(?<![0-9\-])(?:[0-9]{1,3}\s?(?:号楼|栋|幢)\s?)?(?:[0-9]{1,2}\s?单元\s?)?[0-9]{3,4}\s?(?:室|号)?"
    r"\s?(?:那个|那位|住(?:的|着)(?:的?是)?(?:一个|个)?|的)\s?(?:单身的?)?"
    r"(?:女的|姑娘|女孩|小姑娘|女人|妹子|美女|小媳妇)"
)
_WOMAN_NAMED_RE = re.compile(rf"(?:叫|名叫|名字叫|名字是)\s?({_NAME})")
_HER_DAYS_RE = re.compile(
    r"在[^，。！？,!?\n]{1,10}(?:上班|工作|当[\u4e00-\u9fff]{1,4})|当(?:护士|老师|医生|会计)"
    r"|(?:一个人|独自|自己)住|独居|就她一个人|平时.{0,4}一个人"
)


def _woman_at_door(text: str) -> Finding | None:
    """A woman's door, her name and her days (see ``_WOMAN_AT_DOOR_RE``)."""
    door = _WOMAN_AT_DOOR_RE.search(text)
    if door is None or _HER_DAYS_RE.search(text) is None:
        return None
    named = _WOMAN_NAMED_RE.search(text)
    if named is None or not _is_name(named.group(1)):
        return None
    return Finding("address", *door.span(), door.group())


@lru_cache(maxsize=8)
def _whereabouts(text: str) -> tuple[Finding, ...]:
    """A named person in a ward's bed ("ward"), an elderly person living alone named with
    the door or where the savings are ("alone"); the finding is the name, or the door when
    the person is named by a title (7号楼502住的是王奶奶，一个人). A woman's door with her
    name and her days ("address", see ``_WOMAN_AT_DOOR_RE``)."""
    found: list[Finding] = []
    woman = _woman_at_door(text)
    if woman is not None:
        found.append(woman)
    if "床" in text or "病房" in text:
        for m in list(_BED_RE.finditer(text))[:8]:
            hospital = _HOSPITAL_RE.search(text, max(0, m.start() - _HOSPITAL_REACH), m.end())
            if hospital is None:
                continue
            a, b = _sentence_around(text, hospital.start(), m.end())
            names = _names_in(text, a, b)
            if names:
                found.append(Finding("ward", *names[0], text[slice(*names[0])]))
    alone = list(_ALONE_RE.finditer(text))[:4]
    savings = list(_SAVINGS_RE.finditer(text))[:4]
    for m in alone + savings:
        a, b = _sentence_around(text, m.start(), m.end())
        names = _names_in(text, a, b)
        doors = [
            d
            for d in _DOOR_RE.finditer(text, max(0, a - _WHERE_REACH), b)
            if _DOOR_NUMBER_RE.search(d.group())
        ]
        hidden = m in savings
        if names and (doors or hidden):
            found.append(Finding("alone", *names[0], text[slice(*names[0])]))
        elif doors and (hidden or _ELDER_TITLE_RE.search(text, a, b)):
            found.append(Finding("alone", *doors[0].span(), doors[0].group()))
    out: list[Finding] = []
    for f in sorted(found, key=lambda f: f.start):
        if not out or f.start >= out[-1].end:
            out.append(f)
    return tuple(out)


def find_whereabouts(text: str) -> list[Finding]:
    """Where a named, vulnerable person can be found (see ``_whereabouts``)."""
    return list(_whereabouts(text))


# ----------------------------------------------------------------- a phone's owner

# The phone's word right before the number (电话, 手机号是, 联系方式：), whose it is said
# before the word: a name (马德福的电话, 马德福手机) or a relative's word (我爸的电话, 老伴手机).
_PHONE_WORD_BEFORE_RE = re.compile(
    r"(?:电话|手机|联系方式|联系电话|号码)(?:号码?)?\s*(?:是|为|[:：])?\s*$"
)
_KIN_PHONE_RE = re.compile(rf"(?:[我他她咱]的?)?(?:{_OTHERS_KIN})(?:家)?的?$")
# ... 是马德福的, （马德福）: whose it is, said after the number
_PHONE_WHOSE_AFTER_RE = re.compile(
    rf"\s*(?:[,，]\s*)?(?:这|这个)?(?:是|为)\s*{_KIN_SAID}?({_NAME})的|\s*[(（]\s*({_NAME})\s*[)）]"
)
_OWNER_REACH = 16  # characters before the number searched for the phone's word


def phone_owner(text: str, finding: Finding) -> bool:
    """The mobile ``finding`` is said to be someone's: a named person's (马德福的电话, 电话…
    是马德福的), a relative's of the writer (我爸的手机, 老伴电话), or the writer's who names
    themself (我叫马德福，电话…). The writer's own number said only as 我的 is not enough:
    a lure gives its number so too (see ``guard.detect.OWN_NUMBER``)."""
    if finding.kind != "phone":
        return False
    return _said_owner(text, finding) or _self_named(text)


def _said_owner(text: str, finding: Finding) -> bool:
    """Whose the number is, said next to it: a name or a relative before its word, or
    是马德福的 / （马德福） after it."""
    before = text[max(0, finding.start - _OWNER_REACH) : finding.start]
    word = _PHONE_WORD_BEFORE_RE.search(before)
    if word is not None:
        at = finding.start - len(before) + word.start()
        whose = text[max(0, at - 8) : at].rstrip()
        if _name_ends_at(text, at) or _KIN_PHONE_RE.search(whose):
            return True
    after = _PHONE_WHOSE_AFTER_RE.match(text, finding.end)
    return after is not None and _is_name(next(g for g in after.groups() if g is not None))


# The number that called or texted, in a resident's warning or a police notice
# (刚才170...这个号打来冒充快递理赔，大家别接): the scammer's line, nobody's personal data.
# Said right by the number: before it (骗子电话：, 接了个电话 号码是) or after it with the number
# as the subject (…这个号打来, …冒充客服); the detector asks too that the message warns. A
# victim's own number in a report of a fraud (联系电话…，我被诈骗了) is told by no such word.
_CALLER_BEFORE_RE = re.compile(
    r"(?:骗子|诈骗|可疑|陌生|冒充[^，。！？!?\s]{0,8}|假)的?(?:电话|号码?|手机号?|来电)[^，。！？!?]{0,3}$"
    r"|(?:接(?:了|到)[^，。！？!?]{0,8}(?:电话|号码|来电)|来电显示)[^，。！？!?]{0,4}$"
    r"|(?:对方|那人|自称|冒充)[^，。！？!?]{0,12}(?:电话|号码?|手机号?)(?:是|为|[:：])?\s*$"
    r"|接到了?\s*$|开头的?\s*$"  # 就接到170…的电话; 也是170开头 170…
    # 那个让我转钱的电话是…: the caller said by what it asked
    r"|(?:让我|叫我|要我|说)[^，。！？!?我你他她]{0,12}的(?:电话|号码?|手机号?|来电)(?:是|为|[:：])?\s*$"
)
_CALLER_AFTER_RE = re.compile(
    r"([^，。！？!?,\n]{0,24}?)"
    r"(?:打来|打过来|打进来|打给|来电|打(?:了)?(?:个|一个|几个|好几个)?电话|给[^，。！？!?\s]{0,4}打"
    r"|(?:又|还|一直|老|天天|总)在?打|冒充|自称|假冒|是骗子|是诈骗|别接|不要接"
    r"|发(?:来|了)?[^，。！？!?]{0,4}(?:短信|信息|消息)|说(?!明))"  # …说社保卡要升级: it said
)
# Someone else between the number and the verb does it, not the number (…，有人冒充客服).
_OTHER_SUBJECT_RE = re.compile(r"[我你他她]|有人|对方|骗子")
# ... unless the number is said to be the writer's own (我手机, 有事找我, 我是刘芳 电话 ...).
_OWN_LINE_BEFORE_RE = re.compile(
    r"(?:我|本人|俺)的?(?:手机|电话|联系方式|号码?|微信)|(?:联系|找|打|call)我|我叫|我是[^，。！？!?]{0,8}"
    r"(?:手机|电话)"
)


def caller_number(text: str, finding: Finding, *, forwarded: bool = False) -> bool:
    """The phone ``finding`` is the caller's a warning tells of (see ``_CALLER_BEFORE_RE``):
    the words by it say it called, texted or posed as someone -- or the message forwards
    what a scammer sent (``forwarded``), whose numbers are the sender's --, and nothing
    before it says it is the writer's or a named person's (``phone_owner`` without the
    writer's name alone: the writer who names themself may still quote the scammer's)."""
    if finding.kind not in ("phone", "landline"):
        return False
    before = text[max(0, finding.start - _OWNER_REACH) : finding.start]
    if _OWN_LINE_BEFORE_RE.search(before) or _said_owner(text, finding):
        return False
    if forwarded or _CALLER_BEFORE_RE.search(before):
        return True
    after = _CALLER_AFTER_RE.match(text, finding.end)
    return after is not None and _OTHER_SUBJECT_RE.search(after.group(1)) is None


# ----------------------------------------------------------------- QQ numbers

# A QQ number (5 to 11 digits, never starting with 0) after its word; a group's (QQ群) is
# no one's.
_QQ_RE = re.compile(
    r"(?<![a-z])(?:qq|扣扣|企鹅)(?!群)(?:号码?|账号)?\s*(?:(?:是|为|[:：])\s*)?([1-9][0-9]{4,10})(?![0-9])",
    re.IGNORECASE,
)


_QQ_HINT_RE = re.compile("[qQｑＱ扣企]")
# ... 是王强的, 是我女儿马小红的: whose the number is, said after it
_QQ_WHOSE_AFTER_RE = re.compile(rf"\s*(?:[,，]\s*)?(?:这|这个)?(?:是|为)\s*{_KIN_SAID}?({_NAME})的")


def _qq_numbers(text: str) -> list[tuple[int, int, int]]:
    """(where the word starts, the number's start and end) of each QQ number."""
    if _QQ_HINT_RE.search(text) is None:
        return []
    norm = unicodedata.normalize("NFKC", text)
    if len(norm) != len(text):
        return []
    return [(m.start(), *m.span(1)) for m in _QQ_RE.finditer(norm)]


def find_qq(text: str, *, named: bool | None = None) -> list[Finding]:
    """A QQ number said to be a named person's: the name right before the word (王强的QQ号是
    28371946, 李秀英QQ 1029384756, 我女儿马小红的qq号), right after the number, or the
    message naming the writer (我叫王强 ... QQ ...). A QQ number alone, the writer's own
    (我的QQ号是...) or a group's, names no one. ``named``: the message-wide name cues."""
    found: list[Finding] = []
    for word, a, b in _qq_numbers(text):
        after = _NAME_NEXT_RE.match(text, b)
        whose = _QQ_WHOSE_AFTER_RE.match(text, b)
        owner = (
            _name_ends_at(text, word)
            or (whose is not None and _is_name(whose.group(1)))
            or (after is not None and _is_name(after.group(1)) and _looks_given(after.group(1)))
        )
        if not owner:
            if named is None:
                named = _names_anywhere(text)
            owner = named
        if owner:
            found.append(Finding("qq", a, b, text[a:b]))
    return found


def _mask_qq(text: str) -> str:
    """Every QQ number's digits starred but the first and last two, named or not."""
    hidden: list[int] = []
    for _, a, b in _qq_numbers(text):
        hidden += list(range(a + 2, b - 2))
    return _star(text, hidden)


# ----------------------------------------------------------------- WeChat ids and e-mail

# A WeChat id after its word: 6 to 20 letters, digits, _ and -, starting with a letter
# (微信号 majianguo1985, vx: wxl_19650312). A phone number as the id is read as a phone.
_WECHAT_RE = re.compile(
    # the Latin words set apart from the id (wxid_zhang is a platform's id, not 微信 + id)
    r"(?:(?:微信|威信|薇信|v信)(?:号码?|账号|id)?|(?<![a-z])(?:vx|wx|weixin|wechat)(?:号码?|账号|id)?(?![a-z]))"
    r"\s*(?:(?:是|为|[:：])\s*)?"
    r"([a-z][a-z0-9_\-]{5,19})(?![a-z0-9_\-])",
    re.IGNORECASE,
)
_WECHAT_HINT_RE = re.compile("[微威薇vVwWｖＶｗＷ]")
# A short-video or a micro-blog account (快手号 nxhaoge888, 抖音号：58816637): its ids may be
# all digits, and the account leads to its owner as a WeChat id does.
_SOCIAL_SITES = "快手|抖音|微博|小红书|视频号|b站|哔哩哔哩|bilibili"
_SOCIAL_RE = re.compile(
    rf"(?:{_SOCIAL_SITES})\s?(?:号码?|账号|id|uid|名)?\s*(?:(?:是|为|[:：])\s*)?(?:@\s?)?"
    r"([a-z0-9][a-z0-9_\-.]{4,19})(?![a-z0-9_\-.])",
    re.IGNORECASE,
)
_SOCIAL_HINT_RE = re.compile(_SOCIAL_SITES, re.IGNORECASE)
# A public account, an office's or a public figure's (派出所官方抖音号, 兴庆公安的微博, 明星…的
# 微博): published for anyone to follow, whoever is named with it.
_PUBLIC_ACCOUNT_RE = re.compile(
    r"官方|官微|认证|蓝v|明星|歌手|演员|艺人|网红|主播|up主|大v|政务|公众号|新歌|演唱会|热搜"
    r"|(?:社区|派出所|公安|警方|政府|街道|居委会|物业|学校|医院|公司|小区|银行|电视台|新闻|日报|局"
    rf"|中心|店)的?(?:{_SOCIAL_SITES})",
    re.IGNORECASE,
)
# Where someone lives, said anywhere near an account: a building, a stairwell, an estate,
# the door across the landing (住5号楼的马丽，抖音号…; 王强就住我家对门，他B站id是…).
_HOME_SAID_RE = re.compile(
    r"号楼|栋|幢|单元|小区|花园|家园|新村|公寓|苑|对门|隔壁|楼上|楼下|我们楼|咱们楼|咱楼|家住|家在"
    r"|住在|[0-9]{1,2}-[0-9]{1,2}-[0-9]{3,4}"
)
# An e-mail address: the local part, @, and a domain of labels ending in letters.
_EMAIL_RE = re.compile(
    r"(?<![a-z0-9._%+\-])([a-z0-9][a-z0-9._%+\-]{0,63}@[a-z0-9\-]{1,63}(?:\.[a-z0-9\-]{1,63}){1,4})"
    r"(?![a-z0-9\-])",
    re.IGNORECASE,
)
_EMAIL_WORD_RE = re.compile(
    r"(?:邮箱|电子邮件|电邮|email|e-mail|mail)(?:地址)?\s*(?:是|为|[:：])?\s*$", re.IGNORECASE
)
_TLD_RE = re.compile(r"\.[a-z]{2,10}$", re.IGNORECASE)
# ... 是王强的, 是我女儿马小红的: whose the id or the address is, said after it
_HANDLE_WHOSE_AFTER_RE = _QQ_WHOSE_AFTER_RE


def _handles(text: str) -> list[tuple[PiiKind, int, int, int]]:
    """(kind, where its word starts, the handle's start and end) of each WeChat id and
    e-mail address; offsets only when normalising keeps the length."""
    wechat = _WECHAT_HINT_RE.search(text) is not None
    social = _SOCIAL_HINT_RE.search(text) is not None
    email = "@" in text or "＠" in text
    if not (wechat or social or email):
        return []
    norm = unicodedata.normalize("NFKC", text)
    if len(norm) != len(text):
        return []
    out: list[tuple[PiiKind, int, int, int]] = []
    if wechat:
        out += [("wechat", m.start(), *m.span(1)) for m in _WECHAT_RE.finditer(norm)]
    if social:
        out += [("social", m.start(), *m.span(1)) for m in _SOCIAL_RE.finditer(norm)]
    if email:
        for m in _EMAIL_RE.finditer(norm):
            if _TLD_RE.search(m.group(1)) is None:
                continue
            word = _EMAIL_WORD_RE.search(norm[max(0, m.start() - 10) : m.start()])
            start = m.start() - (len(word.group()) if word else 0)
            out.append(("email", start, *m.span(1)))
    return out


def _handle_owner(text: str, word: int, end: int) -> bool:
    """Whose the id or the address is, said next to it: a name right before its word
    (王秀兰的微信号, 马建国邮箱), right after it (…1985 马建国) or after 是 (是我女儿马小红的)."""
    if _name_ends_at(text, word):
        return True
    whose = _HANDLE_WHOSE_AFTER_RE.match(text, end)
    if whose is not None and _is_name(whose.group(1)):
        return True
    after = _NAME_NEXT_RE.match(text, end)
    return after is not None and _is_name(after.group(1)) and _looks_given(after.group(1))


_MAX_LOOKED = 8


def _named_at_home(text: str, start: int, end: int) -> bool:
    """A person named near an account, in its sentence (see ``_names_in``), with where
    they live (``_HOME_SAID_RE``): 住5号楼的马丽，抖音号…; 这个快手号…是7号楼马小军的."""
    a, b = _sentence_around(text, start, end)
    return _HOME_SAID_RE.search(text, a, b) is not None and bool(_names_in(text, a, b))


def find_handles(text: str, *, named: bool | None = None) -> list[Finding]:
    """A WeChat id or an e-mail address with a person's name: right next to it, or the
    message naming the writer or someone (我叫马建国，微信号 majianguo1985). Alone, the
    writer's own (我的微信号是…) or a business's or an office's (社区网格员, 客服), it names
    no one. ``named``: the message-wide name cues, when known."""
    found: list[Finding] = []
    public: bool | None = None
    looked = 0  # accounts looked at for a name and a home around them: a few are enough
    for kind, word, a, b in _handles(text):
        if kind == "social":
            if public is None:
                public = _PUBLIC_ACCOUNT_RE.search(text) is not None
            if public:
                continue
            looked += 1
        owner = _handle_owner(text, word, b) or (
            kind == "social" and looked <= _MAX_LOOKED and _named_at_home(text, word, b)
        )
        if not owner:
            if named is None:
                named = _names_anywhere(text) and not _business(text)
            owner = named
        if owner:
            found.append(Finding(kind, a, b, text[a:b]))
    return found


def _mask_handles(text: str) -> str:
    """The middle of a WeChat id or an e-mail address (its local part) that names someone
    starred. A lure's own contact (加V sd88866) stays: the early warning quotes it so that
    residents know whom not to add."""
    hidden: list[int] = []
    for f in find_handles(text):
        a, b = f.start, f.end
        end = text.index("@", a, b) if f.kind == "email" else b
        keep = 2 if end - a > 5 else 1
        hidden += list(range(a + keep, end - keep))
    return _star(text, hidden)


# ----------------------------------------------------------------- credentials

# A one-time code or a password posted in the group (验证码是482913, 密码：wjg123456, with the
# ID's last four for a reset): whoever reads them can take the account. Not a default one a
# notice gives out (初始密码是123456), a shared one (WiFi密码, 门禁密码), nor one in an example
# of a warning (比如验证码123456).
_CREDENTIAL_RE = re.compile(
    # 验证码是482913, 验证码给你们：617283, 验证码我发你 394817
    r"(?:验证码|校验码|动态码|短信码|动态密码|确认码)[^0-9，。,!！？?\n]{0,6}?(?:是|为|[:：]|\s)*"
    r"([0-9]{4,8})(?![0-9])"
    r"|(?:密码|口令|pin码?)(?:是|为|[:：])\s*([a-z0-9!@#$%^&*._\-]{4,20})(?![a-z0-9])"
    r"|(?:密码|口令)\s+([0-9]{4,8})(?![0-9])",
    re.IGNORECASE,
)
_CREDENTIAL_HINT_RE = re.compile("码|口令|pin", re.IGNORECASE)
_NOT_OWN_CREDENTIAL_RE = re.compile(
    r"(?:初始|默认|原始|出厂|统一|比如|例如|如|假如|像|类似)[^，。,!！？?]{0,6}$"
    # shared with whoever is let in: a network's, the building's door, a meeting's or a room's
    # (a home's door lock is not: 我家门锁密码是…, whoever reads it can walk in)
    r"|(?:wifi|wi-fi|无线|网络|门禁|大门|单元门|车锁|柜|箱|会议|直播|房间|群)[^。!！？?]{0,20}$",
    re.IGNORECASE,
)
# The ID's last four told with a code or a password (身份证后四位2319): masked with them.
_ID_TAIL_RE = re.compile(
    rf"(?:{_ID_WORDS})号?码?的?(?:后|末|最后)[四4]位(?:数字)?(?:是|为|[:：])?\s*([0-9]{{3}}[0-9xX])(?![0-9])"
)


def _credentials(text: str) -> list[tuple[int, int]]:
    """Where each posted code or password is (see ``_CREDENTIAL_RE``)."""
    if _CREDENTIAL_HINT_RE.search(text) is None:
        return []
    norm = unicodedata.normalize("NFKC", text)
    if len(norm) != len(text):
        return []
    out: list[tuple[int, int]] = []
    for m in _CREDENTIAL_RE.finditer(norm):
        group = next(i for i in (1, 2, 3) if m.group(i) is not None)
        value = m.group(group)
        if group == 2 and (value.isalpha() or (len(value) < 6 and not value.isdigit())):
            continue  # 密码是abcd: a word, not a password typed out
        if _NOT_OWN_CREDENTIAL_RE.search(norm, max(0, m.start() - 24), m.start()):
            continue
        out.append(m.span(group))
    return out


def find_credentials(text: str) -> list[Finding]:
    """A verification code or a password posted (验证码是 482913, 我的密码是 wjg123456):
    the account's key, whoever it belongs to. Warnings name none (不要把验证码告诉任何人)."""
    return [Finding("credential", a, b, text[a:b]) for a, b in _credentials(text)]


def _mask_credentials(text: str) -> str:
    """Every posted code or password starred whole, and the ID's last four told with one."""
    spans = _credentials(text)
    if not spans:
        return text
    hidden = [i for a, b in spans for i in range(a, b)]
    hidden += [i for m in _ID_TAIL_RE.finditer(text) for i in range(*m.span(1))]
    return _star(text, hidden)


def _mask_names(text: str, findings: list[Finding]) -> str:
    """Each found name's given name starred, the surname kept (马小龙 → 马**)."""
    for f in reversed(findings):
        keep = 2 if re.match(_COMPOUND_SURNAMES, f.value) else 1  # the surname stays
        masked = f.value[:keep] + "*" * (len(f.value) - keep)
        text = text[: f.start] + masked + text[f.end :]
    return text


def _mask_children(text: str) -> str:
    return _mask_names(text, find_children(text))


# ----------------------------------------------------------------- public API

# Severity order when one message holds several kinds.
_ORDER: tuple[PiiKind, ...] = (
    "id",
    "passport",
    "document",
    "student",
    "bank",
    "credential",
    "phone",
    "landline",
    "health",
    "record",
    "ward",
    "alone",
    "address",
    "child",
    "plate",
    "qq",
    "wechat",
    "email",
    "social",
)


def find_pii(
    text: str, *, exempt_numbers: frozenset[str] = frozenset(), published: bool = False
) -> list[Finding]:
    """All personal data in ``text``, numbers first then addresses, plates, passports,
    documents (one that is a number already found, a 社保号 that is the ID, is left to the
    number) and children (``published``: see ``find_numbers``)."""
    numbers = find_numbers(text, exempt_numbers=exempt_numbers, published=published)
    people = find_addresses(text) + find_plates(text) + find_passports(text)
    taken = [(f.start, f.end) for f in numbers + people]
    documents = [  # a 社保号 that is the ID number is an ID
        f
        for f in find_documents(text) + find_pictured_documents(text)
        if not any(a < f.end and f.start < b for a, b in taken)
    ]
    taken += [(f.start, f.end) for f in documents]
    handles = [
        f
        for f in find_qq(text) + find_handles(text) + find_credentials(text)
        if not any(a < f.end and f.start < b for a, b in taken)
    ]
    # An elderly person alone at a door already found with the name is that address.
    homes = any(f.kind == "address" for f in people)
    where = [f for f in find_whereabouts(text) if f.kind != "alone" or not homes]
    sensitive = list(_sensitive(text)) + where
    return numbers + people + documents + find_children(text) + sensitive + handles


def main_kind(findings: list[Finding]) -> PiiKind | None:
    kinds = {f.kind for f in findings}
    return next((k for k in _ORDER if k in kinds), None)


# How many edge digits stay visible: enough for a person to recognise their own number.
_KEEP: dict[str, tuple[int, int]] = {
    "id": (4, 4),
    "phone": (3, 4),
    "landline": (4, 4),
    "bank": (4, 4),
}


def _mask_span(span: str, kind: PiiKind, value: str) -> str:
    """Replace the middle digits of ``span`` with *, keeping separators, words between
    the pieces and the first / last few digit characters as the sender wrote them."""
    positions = [m.start() for m in _DIGIT_CHAR_RE.finditer(span)]
    if len(positions) < len(value):  # a number read out with homophones (要三八 ...)
        positions = [m.start() for m in _DIGIT_CHAR_RE.finditer(span.translate(_SAID_AS_NUMERAL))]
    if len(positions) > len(value):  # numerals in the words between pieces (后四位) stay
        in_words = {
            i
            for run in _RUN_RE.finditer(span)
            if _numeral_in_words(span, run)
            for i in range(run.start(), run.end())
        }
        positions = [i for i in positions if i not in in_words]
    head, tail = _KEEP.get(kind, (0, 0))
    if kind == "phone" and len(positions) > 11:  # +86 / 0086 prefix stays visible
        head += len(positions) - 11
    if kind == "landline":  # the area code says only the city; a local number keeps none
        head = (3 if value[1] in "12" else 4) if value.startswith("0") else 0
    hidden = set(positions[head : len(positions) - tail])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(span))


_ADDRESS_DIGIT_RE = re.compile(f"[0-9一二三四五六七八九十{_CN_ROOM_DIGIT}]")


def mask_addresses(text: str) -> str:
    """``text`` with the digits of every building / unit / room address starred
    (5栋2单元301 → *栋*单元***): for display names and group titles, which are stored and
    shown, and never need to say where a resident lives."""
    return _DOOR_RE.sub(lambda m: re.sub(_ADDRESS_DIGIT_RE, "*", m.group(0)), text)


def _mask_plates(text: str) -> str:
    """Every licence plate's letters and digits after the city's letter starred but the
    last (宁A·5Q821 → 宁A·****1), named or not: a log line never needs a plate."""
    hidden = []
    for _, b, after_city in _plates(text):
        hidden += [i for i in range(after_city, b) if text[i].isalnum()][:-1]
    return _star(text, hidden)


def mask_pii(text: str, *, exempt_numbers: frozenset[str] = frozenset()) -> str:
    """``text`` with every ID, mobile and card number and every licence plate masked
    (138****6612, 6401**********123X, 6222 **** **** 1234, 宁A·****1), whatever way it was
    written, every labelled document's code (退休证号：宁退字第0*****1号), and a passport
    (E******78) or a child's name next to a class (马**) where they are found. Used before
    any text reaches the database or a log line."""
    text = _mask_children(_mask_passports(_mask_plates(text)))
    text = _mask_names(text, list(_sensitive(text)))
    names = [f for f in find_whereabouts(text) if _DOOR_RE.search(f.value) is None]
    text = _mask_names(text, names)  # a door found instead of a name stays, as addresses do
    text = _mask_qq(_mask_documents(_mask_id_parts(text)))
    text = _mask_handles(_mask_credentials(text))
    for _ in range(4):  # masking can only shorten runs; a rescan catches leftovers
        findings = find_numbers(text, exempt_numbers=exempt_numbers, strict=True)
        if not findings:
            return text
        parts: list[str] = []
        pos = 0
        for f in sorted(findings, key=lambda f: f.start):
            parts.append(text[pos : f.start])
            parts.append(_mask_span(letter_zeros(text)[f.start : f.end], f.kind, f.value))
            pos = f.end
        parts.append(text[pos:])
        text = "".join(parts)
    return text


# For the personal-matter model (``guard.personal``): who a message may be about.
SURNAMES = _SURNAMES
COMPOUND_SURNAMES = _COMPOUND_SURNAMES


def names_anywhere(text: str) -> bool:
    """A recipient label or a resident's name cue anywhere in ``text``."""
    return _names_anywhere(text)
