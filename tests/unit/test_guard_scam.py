"""Scam lures: obfuscation, scripts, warnings that are not lures, and the acceptance bar."""

from __future__ import annotations

import os
import subprocess
import sys
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
        ("兼.职.刷.单", "兼职刷单"),  # punctuation inside a Chinese word
        ("内-部-消-息 带/单", "内部消息带单"),
        ("刷，单，返，利", "刷单返利"),  # single characters strung with commas
        ("好的，谢谢", "好的,谢谢"),  # ... but ordinary clauses keep their commas
        ("带❤单❤老❤师", "带单老师"),  # a heart is 信 only after 威 / 微 / V
        ("威 ❤：abc", "威信:abc"),
        ("扣扣：一八四三九二零五七一", "扣扣:1843920571"),  # a number in Chinese numerals
        ("五六个人", "五六个人"),  # ... but not a short run that is a word
        ("＋Ｖ：ａｂ１２", "加v:ab12"),  # + before a messenger is 加
    ],
)
def test_flat_undoes_disguises(raw: str, flat: str) -> None:
    assert normalize.flat(raw) == flat


def test_pinyin_needs_letters_the_sender_typed() -> None:
    # 饭里 reads fanli like 返利; a homophone made only of characters is not a disguise.
    assert "返利" not in scam.pinyin_terms(normalize.flat("饭里有沙子ok"))
    assert "返利" in scam.pinyin_terms(normalize.flat("fan li 日结"))
    assert "刷单" in scam.pinyin_terms(normalize.flat("shua 单 赚钱"))
    assert "中奖" in scam.pinyin_terms(normalize.flat("中 jiang 了"))


def test_pinyin_mixed_into_words() -> None:
    # Latin syllables in place of some characters, without any per-word list.
    assert {"淘宝", "理赔", "客服"} <= scam.pinyin_terms(normalize.flat("淘bao理pei，联系客fu"))
    assert "一单一结" in scam.pinyin_terms(normalize.flat("一单一jie"))
    assert "佣金" in scam.pinyin_terms(normalize.flat("返 yong jin"))


def test_pinyin_rejects_homophones_and_handles() -> None:
    # The FAQ matcher's typo rule would take 意保 for 医保 and 没人 for 每人; the guard
    # accepts a term only where the characters present are the term's own.
    assert scam.pinyin_terms(normalize.flat("天冷了注意保暖ok")) == set()
    assert scam.pinyin_terms(normalize.flat("楼下没人收ok")) == set()
    # a handle glued to digits is a name, not a disguised word
    assert scam.pinyin_terms(normalize.flat("我的微信 lipei1990")) == set()


def test_overlapping_terms_all_count_but_a_term_inside_another_does_not() -> None:
    terms = scam.found_terms(normalize.flat("老师带单，稳赚不赔"))
    assert {"老师带", "带单", "稳赚不赔"} <= terms
    assert "稳赚" not in terms


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


# Pretext (who they claim to be) + hook (what they promise or threaten) + ask. These
# scripts often stop short of an explicit ask; a script-specific hook with a second
# signal (pretext, urgency, a dense hook) is enough.
@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("嗨，不小心加到你了，感觉很亲切，我在迪拜做外贸，能做朋友吗", "romance"),
        ("刚刚发错消息了，不过缘分让我们相遇，我在马来西亚做珠宝生意", "romance"),
        ("宝贝，我找到一个彩票平台的漏洞，下注必中，你充两千我帮你翻倍", "investment"),
        ("招聘网络客服，工作地点柬埔寨，底薪2万加提成，护照可代办", "overseas-job"),
        ("出国务工，日本工厂普工，月薪两万，免费办签证，先交2万保证金", "overseas-job"),
        ("有没有闲置的银行卡？借我用一个月给你2000，什么都不用干", "money-mule"),
        ("帮忙接收一笔货款，转到你卡上后再转给我，给你500辛苦费", "money-mule"),
        ("大专本科学历提升，不用上课不用考试，包毕业，学信网可查", "enrollment"),
        ("健康证代办，不用体检，当天出证，全国可查", "enrollment"),
        (
            "退休老人注意：不认证下个月停发养老金，点链接上传人脸 http://ylrz.xyz",
            "medical-insurance",
        ),
        ("我是京东金融工作人员，您的额度可以提高到15万，需先转入指定账户验资", "loan"),
        ("【法院通知】你因信用卡欠款被起诉，明天开庭，如有疑问请按0转人工", "impersonate-police"),
        (
            "我是你二舅啊，听不出来了？我在外地办事钱包丢了，你先给我打点钱",
            "impersonate-acquaintance",
        ),
        ("养老社区投资，存10万每年返1.8万，今天签约还送礼品", "investment"),
    ],
)
def test_scripts_without_an_explicit_ask(text: str, script: str) -> None:
    result = check(text)
    assert (result.verdict, result.kind) == ("scam", script), text


@pytest.mark.parametrize(
    "text",
    [
        "jian职招人，一单一jie，私我",
        "点zan返yong，日jie，加q：幺二三四五六七八九",
        "＋V❤：ｚｑ８８ 内-部-消-息 带-单-炒-股",
        "安.全.账.户，资.金.核.查，配.合.调.查",
        "征-信-修-复，逾-期-可-消，加+V❤：zx8899",
        "安 全 账 户，涉 嫌 洗 钱，请 勿 挂 断，配 合 调 查",  # 请勿挂断 is not a warning
        "你涉嫌一起诈骗案，请立即添加办案民警QQ配合调查",  # nor is being accused of fraud
    ],
)
def test_more_disguises_are_undone(text: str) -> None:
    assert check(text).verdict == "scam", text


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        # a resident posting their own card or number: personal data, not a lure
        ("养老金打到这张卡 6228481239368218338，麻烦社区核对一下", "pii"),
        ("物业费退款转到我卡上 6214851792257797", "pii"),
        ("借我的钱请还到 6217009250725892273 李明", "pii"),
        ("我换号了，新号码13909512876，大家存一下", "pii"),
        # the same card with a pretext (a relative in trouble, a new number, secrecy)
        ("妈，我手机丢了换了新号，急用钱，先转3000到这张卡 6228481239368218338，别告诉爸", "scam"),
    ],
)
def test_own_card_is_personal_data_unless_there_is_a_pretext(text: str, verdict: str) -> None:
    assert check(text).verdict == verdict, text


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
        # reassurances and collection at a real counter are what lures never say
        "医保缴费通过医保App或银行柜台办理，不会通过个人微信收费",
        "本月起电梯维修费统一在物业前台缴纳，不接受任何个人转账",
        "幸运邻居名单：王**、李*华，请凭身份证到居委会领取米面油",
        "中奖名单：138****6612、159****2208，请到物业领取奖品",
        # residents about their own lives, touching the same topics
        "我姐在新加坡当护士，一年回来一次",
        "我老婆在京东做客服，每天挺忙的",
        "刚在超市抽奖抽中一袋洗衣粉，哈哈运气不错",
        "我跟我老公打算贷款买房，利率现在多少",
        "嗨，不小心加错群了，不好意思",
        "孩子们暑假在家玩游戏，家长要看好手机，不要让孩子扫陌生二维码",
        "别把银行卡、电话卡出租出借给别人，“一张卡每月800”那是帮信罪",
        "我女儿说游戏里有人让她千万别告诉家里，还给她转过红包，我特别担心，能帮忙管管吗",
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
# Written by someone who never saw the rules: the guard must generalise to it.
UNSEEN = Path(__file__).resolve().parents[1] / "data" / "guard_unseen.jsonl"
UNSEEN_2 = Path(__file__).resolve().parents[1] / "data" / "guard_unseen2.jsonl"
DEV = _dev_file()


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(HOLDOUT, id="holdout"),
        pytest.param(UNSEEN, id="unseen"),
        pytest.param(UNSEEN_2, id="unseen-2"),
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
    """A decision, never an exception; linear cost. CPU time, not wall time: a loaded
    machine took 6.4 s of wall time for 1 s of work."""
    started = time.process_time()
    result = check(text)
    assert result.verdict in ("scam", "pii", "ok")
    assert time.process_time() - started < 5.0


# ---------------------------------------------------------------- id-harvest
# An office pretext and a request to send ID photos / ID numbers / bank card numbers
# privately, to a personal WeChat / QQ or by e-mail: no real office collects them so.


@pytest.mark.parametrize(
    "text",
    [
        "各位居民，困难补助登记开始了，把身份证照片和银行卡号私发给我，我统一报上去",
        "我是新来的网格员，统计老人名单发放补贴，身份证号和银行卡号发我微信",
        "【街道人口普查】请将家庭成员身份证照片发送至普查员QQ 2917735804",
        "高龄津贴核查：请把老人身份证照片、银行卡号发到邮箱 gljt_yc@163.com",
        "免费体检报名，私发身份证号给我就行，体检完有补贴",
    ],
)
def test_id_harvest_under_an_office_pretext_is_a_scam(text: str) -> None:
    result = scam.assess(text)
    assert result.is_lure, text
    assert result.script is not None and result.script.id == "id-harvest", result.script


@pytest.mark.parametrize(
    "text",
    [
        "【社区卫生服务中心】65岁以上老人免费体检，请携带身份证原件本人到场登记，不在网上收集身份证。",
        "高龄津贴认证请在“我的宁夏”App刷脸，或本人带身份证到社区服务大厅窗口办理。",
        "提醒老人们：不要把身份证照片、银行卡号发给任何人，补贴都是直接打到社保卡上的。",
        "有人冒充街道在群里说“统计名单，身份证和银行卡照片私发”，群主已经踢了，大家别发。",
        "娃第一张身份证📇 纪念一下",
        "移动新卡 号码靓号 188888结尾 有需要私聊",
        "群里那条“育儿补贴私发身份证照片登记”的消息我截图报给社区了，社区说他们没发过。",
    ],
)
def test_id_requests_that_are_not_lures(text: str) -> None:
    assert not scam.assess(text).is_lure, text


def test_terms_in_pinyin_are_found_alike_in_every_process() -> None:
    """A set's order follows each process's string hashing: the terms found, and so a
    model trained on another machine, must not."""
    code = (
        "from guard.normalize import flat; from guard.scam import found_terms; "
        "print(sorted(found_terms(flat('chu租 yin行卡 一zhang 两qian 月结'))))"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(6)
    }
    assert seen == {"['出租银行卡']\n"}
