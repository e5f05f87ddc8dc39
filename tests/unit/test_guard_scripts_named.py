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
    ("家长们注意，新校服每套二百六，直接转我个人微信，学校统一订", "school-fee"),
    ("各位家长，期末辅导资料费每人一百二，不用接龙，私发给我就行", "school-fee"),
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
    "校服尺码统计好了，我明天统一交给学校",
    "【银行温馨提示】您的银行卡仅限本人使用，请勿出租、出借、出售，如发现账户异常请致电银行官方客服",
]

# an old boss's "subordinate" on a new account, a relative stranded, leaked papers,
# certificates and household registration for a price, check-up deposits, kidnap threats
SCAMD_LURES = [
    ("老领导，我是小马，换了新微信，加一下，有事麻烦您，不方便电话说", "impersonate-acquaintance"),
    (
        "王局您好，我是原来办公室的小刘，这是我新微信号，您通过一下，有点事想当面跟您汇报",
        "impersonate-acquaintance",
    ),
    (
        "二舅，听得出是我吗？我你外甥，借的别人的手机，你先给这个号转一千，别告诉我妈",
        "impersonate-acquaintance",
    ),
    ("今年中考数学原卷提前拿到了，命题组老师流出，考前发，一科八百，家长私聊", "enrollment"),
    ("无犯罪记录证明代办，不用去派出所，本人不用到场，三百全包，加我微信", "enrollment"),
    ("户籍证明代开，不用跑派出所，一份150元，当天出", "enrollment"),
    ("北京户口指标，正规落户，28万一个，有需要的家长私信", "enrollment"),
    (
        "【社区卫生服务中心】老人免费体检请在小程序预约，交50元押金，体检后退还",
        "checkup-deposit",
    ),
    ("你儿子现在在我手上，马上转二十万到这个账户，敢报警就撕票", "kidnap-extortion"),
    ("你闺女在我们手上，想让她好好的就转五万过来，不准报警", "kidnap-extortion"),
]
SCAMD_TALK = [
    "王主任，明天的会改到下午三点了，材料放您桌上了",
    "各位邻居，我是5号楼的小马，手机号换了，微信没变，有事群里找我",
    "我妈接到电话说是她外甥出事了要钱，幸好先给我打了电话，大家提醒家里老人",
    "舅舅，我明天到银川，晚上去你家吃饭",
    "新华书店中考真题汇编到货了，三十八一本",
    "无犯罪记录证明在我的宁夏App上就能申请，不用跑派出所，免费的",
    "孩子在北京上班，想落户北京，一般要满足什么条件？",
    "社区卫生服务中心本周给65岁以上老人免费体检，带身份证空腹去，不收任何费用",
    "你儿子在我这儿呢，跟我家小宝玩积木，吃完饭我送他下去",
    "警方提醒：接到电话说孩子被绑架、不许报警、让马上转钱的，先联系孩子和学校，再拨110",
]


@pytest.mark.parametrize(("text", "script"), [*SCAMB_LURES, *V12_LURES, *SCAMC_LURES, *SCAMD_LURES])
def test_new_scripts_name_their_lure(text: str, script: str) -> None:
    a = scam.assess(text)
    assert a.is_lure
    assert a.script is not None and a.script.id == script


@pytest.mark.parametrize("text", [*SCAMB_TALK, *V12_TALK, *SCAMC_TALK, *SCAMD_TALK])
def test_talk_around_them_is_no_lure(text: str) -> None:
    assert not scam.assess(text).is_lure


def test_the_code_words_hide_no_other_scripts_term() -> None:
    """The longest term at a place hides shorter ones there: a new script's literal term
    holding 验证 would leave the account-notice script blind to 验证码 lures."""
    a = scam.assess("收 到 验 证 码 发 我 下 急")
    assert a.is_lure
