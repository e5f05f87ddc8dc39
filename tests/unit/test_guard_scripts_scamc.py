"""The rule scripts added and extended for lures a blind evaluation showed passing
(scripts.toml, "# scamC"): each names its lure, and the residents' talk around it stays
no lure."""

from __future__ import annotations

import pytest

from guard import scam


@pytest.mark.parametrize(
    ("text", "script"),
    [
        (
            "您好，我是片区网格员，给您家登记一下独居老人关爱服务，手机上刚收到的那串数字麻烦发我一下",
            "staff-code",
        ),
        ("物业客服：您家车位续租需要在线确认，稍后收到的6位码请回复给管家，谢谢", "staff-code"),
        ("物业管家：电梯维修费每户补交一百，私信转我，明天统一交到物业", "staff-fee"),
        ("【供热站】暖气费优惠截止今晚，扫收费员个人二维码缴纳，过时恢复原价", "staff-fee"),
        ("各位家长，本周资料费每人八十，请直接发红包给我，备注孩子名字 —— 数学老师", "school-fee"),
        ("@全体家长 校服费二百五，请私信转账给班主任，今天交齐", "school-fee"),
        ("福利qun开放啦 jin群就送红包 扫ma加入", "pinyin-invite"),
        ("收二类卡一类卡 带U盾 一张九百 私我详谈", "money-mule"),
        ("足球竞猜内部推荐，今晚必红，跟单五百起，赢了分成，私我", "gambling"),
        ("驾驶证分数不够？代消分一分一百二，不用本人去，当天处理", "enrollment"),
        ("市重点小学插班名额，不看学区，交钱直接入学，价格私聊", "enrollment"),
    ],
)
def test_new_scripts_name_their_lure(text: str, script: str) -> None:
    a = scam.assess(text)
    assert a.is_lure
    assert a.script is not None and a.script.id == script


@pytest.mark.parametrize(
    "text",
    [
        "网格员提醒：有人冒充我们打电话要验证码，千万别给，网格员从来不要验证码",
        "物业通知：本月起物业费只能通过物业公众号缴纳，任何人让转个人微信的都是骗子",
        "我刚才收到一条验证码，是我自己在登录医保App，不用担心",
        "银行卡不用了就去注销，千万别卖给别人，卖卡犯法",
        "我想办张一类卡当工资卡，去哪个银行方便？",
        "那些说有彩票内部计划的都是骗子，别信",
        "驾照扣分了只能自己去学习考试，代消分是违法的",
        "有人发 fu li qun 的码，别扫啊，是骗子",
        "学校的资料费都在缴费平台上交，老师不收红包",
        "【银行温馨提示】您的银行卡仅限本人使用，请勿出租、出借、出售，如发现账户异常请致电银行官方客服",
    ],
)
def test_talk_around_them_is_no_lure(text: str) -> None:
    assert not scam.assess(text).is_lure
