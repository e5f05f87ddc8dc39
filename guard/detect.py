"""The guard's single entry point: is a message a scam lure, personal data, or fine?

Pure and fast (well under a millisecond for a chat message): no I/O after the first
call, no state. Handlers decide what to do with the verdict (warn, remind, delete,
alert the officer); this module only decides what the message is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from guard import learned, personal, pii, scam

Verdict = Literal["scam", "pii", "ok"]

# Confidence reported for personal data: checksummed numbers are near certain, a phone
# number is a pattern, an address relies on a name heuristic.
_PII_SCORE = {
    **{"id": 1.0, "bank": 0.95, "phone": 0.9, "landline": 0.85, "address": 0.8},
    "plate": 0.75,  # a plate with a name: whose car it is
    "passport": 0.9,  # a passport's shape with 护照 or a name
    "child": 0.75,  # a child's name next to a school class: where the child can be found
    "document": 0.85,  # a document's or record's number under its label, with a name
    "student": 0.85,  # a pupil's 学号 or 学籍号 with the pupil's name
    "health": 0.8,  # a diagnosis said of a named resident
    "record": 0.8,  # a criminal or administrative record said of a named resident
    "qq": 0.75,  # a QQ number said to be a named person's
    "wechat": 0.75,  # a WeChat id with a name
    "email": 0.75,  # an e-mail address with a name
    "social": 0.75,  # a 快手, 抖音 or 微博 account with a name
    "credential": 0.9,  # a verification code or a password posted
    "ward": 0.8,  # a named person's bed in a ward
    "alone": 0.8,  # an elderly person living alone, with the door or the savings
    "private": 0.7,  # a specific person's illness, record, debt or marriage (guard.personal)
}
# A resident's own, or a named neighbour's, which look like a lure's contact to the model.
CONTACTS = ("phone", "landline", "qq", "wechat", "email", "social")
# "我的微信号是 wangfang1985": a handle the writer gives as their own, as a resident does.
OWN_HANDLE = re.compile(
    r"我的?(?:微信|微信号|vx|v信|qq|扣扣)号?(?:是|为|[:：])?\s*[a-z0-9_-]{5,}", re.IGNORECASE
)
# "我的手机号换了，新号 139 9510 7788，有事打新号": a number given as the new one. 换号了 is how
# a relative-in-trouble lure opens, so the model reads it as one; a resident's message stops
# at the number, a lure goes on to ask (加我微信, 转我2000, 借我).
NEW_NUMBER = re.compile(
    r"(?:换|改)了?成?个?新?(?:手机|电话)?号|(?:手机|电话)号?码?(?:换|改|变)了|新号"
)
# "我叫马建国，手机号是幺八拐四...": a number the writer gives as their own, as to an officer
# taking a report. The model reads the officer's word as the police-impersonation lure's.
OWN_NUMBER = re.compile(
    r"(?:我的?|本人的?)(?:手机|电话)号?码?(?:是|为|[:：])"
    r"|(?:我叫|我是|报案人|本人)[^。！？!?]{0,12}(?:手机|电话)号?码?(?:是|为|[:：])"
)


# How the learned model and the rule scripts combine, chosen by five-fold cross-validation
# on the corpus before lures_v3 (`bench/guard_cv.py`: the most lures caught with everyday
# chatter as quiet as before and talk about scams no noisier; it picked 0.85 for the model
# alone, and the regression sets' three new false alarms there, a resident's own WeChat
# id and an event link among them, moved it to 0.9, the next step of the grid). A rule
# lure stands unless the model finds it unlikely (a resident quoting a lure to warn); the
# model alone calls a lure when a rule script is at least touched, and otherwise only
# when quite sure and the message holds no personal number (a resident's own number or
# handle looks like a lure's contact to it).
@dataclass(frozen=True, slots=True)
class Thresholds:
    veto: float = 0.3  # a rule lure the model finds less likely than this is not one
    alone: float = 0.7  # the model alone, when a rule script is at least touched
    unhooked: float = 0.9  # the model alone, when no rule script is


THRESHOLDS = Thresholds()


# Personal data found exactly: by a checksum, or a passport's or a labelled document's
# number with its holder (医保卡号 ... 马桂兰 reads like a medical-insurance lure to the model).
# Not a card the message asks to pay into that reads like a lure's account: spelt digit by
# digit to slip past a filter (打到这张卡 6 2 1 7 ...), or a new one, asked for in haste or
# secrecy -- unless the writer names themself and asks for a neighbour's debt
# (``pii.paid_as_lure``).
# A code or a password posted is exact too, and so is a mobile said to be someone's
# (``pii.phone_owner``): 我爸马德福医保卡被冻结了，他电话幺五三… reads like a
# medical-insurance lure to the model.
EXACT = ("id", "bank", "passport", "document", "student", "credential")
# Exact personal data outweighs even a rule lure that asks for nothing beyond it: a
# resident's ID with 医保卡激活 hooks the medical-insurance script (激活 is its ask), the
# ID being the resident's, not the lure's. The rule stands when the message also says who
# the sender claims to be (the script's own pretext, or an office, a bank, the police),
# gives a way off the chat or a contact that is nobody's named number, or asks for money,
# a code or a click.
CLAIM = re.compile(
    r"(?:我是|我们是|这里是|本人是|我这边是)[^，。,！!？?]{0,10}?"
    r"(?:局|中心|专员|客服|工作人员|民警|警官|警察|公安|法院|检察|银行|平台|官方|管理员|办事处"
    r"|保险|公司|政府|街道|社区|网格员|领导|老师)"
    r"|^\s*【[^】]{1,12}】|通缉|逮捕|涉嫌|洗钱|安全账户|配合调查"
)
PRESSED = re.compile(
    r"转账|转到|转给|转入|打到|汇到|汇款|打款|打钱|付款|(?:交|缴|付)[^，。,！!？?]{0,6}(?:费|金)"
    r"|保证金|押金|手续费|(?:发|告诉|给|报)给?我们?[^，。,！!？?]{0,4}(?:验证码|密码)"
    r"|(?:验证码|密码)(?:都|也)?(?:发|告诉|给|报)(?:给|一下)?我|点击|点开|链接|下载|扫码|二维码"
    r"|加(?:我|微信|qq|v)",
    re.IGNORECASE,
)
# A list of households by door and name (an arrears list: 3-2-501 王建国 1200元；5-1-302
# 李秀兰 860元) is personal data, though the model reads it as a fake notice; with the names
# masked (王**) it is a notice, which the model alone does not call a lure either. One
# household's door and name with a debt (欠费户：3-1-601马建国) reads so too: with nothing
# asked, it is no lure by the model alone (see ``told``).
ROSTER = 2
# A named person's health or record told as news (李玉兰阿姨高血压、糖尿病都有，每天吃五六种药)
# reads like a health product's testimony to the model, which has seen none of it; with
# nothing asked (no 要买的找我, 私聊, 加微信) it is no lure by the model alone.
SENSITIVE = ("health", "record")
# "收到这条短信大家小心：【xx银行】您的账户…点击链接…": a resident forwards what a scammer
# sent them, to warn. The quoted lure is whole (its sign, its link), so the rules and the
# model both read a lure; the frame says who sent it -- the writer received it -- and the
# warning to the group what it is. Only near the message's head: a fake notice may say 收到
# 短信的居民 further on.
FORWARDED = re.compile(
    r"(?:我|我妈|我爸|家里老人|老人|刚|刚刚|今天|昨天|又|也)[^，。！？!?\s]{0,4}?收到了?"
    r"(?:这条|一条|条|这个|个|这样的?|一个|的)?"
    r"|^\s*收到了?|收到了?(?:这条|这个|这样的?)|转发(?:一下|一条|下)?[^，。！？!?]{0,4}收到的"
)
FORWARDED_REACH = 40
# "这个是不是假的：“【中国银行】…链接”", "你们看这个是骗子不：…": a resident quotes what they got
# and asks the group whether it is a scam. The question, before the quote, is the frame.
ASKED_IF_FAKE = re.compile(
    r"(?:这个?|这条|这是|这种|这样的?|帮我看看|你们看看?)[^，。！？!?：:“\"不]{0,8}?"
    r"(?:(?:是不是|算不算)(?:假的|骗子|骗人|诈骗|骗局)"  # a lure's 我们不是骗子 asks nothing
    r"|(?:是|属于)(?:假的|骗子|骗人的?|诈骗|骗局)(?:吧|吗|不|没|么))"
    r"|(?:是真的|靠谱|可信)(?:吗|不|么)\s*[?？]?\s*[：:“\"]"
)
# A police notice that quotes a lure's words to name them (警方提醒：骗子常说
# "…请点击 xx.cn"): the notice's head, and a warning ``scam.assess`` weighs at WARNS or more
# (a fake 反诈中心's "您涉嫌诈骗" is its script, which the rules do not count as a warning).
NOTICE = re.compile(
    r"(?:警方|民警|公安|派出所|反诈中心)[^，。：:]{0,8}?(?:温馨)?(?:提醒|提示)|反诈(?:提醒|提示|宣传)"
)
# What the notice names the lure: lures open with 温馨提示 and 提醒 too, never calling
# themselves a scam.
NAMED_SCAM = re.compile(r"诈骗|骗子|骗局|冒充|假冒|骗人")
NOTICE_REACH = 30
# The warning: to the group, or naming the scam or forbidding the click outright.
WARNED_GROUP = re.compile(r"大家|各位|邻居们|朋友们|家人们|群里|街坊|大伙")
WARNED_WHAT = re.compile(
    r"小心|当心|提个?醒|警惕|别(?:点|信|理|回|上当|转|接)|不要(?:点|信|理|回|上当|转|接)|千万别"
    r"|假的|骗子|诈骗|骗人|骗局|根本没|拉黑|举报"
)
WARNED_OUTRIGHT = re.compile(r"别(?:点|信)|不要(?:点|信)|千万别|假的|骗子|诈骗|骗人|骗局|根本没这")
# A number masked by its owner (6217 **** **** 3345, 138****5678, 身份证6401***1026) reaches
# and pays no one: a lure must give its number whole. The model reads 户名 and 卡号 next to
# one as a card-renting lure; with no other way to the sender (a link, a handle, a whole
# number) and nothing asked (转这个卡号, 捐款 ask), the model alone calls no lure on it.
MASKED = re.compile(r"[0-9]{2,6}[\s\-]*[*＊×xX]{3}[\s*＊×xX\-]*[0-9]{2,6}[xX]?")
MONEY_ASKED = re.compile(r"捐|转(?!发)|汇|打钱|打款|付款|交钱|借")
# "大家别在群里发身份证号，要登记的私信网格员就行": advice to keep an ID or a card out of the
# group. It names the ID and a private channel, as an ID-harvesting lure does, but it
# forbids posting and offers nothing for the number (no subsidy, no prize), asks for no
# number to be sent to the writer and gives no way off the chat. Such advice is no lure;
# a lure that borrows the words (不要发群里，私发我领补贴) still asks or offers.
NOT_TO_POST = re.compile(
    r"(?:不要|别|勿|不能|千万别|切勿|请勿|不得|禁止|严禁)(?:再)?(?:在|往|到|发到|发在)?"
    r"(?:群里|群内|群上|群|朋友圈|网上)(?:随便|随意|公开)?(?:发|晒|贴|公开|透露|泄露|接龙)"
    r"|(?:群里|群内|朋友圈|网上)(?:千万|一定)?(?:不要|别|勿|不能|禁止|严禁)(?:随便|再)?(?:发|晒|贴|公开)"
    r"|(?:不要|别|勿|不能|千万别|切勿|请勿|不得)(?:随便|随意|公开)(?:发|晒|贴|透露|泄露)"
)
PRIVATE_ITEM = re.compile(r"身份证|银行卡|卡号|证件|户口本|住址|个人信息|隐私|学籍号")
# What a lure offers for the number, or asks to be sent to the writer, or gathers.
BAIT_OR_ASK = re.compile(
    r"补贴|补助|领取|领钱|发放|奖励|福利|红包|礼品|抽奖|返现|退费|退款|赔偿|理赔|中奖|慰问"
    r"|收集|统计|采集|名单|上报|汇总"  # a list being gathered
    r"|(?:私信|私发|发|传|加)(?:给)?我(?!们)|发(?:给)?本人"
)


def advised(text: str, lure: scam.ScamAssessment) -> bool:
    """Advice not to post an ID or a card in the group (see ``NOT_TO_POST``)."""
    return (
        not lure.outside_contact
        and NOT_TO_POST.search(text) is not None
        and PRIVATE_ITEM.search(text) is not None
        and BAIT_OR_ASK.search(text) is None
    )


# "本月水费：用水12吨，金额39.6元，请于25日前缴纳": a utility bill's summary reads like a fake
# arrears notice to the model, but it tells what was used and gives no way to pay anyone (a
# fake one gives a link, a number or an account).
USAGE = re.compile(
    r"(?<![0-9])[0-9]+(?:\.[0-9]+)?\s*(?:吨|度|方|立方米?|千瓦时|m³)"
    r"(?![\u4e00-\u9fff]{0,2}(?:米|公里|面))"
)
AMOUNT = re.compile(r"(?<![0-9.])[0-9]+(?:\.[0-9]+)?\s*(?:元|块)")


def billed(text: str, findings: Sequence[pii.Finding], lure: scam.ScamAssessment) -> bool:
    """A bill's summary with no contact or account in it (see ``USAGE``)."""
    if lure.contact or findings:
        return False
    return USAGE.search(text) is not None and AMOUNT.search(text) is not None


# "622848开头的是农行，621700是建行": talk of what a card number's first six digits say. It
# names banks and card numbers as a card-renting lure does, but gives no whole number, no
# contact and asks nothing.
CARD_PREFIX = re.compile(
    r"(?<![0-9])[3-6][0-9]{5}(?![0-9])\s*(?:开头|打头|是|为|属于|代表|对应)"
    r"|(?:前六位|前6位|号段|发卡行(?:识别码|代码|标识)?|(?<![a-z])bin(?![a-z]))",
    re.IGNORECASE,
)


def card_talk(text: str, findings: Sequence[pii.Finding], lure: scam.ScamAssessment) -> bool:
    """Talk of card-number prefixes with no number, contact or ask (see ``CARD_PREFIX``)."""
    if findings or lure.contact or lure.call_to_action:
        return False
    return CARD_PREFIX.search(text) is not None


# Warning cues (``scam.assess``'s weight: 骗子, 冒充, 别接 count 1.0, 提醒, 小心 0.5) that make
# a message a warning, whose caller's number is then no one's personal data.
WARNS = 1.0


@dataclass(frozen=True, slots=True)
class Signals:
    """What the combination reads of a message besides the model's probability."""

    rule_lure: bool  # the rules call it a lure, with a script
    hooked: bool  # a rule script is at least touched
    contact: bool  # a number or handle the writer gives as their own
    exact: bool  # an ID, a card, a passport or a held document's number: not a guess
    announced: bool = False  # the writer's own (or new) number given, and nothing asked
    roster: bool = False  # a list of households by door and name (masked or not)
    told: bool = False  # a named person's health, record or door told, and nothing asked
    pressed: bool = True  # the lure claims, contacts or asks beyond the personal data
    quoted: bool = False  # a lure quoted whole to warn: forwarded, or in a police notice
    masked: bool = False  # a masked number, no other way to the sender, no ask
    forwarded: bool = False  # the writer received what they quote (``forwarded``)
    advised: bool = False  # advice not to post an ID or a card in the group (``advised``)
    no_payee: bool = False  # a bill's summary or card-prefix talk, no contact or ask


def signals(text: str, findings: Sequence[pii.Finding], lure: scam.ScamAssessment) -> Signals:
    exact = any(
        (f.kind in EXACT and not pii.paid_as_lure(text, f)) or pii.phone_owner(text, f)
        for f in findings
        if not f.published
    )
    received = forwarded(text)
    households = pii.households(text)
    return Signals(
        lure.is_lure and lure.script is not None,
        lure.script is not None,
        bool(OWN_HANDLE.search(text)) or any(f.kind in CONTACTS for f in findings),
        exact,
        announced(text, findings, lure),
        households.listed >= ROSTER,
        not lure.call_to_action
        and (any(f.kind in SENSITIVE for f in findings) or households.named > 0),
        not exact or pressed(text, findings, lure),
        received or notice(text, lure),
        masked(text, findings, lure),
        received,
        advised(text, lure),
        billed(text, findings, lure) or card_talk(text, findings, lure),
    )


def contact_phones(text: str, findings: Sequence[pii.Finding]) -> int:
    """The mobiles the message gives as a contact (``scam.assess``'s ``phones``): a caller
    a warning tells of (这个号打来冒充…) is none (also `bench/guard_cv.py`)."""
    return sum(1 for f in findings if f.kind == "phone" and not pii.caller_number(text, f))


def masked(text: str, findings: Sequence[pii.Finding], lure: scam.ScamAssessment) -> bool:
    """A masked number, no other way to the sender and nothing asked (see ``MASKED``)."""
    if findings or lure.call_to_action or MONEY_ASKED.search(text):
        return False
    return MASKED.search(text) is not None


def notice(text: str, lure: scam.ScamAssessment) -> bool:
    """A police notice naming a lure's words as a scam (see ``NOTICE``)."""
    return (
        NOTICE.search(text, 0, NOTICE_REACH) is not None
        and NAMED_SCAM.search(text) is not None
        and lure.warning >= WARNS
    )


# "诈骗短信原文：“…点击 10086-jf.cc 领取”，这个是假的，别点", "收到这种消息你们都别回：“我是你领导
# …”": the lure's words in quotation marks, and a warning in the writer's own words around
# them. The words outside the quotes warn (别回, 假的, 删掉) and themselves ask nothing and
# give no way off the chat; a lure that quotes a phrase (请认准“官方”链接，点击…) asks outside.
QUOTED = re.compile(r"[“\"「『]([^“”\"「」『』]{6,})[”\"」』]")
QUOTE_WARNED = re.compile(f"{WARNED_WHAT.pattern}|删掉|删了|直接删|纯属|别回|不要回|不用回")


def quoted_warning(text: str) -> bool:
    """A lure quoted whole inside a warning (see ``QUOTED``)."""
    if QUOTED.search(text) is None:
        return False
    outside = QUOTED.sub("“”", text)
    if QUOTE_WARNED.search(outside) is None:
        return False
    around = scam.assess(outside)
    return not (around.call_to_action or around.outside_contact or around.contact)


def forwarded(text: str) -> bool:
    """The writer received the message they quote and warns the group of it (see
    ``FORWARDED``), asks the group whether it is a scam (``ASKED_IF_FAKE``), or quotes it
    inside a warning (``QUOTED``)."""
    if ASKED_IF_FAKE.search(text, 0, FORWARDED_REACH) is not None:
        return True
    if quoted_warning(text):
        return True
    if FORWARDED.search(text, 0, FORWARDED_REACH) is None:
        return False
    if WARNED_GROUP.search(text) is not None:
        return WARNED_WHAT.search(text) is not None
    return WARNED_OUTRIGHT.search(text) is not None


def pressed(text: str, findings: Sequence[pii.Finding], lure: scam.ScamAssessment) -> bool:
    """The lure does more than hook a script next to exact personal data (see ``CLAIM``):
    a claim of who the sender is, a way off the chat or a contact of no one named, or an
    ask for money, a code or a click."""
    if lure.outside_contact or (lure.script is not None and lure.script.pretext is not None):
        return True
    if CLAIM.search(text) or PRESSED.search(text):
        return True
    return any(
        f.published or (f.kind == "phone" and not pii.phone_owner(text, f)) for f in findings
    )


def announced(text: str, findings: Sequence[pii.Finding], lure: scam.ScamAssessment) -> bool:
    """The message gives the writer's new or own phone number and asks nothing else (see
    ``NEW_NUMBER``, ``OWN_NUMBER``), nor hooks a script told by who the sender claims to
    be (我是你表哥，换新号了)."""
    phones = [f for f in findings if f.kind == "phone" and not f.published]
    if not phones or (NEW_NUMBER.search(text) is None and OWN_NUMBER.search(text) is None):
        return False
    if lure.script is not None and lure.script.pretext is not None:
        return False
    words, pos = [], 0
    for f in sorted(phones, key=lambda f: f.start):
        words.append(text[pos : f.start])
        pos = f.end
    words.append(text[pos:])
    return not scam.asks_to_act(" ".join(words))


def called(p: float, s: Signals, t: Thresholds = THRESHOLDS) -> str | None:
    """Who calls the message a lure: "rules", "model", or None (also `bench/guard_cv.py`)."""
    if s.quoted or s.advised:  # the lure is quoted whole, as a warning; privacy advice
        return None
    if s.rule_lure and p >= t.veto and s.pressed:
        return "rules"
    if s.roster or s.told:  # an arrears list reads like a fake notice to the model, a
        return None  # neighbour's illness like a health product's testimony
    sure = t.alone if s.hooked else t.unhooked
    quiet = s.exact or s.announced or s.masked or s.no_payee  # no lure's contact
    if p >= sure and (s.hooked or not s.contact) and not quiet:
        return "model"
    return None


@dataclass(frozen=True, slots=True)
class GuardResult:
    verdict: Verdict
    kind: str | None  # scam script id (shuadan, refund, ...) or PII type (id, phone, ...)
    label: str  # Chinese name of the script or data type, for messages to people
    score: float  # 0..1, how sure the guard is of a non-ok verdict; 0.0 when ok
    advice: str = ""  # what to do, for scam verdicts

    @property
    def is_ok(self) -> bool:
        return self.verdict == "ok"


OK = GuardResult("ok", None, "", 0.0)


def check(text: str, *, exempt_numbers: frozenset[str] = frozenset()) -> GuardResult:
    """Classify one message. ``exempt_numbers``: the station's public phone numbers.

    When a message is both a lure and carries personal data (a scammer's own phone
    number), it is a scam: the warning to the group matters more. But the model's guess
    alone does not outweigh an ID or a bank card number, which are exact: 登记高龄补贴 with
    one's mother's ID reads like a subsidy lure to the model, "我农行卡号 … 你转过来吧 户名
    马桂英" like a card-renting one, a medical card's number with its holder's name like a
    medical-insurance one (a fake warrant naming an ID is a rule lure, and stays one). A
    list of households by door and name is personal data whatever else it reads as.
    """
    if not text or text.isspace():
        return OK
    # Published numbers (客服电话 ...) are no one's personal data but are a lure's contact.
    findings = pii.find_pii(text, exempt_numbers=exempt_numbers, published=True)
    if pii.households(text).named >= ROSTER:
        listed = pii.main_kind([f for f in findings if not f.published]) or "address"
        return GuardResult("pii", listed, pii.LABELS[listed], _PII_SCORE[listed])
    lure = scam.assess(text, phones=contact_phones(text, findings))
    # The corpus's script names a lure only the model calls (at THRESHOLDS.alone or above).
    p, corpus_script = learned.default_model().read(text, lure, script_from=THRESHOLDS.alone)
    read = signals(text, findings, lure)
    by = called(p, read)
    # A neighbour's debt or illness told reads like a lure to the model (刘姐信用卡逾期被起诉
    # 了) and may touch a rule script (法院传票); a lure asks or gives a way to the sender.
    asks = lure.call_to_action or lure.contact or lure.outside_contact
    if by is not None and not asks and told_private(text):
        by = None
    if by == "rules" and lure.script is not None:
        s = lure.script
        return GuardResult("scam", s.id, s.name, max(lure.score, round(p, 3)), s.advice)
    if by == "model":
        s = lure.script or scam.learned_script()
        label = s.name if lure.script is not None else corpus_script
        return GuardResult("scam", s.id, label, round(p, 3), s.advice)
    # A warning's or a notice's caller (这个号打来冒充客服，大家别接) is the scammer's line,
    # and so is every contact in a scammer's text a resident forwards.
    quoted = read.forwarded
    warns = quoted or lure.warning >= WARNS or WARNED_WHAT.search(text) is not None
    kind = pii.main_kind(
        [
            f
            for f in findings
            if not f.published
            and not (warns and pii.caller_number(text, f, forwarded=quoted))
            and not (quoted and f.kind in CONTACTS and not pii.phone_owner(text, f))
        ]
    )
    if kind is None and not findings and told_private(text):
        kind = "private"
    if kind is not None:
        return GuardResult("pii", kind, pii.LABELS[kind], _PII_SCORE[kind])
    return OK


def told_private(text: str) -> bool:
    """A specific person's private matter told (``guard.personal``): a person and a matter
    seen by the lexicon, and the learned model sure enough."""
    return personal.default_model().told(text)
