"""The rule scripts added for lure classes blind evaluations showed passing
(guard/scripts.toml): each names its lure, and the residents' talk around it stays no
lure. One list of lures and one of talk per round of scripts."""

from __future__ import annotations

import pytest

from guard import scam

# new accounts, group hijack, seized goods, prepaid sales, tickets, digital RMB
SCAMB_LURES = [
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
]
SCAMB_TALK = [
    "物业费开始收了，可以到小区东门物业办公室现场交，也可以在物业公众号里缴，收款账户没有变",
    "社区民警提醒：请大家下载国家反诈中心APP，开启来电预警，不需要绑定银行卡也不用转账",
    "有人在群里发新的物业收款码 说原来的作废了 这是真的吗 物业那边谁问一下",
    "群里有人冒充群主让大家加新群 大家不要扫 这个群不解散",
    "有人说什么海关罚没的手机几百块一台 还要先交定金 大家别信啊",
    "我有个闲置的婴儿车 九成新 一百块 自提 在3号楼",
    "群里有人说有内部票 让先转钱 演唱会门票只在官方平台买 私下买的好多是假票",
    "银行说数字人民币可以在手机银行里开 我试了一下 买菜能用",
]

# codes relayed, hospital touts, votes, charity, fast tracks, honours
V12_LURES = [
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
]
V12_TALK = [
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
]

# staff codes and fees, class fees, pinyin invites, cards, betting, papers
SCAMC_LURES = [
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
]
SCAMC_TALK = [
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
]


@pytest.mark.parametrize(("text", "script"), [*SCAMB_LURES, *V12_LURES, *SCAMC_LURES])
def test_new_scripts_name_their_lure(text: str, script: str) -> None:
    a = scam.assess(text)
    assert a.is_lure
    assert a.script is not None and a.script.id == script


@pytest.mark.parametrize("text", [*SCAMB_TALK, *V12_TALK, *SCAMC_TALK])
def test_talk_around_them_is_no_lure(text: str) -> None:
    assert not scam.assess(text).is_lure


def test_the_code_words_hide_no_other_scripts_term() -> None:
    """The longest term at a place hides shorter ones there: a new script's literal term
    holding 验证 would leave the account-notice script blind to 验证码 lures."""
    a = scam.assess("收 到 验 证 码 发 我 下 急")
    assert a.is_lure
