"""Scam lures: obfuscation, scripts, warnings that are not lures, and the acceptance bar."""

from __future__ import annotations

import os
import time
import tomllib
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guard import normalize, scam
from guard.detect import GuardResult, check
from guard.eval import VERDICTS, evaluate, read_cases

# ---------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    ("raw", "flat"),
    [
        ("s h u a d a n", "shuadan"),
        ("加 Ⅴх：abc123", "加vx:abc123"),  # Roman numeral V + Cyrillic х
        ("加 ѵх：k8899", "加vx:k8899"),  # Cyrillic izhitsa
        ("加薇❤ zx5566", "加薇信zx5566"),
        ("ＶＸ：ｗｌ８８８", "vx:wl888"),  # full width
        ("兼\u200b职\u200d刷\u2060单", "兼职刷单"),  # zero-width characters
        ("ｗｗｗ点ｔｅｓｔ点ｃｏｍ", "www.test.com"),
        ("h t t p s : / / y b 1 2 . c c", "https://yb12.cc"),
        ("αβ ΚΟ", "abko"),  # Greek look-alikes
        ("寶媽兼職日賺", "宝妈兼职日赚"),  # traditional characters
        ("下午3点30分", "下午3点30分"),  # 点 between digits is a time, not a dot
    ],
)
def test_flat_undoes_disguises(raw: str, flat: str) -> None:
    assert normalize.flat(raw) == flat


def test_pinyin_view_marks_typed_letters() -> None:
    view, typed = normalize.pinyin_view("中jiang了")
    assert view == "zhongjiangle"
    assert typed == [False] * 5 + [True] * 5 + [False] * 2


def test_pinyin_needs_letters_the_sender_typed() -> None:
    # 饭里 reads fanli like 返利; a homophone made only of characters is not a disguise.
    assert "返利" not in scam.pinyin_terms(normalize.flat("饭里有沙子ok"))
    assert "返利" in scam.pinyin_terms(normalize.flat("fan li 日结"))
    assert "刷单" in scam.pinyin_terms(normalize.flat("shua 单 赚钱"))
    assert "中奖" in scam.pinyin_terms(normalize.flat("中 jiang 了"))


# ---------------------------------------------------------------- obfuscated lures


@pytest.mark.parametrize(
    "text",
    [
        "s h u a d a n 日入三百，宝妈学生都可以做，私我带你",
        "shua dan fan li，一单一结，微 x: z9988",
        "刷 单 返 利，日 入 五 百，加 V ❤：ff 6 6 8 8",
        "手机做任务，抖音点赞关注一个3元，日结，感兴趣的＋Ⅴх：abc123",
        "返利日结，轻松月入过万，加 ѵх：k8899",
        "淘宝点赞关注就有佣金，一单一结，加薇❤ zx5566 了解一下",
        "日结兼职，加威❤：w8866",
        "兼\u200b职\u200b刷\u200b单，佣\u200b金\u200b日\u200b结，私\u200b我",
        "ｊｉａｎ ｚｈｉ 日结，宝妈在家可做，＋ｖ：ｘｘ１２３",
        "【副业推荐】做任务返利，首单返佣20%，下载APP注册即可 www点fanli88点com",
        "医　保　卡　异　常，请点击 h t t p s : / / y b 1 2 . c c 处理，逾期停用",
        "中 jiang 了！扫 码 领 取 红 包，先到先得",
        "寶媽在家兼職，動動手指日賺三五百，+薇：mm2580",
        "d a i k u a n 不 看 征 信，私 聊",
        "返利日结 VX: dk5520",
    ],
)
def test_obfuscated_lures_are_scams(text: str) -> None:
    assert check(text).verdict == "scam", text


# ---------------------------------------------------------------- one lure per script


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("急招网络兼职，先垫付后返本金加佣金，做完立刻返，扫码进群", "shuadan"),
        ("您好，我是淘宝客服，您购买的商品存在质量问题，将给您三倍赔偿，请添加客服微信", "refund"),
        (
            "【医保局通知】您的医保卡存在异常将被冻结，请立即点击链接核实：yibao-gov点cn",
            "medical-insurance",
        ),
        ("无抵押无担保，凭身份证即可贷款，秒下款，最高20万，加V详聊", "loan"),
        ("老师带单，稳赚不赔，内部消息，一个月翻倍，进群免费听课 vx: gp6688", "investment"),
        ("我是市公安局民警，你涉嫌洗钱，需要把资金转到安全账户配合调查", "impersonate-police"),
        (
            "老同学，我换号了，最近手头紧，能不能先借我3000，明天还你，转到这张卡上",
            "impersonate-acquaintance",
        ),
        ("出售王者荣耀账号，全皮肤，低价出，需要的加v", "game-trading"),
        ("恭喜您被抽中一等奖，奖品iPhone 15，请扫码填写领奖信息并支付邮费", "prize-subsidy"),
        ("ETC认证失效，将影响通行，请点击链接重新认证：etc-renz点cn", "fake-notice"),
        ("小哥哥寂寞吗，同城交友，加我微信聊聊，❤ xx520", "romance"),
        ("有需要出租银行卡的吗？一张一天300好处费，安全无风险，私聊", "money-mule"),
        ("海外高薪招聘，月薪三万，包吃住包机票，有意者私聊", "overseas-job"),
        ("想要孩子考上好学校？内部名额，交5万保证录取，加微信详谈", "enrollment"),
    ],
)
def test_each_script_is_recognised(text: str, script: str) -> None:
    result = check(text)
    assert result.verdict == "scam"
    assert result.kind == script
    assert result.label and result.advice
    assert 0.0 < result.score <= 1.0


def test_scam_with_a_phone_number_is_a_scam_not_pii() -> None:
    result = check("低息贷款无抵押，当天放款，联系电话 139 1234 5678")
    assert (result.verdict, result.kind) == ("scam", "loan")
    result = check("您的抖音会员即将自动扣费，如需取消请联系客服 一三八 幺二三四 五六七八")
    assert (result.verdict, result.kind) == ("scam", "refund")


# ---------------------------------------------------------------- not lures


@pytest.mark.parametrize(
    "text",
    [
        # warnings about scams
        "提醒大家：最近有人冒充医保局发短信说医保卡冻结，千万不要点链接",
        "反诈提示：凡是让你下载会议软件、屏幕共享的都是诈骗",
        "刚才那个冒充客服的电话我直接挂了",
        "民警提醒：公检法机关不会通过电话办案，更没有所谓的安全账户",
        "所谓无抵押秒下款、先收解冻费的都是诈骗，缺钱请找正规银行",
        "各位，最近好多人接到'医保卡被冻结'的电话，记住：医保局不会打电话让你转账！",
        "我的微信被盗了，大家收到我借钱的消息千万别信",
        # questions about scams
        "这是骗子吗？有人加我说可以刷单返利",
        "收到短信说我社保卡要年审，是真的吗？",
        "请问民警，网上说育儿补贴要扫码领取，是不是诈骗？",
        "我刚接到个电话说我医保卡冻结了，要我加QQ处理，这是骗子吧？",
        "领养老金需要每年认证吗？在哪里认证？",
        # notices, ads, chat that touch the same topics
        "【物业通知】明天上午9点到12点停水，请各位业主提前储水",
        "社区卫生服务中心本周三开放疫苗接种，请携带身份证和医保卡",
        "开锁换锁，配汽车钥匙，24小时上门，电话 0571-8888 6666",
        "家政保洁，擦玻璃、深度保洁，价格实惠，需要的私我",
        "闲置婴儿车出售，九成新，200元，3号楼自提",
        "业主们好，电梯加装意见征集问卷已发布，链接 https://wj.qq.com/s/123 ，请每户填写一次",
        "公众号文章：https://mp.weixin.qq.com/s/AbCdEf123 关于医保新政策的解读",
        "社区医保政策解读讲座报名链接：https://hd.sq-service.cn/yb ，名额有限，先到先得",
        "儿子在玩王者荣耀，一玩就是一下午，愁死了",
        "有没有人知道附近哪家银行办房贷利息低一点",
        "我手机丢了，新号码稍后私信大家",
        "谁能借我一下梯子？换个灯泡",
        "我的微信号是 wangfang1985，加我拉你进业主群",
        "我们是新搬来的，以后多关照",
        "",
        "   ",
    ],
)
def test_warnings_questions_notices_and_ads_are_ok(text: str) -> None:
    assert check(text).verdict == "ok", text


def test_warning_with_the_lure_contact_needs_more_warning() -> None:
    # A lure that merely says 注意 keeps its contact and stays a lure ...
    lure = "各位居民注意：社保卡系统升级需要重新激活，点击链接激活 https://sbk-jh.cc/y"
    assert check(lure).verdict == "scam"
    # ... while a real warning quoting the link is clearly a warning.
    warning = "提醒：有骗子冒充医保局发 http://ybj-jd.top 这种链接，千万别点，是诈骗"
    assert check(warning).verdict == "ok"


# ---------------------------------------------------------------- data file


def test_scripts_file_is_complete() -> None:
    data = tomllib.loads(resources.files("guard").joinpath("scripts.toml").read_text("utf-8"))
    rules = scam.load_rules(data)
    assert len(rules.scripts) >= 10
    for script in rules.scripts:
        assert script.name and script.advice, script.id
        assert any(w >= rules.core for w in script.terms.values()), script.id
        assert all(t == normalize.flat(t) for t in script.terms), script.id
    assert scam.script_by_id("refund") is not None
    assert scam.script_by_id("nope") is None


# ---------------------------------------------------------------- acceptance


def _dev_file() -> Path | None:
    here = Path(__file__).resolve()
    candidates = [
        os.environ.get("JINGMIN_GUARD_DEV", ""),
        str(here.parents[2].parent / "shared" / "eval" / "guard_dev.jsonl"),
        "/work/shared/eval/guard_dev.jsonl",
    ]
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


HOLDOUT = Path(__file__).resolve().parents[1] / "data" / "guard_holdout.jsonl"
DEV = _dev_file()


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(HOLDOUT, id="holdout"),
        pytest.param(
            DEV,
            id="dev",
            marks=pytest.mark.skipif(DEV is None, reason="shared/eval/guard_dev.jsonl not found"),
        ),
    ],
)
def test_acceptance_thresholds(path: Path) -> None:
    examples = read_cases(path, VERDICTS)
    assert len(examples) >= 80
    report = evaluate(examples)
    mistakes = "\n".join(
        f"{o.case.expect}->{o.result.verdict}: {o.case.text}" for o in report.mistakes
    )
    assert report.scam_recall >= 90.0, mistakes
    assert report.pii_recall >= 95.0, mistakes
    assert report.false_alarm_rate <= 2.0, mistakes


# ---------------------------------------------------------------- robustness

_any_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=500)
_mixed = st.text(
    alphabet=st.sampled_from(
        [
            *"刷单返利加微信vVⅤх❤薇点comwww.0123456789０１２一三八幺洞 \t\n\x00\x1b\u200b",
            *["😀", "🧧", "👉", "\u202e", "\ufeff", "ѵ", "α", "ｗ", "Ⅻ", "𝐯"],
        ]
    ),
    max_size=400,
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_any_text, _mixed))
def test_check_never_raises(text: str) -> None:
    result = check(text)
    assert isinstance(result, GuardResult)
    assert result.verdict in ("scam", "pii", "ok")
    assert 0.0 <= result.score <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "刷" * 100_000,
        "\x00\x01\x02\x7f" * 25_000,
        "😀🧧👉" * 40_000,
        "ѵх Ⅴ ｗ 𝐯 α " * 15_000,
        "1 " * 60_000,
        "一三八" * 40_000,
        "加v: abc123 " * 10_000,
    ],
)
def test_huge_and_strange_messages(text: str) -> None:
    started = time.perf_counter()
    result = check(text)
    assert result.verdict in ("scam", "pii", "ok")
    assert time.perf_counter() - started < 5.0
