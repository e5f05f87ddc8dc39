"""The rule scripts added for lure classes a blind evaluation showed passing (scripts.toml,
"# scamD"): each names its lure, and the residents' talk around it stays no lure."""

from __future__ import annotations

import pytest

from guard import scam


@pytest.mark.parametrize(
    ("text", "script"),
    [
        (
            "不好意思，我注册的时候把手机号填错了，验证码发到你那了，麻烦把6位数发我一下",
            "code-relay",
        ),
        ("我手机停机收不到短信，帮我收个验证码，收到了截图给我", "code-relay"),
        ("骨科专家号代挂，主任号加价300，保证挂上，需要的私我", "hospital-tout"),
        ("医院的号我有渠道，专家号500一个，先转定金", "hospital-tout"),
        (
            "帮我闺女投一票吧，她是8号选手，点链接后输入手机号和收到的验证码就能投",
            "vote-phishing",
        ),
        (
            "孩子白血病急需手术费，筹款平台提现太慢，好心人直接转到孩子妈妈卡上，卡号私聊",
            "charity-personal",
        ),
        (
            "你家拆迁款正常要等半年，我在拆迁办有熟人，交三千手续费下个月就到账",
            "insider-fast-track",
        ),
        ("棚改补偿款想往前排的找我，住建局内部有人，打点费五千", "insider-fast-track"),
        ("抗美援朝老战士纪念章申领，登记后交工本费98元，快递寄到家", "paid-honours"),
        ("光荣在党50年荣誉证书烫金版可定制，每套188元，扫码付款包邮", "paid-honours"),
    ],
)
def test_new_scripts_name_their_lure(text: str, script: str) -> None:
    a = scam.assess(text)
    assert a.is_lure
    assert a.script is not None and a.script.id == script


@pytest.mark.parametrize(
    "text",
    [
        "有人用熟人微信说验证码发错到你手机了，让你把6位数发他，这是盗号，千万别给",
        "你收到取件码了吗，截图发我，我帮你一起取了",
        "我妈换了手机收不到验证码，让我帮她看看是怎么回事",
        "明天要去省医挂专家号，大家知道几点开始放号吗？",
        "医院门口说加价保证挂上专家号的是号贩子，大家别理，挂号用医院官方App",
        "3号楼业主请在物业小程序登录后投票，也可以到物业前台领纸质选票",
        "学校的评选在学校公众号里投票，直接点就行，不用登录也不用验证码",
        "社区为患病儿童组织募捐，捐款箱在服务站，开具收据，不接受个人转账",
        "有爱心的邻居可以打我微信联系，周六一起去敬老院",
        "我们家拆迁款签完协议三个月就到了，没交任何费用",
        "【征收办】补偿款统一发放，任何人以加急、内部关系名义收费的都是诈骗，请报警",
        "社区今天给老兵送纪念章了，书记亲自上门颁发",
        "纪念币10元一枚，明天带身份证到银行兑换",
        "光荣在党50年纪念章由组织部门统一免费颁发，不需要个人申领或交钱",
    ],
)
def test_residents_talk_about_them_is_no_lure(text: str) -> None:
    assert not scam.assess(text).is_lure


def test_the_code_words_hide_no_other_scripts_term() -> None:
    """The longest term at a place hides shorter ones there: a new script's literal term
    holding 验证 would leave the account-notice script blind to 验证码 lures."""
    a = scam.assess("收 到 验 证 码 发 我 下 急")
    assert a.is_lure
