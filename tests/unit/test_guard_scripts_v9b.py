"""The rule scripts added for lures blind sets showed missed (scripts.toml, "# scamB"):
each names its lure, and the residents' talk around it stays no lure."""

from __future__ import annotations

import pytest

from guard import scam


@pytest.mark.parametrize(
    ("text", "script"),
    [
        (
            "各位业主，物业公司对公账户正在变更，原来的收款码即日起停用，本季度物业费请扫下方新码缴纳",
            "property-new-code",
        ),
        (
            "【XX花园物业】因系统升级水电费改到新账户收取，以前的二维码作废了，大家直接转这个微信：wy88520",
            "property-new-code",
        ),
        (
            "您好，我是宁夏反诈中心工作人员，请下载宁警通反诈APP，绑定您名下银行卡开启资金保护",
            "fake-antifraud-app",
        ),
        ("各位邻居 本群人太多马上要解散了 大家扫码进新群 新群每天发红包", "group-hijack"),
        (
            "群主让我通知 这个群明天升级 都加入新群吧 链接 https://t.cn/xq8Rk 晚了进不去",
            "group-hijack",
        ),
        ("海关查扣的一批苹果手机 全新未拆封 只要八百一台 先交二百定金锁货", "seized-goods"),
        (
            "闲置iPhone15pro 九成新 1500出 人在外地不方便见面 先付500定金我顺丰发",
            "secondhand-prepay",
        ),
        ("春节回家火车票抢不到的找我 代抢成功率百分百 先付50定金", "ticket-resale"),
        (
            "数字人民币钱包升级通知：您的钱包将被冻结，请点击链接 http://dcep-yh.cn 完成升级",
            "digital-rmb",
        ),
        ("开通数字人民币钱包送388补贴 扫码绑定银行卡即可领取 今天最后一天", "digital-rmb"),
    ],
)
def test_new_scripts_name_their_lure(text: str, script: str) -> None:
    a = scam.assess(text)
    assert a.is_lure
    assert a.script is not None and a.script.id == script


@pytest.mark.parametrize(
    "text",
    [
        "物业费开始收了，可以到小区东门物业办公室现场交，也可以在物业公众号里缴，收款账户没有变",
        "社区民警提醒：请大家下载国家反诈中心APP，开启来电预警，不需要绑定银行卡也不用转账",
        "有人在群里发新的物业收款码 说原来的作废了 这是真的吗 物业那边谁问一下",
        "群里有人冒充群主让大家加新群 大家不要扫 这个群不解散",
        "有人说什么海关罚没的手机几百块一台 还要先交定金 大家别信啊",
        "我有个闲置的婴儿车 九成新 一百块 自提 在3号楼",
        "群里有人说有内部票 让先转钱 演唱会门票只在官方平台买 私下买的好多是假票",
        "银行说数字人民币可以在手机银行里开 我试了一下 买菜能用",
    ],
)
def test_talk_around_them_is_no_lure(text: str) -> None:
    assert not scam.assess(text).is_lure
