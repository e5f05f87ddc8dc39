"""Dev lines for what the blind evaluation after v11 found, by class: an operation, a stay
in hospital or an illness whose person is named after it, an elderly parent's illness
with their name and home, a record (刑拘), a plate's owner called down by
name, a 快手/抖音 account with a name, an ID told in parts in reverse order or spelt out
with wide spaces are personal data; a warning giving the number that asked for money, a
resident asking whether a quoted message is fake, and anti-fraud slogans are no alarm.
Self-written lines, not an eval set."""

from __future__ import annotations

import pytest

from guard.detect import check
from guard.pii import mask_pii

# an ID (the check digit is right): told tail first, and spelt with wide spaces
_SPELT_ID = "  ".join("64010419720912332X")


@pytest.mark.parametrize(
    "text",
    [
        "对门那个老太太脑梗住院了 她大名叫李秀兰 儿女都不在身边",
        "你们知道不马海燕昨天在总医院做了个手术 胆上的毛病",
        "2号楼的杨志刚前天被刑拘了 说是开设赌场",
        "楼上那个大姐住院了 她叫苏丽娟 在医大附院",
        "我爸张德福 家在北京东路那边 老年痴呆越来越严重了",
        "老爷子马占山住丽景街 心脏不好 上个月刚放了支架",
        "宁A·7F112 白色哈弗 应该是2号楼老马的 马海军你赶紧下来把车开走",
        "我闺女马小燕抖音号58816637 大家帮忙点个赞",
        "办老年证 身份证后面是0912 3311 前面是6401041972 我叫马建军",
        f"ID号 {_SPELT_ID} 马建军 帮我报个名",
    ],
)
def test_named_personal_data_is_caught(text: str) -> None:
    assert check(text).verdict == "pii"


@pytest.mark.parametrize(
    "text",
    [
        "昨天那个冒充公安叫我把钱转到安全账户的号码是15809512234 大家千万别接",
        "帮我看看这是不是骗人的？【社保局】您的社保卡已暂停使用 请点击 sbk-nx.cc 重新认证",
        "是真的吗：“您的ETC已失效 请尽快登录 etc-yz.top 认证”",
        "反诈口诀记牢了 陌生链接不点 陌生来电不信 验证码任何人都不告诉",
        "不听不信不转账 老人们都记住",
        "李娟住院了，大家有空去看看",
        "我妈住院了 主治医生叫张建国 人挺好",
        "宁A3M556的车主在不在 挡着单元门了 王师傅你下来挪一下",
        "关注我们社区的快手号 xfsq2025 有活动通知",
    ],
)
def test_warnings_slogans_and_plain_news_are_ok(text: str) -> None:
    assert check(text).is_ok


def test_a_lure_saying_it_is_no_scam_stays_a_lure() -> None:
    assert check("您好 我们这个不是骗子 是正规刷单平台 日结300 加微信sd99881详聊").verdict == "scam"


def test_an_id_told_backwards_is_masked_but_its_tail() -> None:
    masked = mask_pii("身份证后面是0912 3311 前面是6401041972")
    assert "0912" not in masked and "041972" not in masked and "3311" in masked
