"""What a blind evaluation after lures v12 found, decided by ``guard.detect`` as a whole:
lures that ask for a new account, a transfer, a deposit or a ransom are scams; advice to
keep an ID out of the group, door-to-door checks of the ID's last four, a utility bill's
summary and talk of card-number prefixes are no alarm. Self-written lines, not an eval
set."""

from __future__ import annotations

import pytest

from guard import detect, pii, scam
from guard.detect import check


@pytest.mark.parametrize(
    "text",
    [
        "老领导好！我是您当年带的兵小海，这个是我新的微信，您有空加一下，有件私事想跟您汇报",
        "马书记，我小周啊，以前街道的，原来的号不用了，您加我新微信吧，有点急事麻烦您",
        "外甥，我是你二舅，听得出我声音吗？我这边车出事了，你赶紧先转五千到这个卡上，别告诉你妈",
        "各位家长，今年高考押题卷是命题组老师流出来的，限量出售，需要的找我",
        "需要无犯罪记录证明的找我，不用自己去派出所，三天拿到，收费400",
        "上海户口 内部指标 不看学历社保 交钱就办 名额不多",
        "叔叔阿姨们，社区医院免费体检名额有限，请在小程序里预约并交20元保证金，不来的不退",
        "你孩子欠了我们钱被扣下了，两小时内转五万过来，不准打110，不然后果自负",
    ],
)
def test_the_lures_are_scams(text: str) -> None:
    assert check(text).verdict == "scam"


@pytest.mark.parametrize(
    "text",
    [
        "大家别在群里发身份证号，要登记的私信网格员就行",
        "各位居民，办理业务需要身份证号的，请单独私信社区工作人员，不要在群里公开",
        "群里不要晒身份证照片和号码，被坏人拿去能办很多事，私发网格员就行",
        "注意：群里不要晒孩子的学籍号和身份证号，需要登记的找班主任私聊",
    ],
)
def test_advice_to_keep_an_id_out_of_the_group_is_no_alarm(text: str) -> None:
    a = scam.assess(text)
    assert detect.advised(text, a)
    assert check(text).is_ok


@pytest.mark.parametrize(
    "text",
    [
        # the advice's words borrowed by a lure that gathers, offers or asks to be sent
        "街道办收集名单：身份证号＋银行卡号＋手机号，直接私发网格员，别在群里发，保护隐私",
        "领高龄补贴的把身份证号私信我，不要发在群里",
    ],
)
def test_a_lure_borrowing_the_advice_is_still_one(text: str) -> None:
    assert not detect.advised(text, scam.assess(text))
    assert check(text).verdict == "scam"


@pytest.mark.parametrize(
    "text",
    [
        "网格员通知：本周六起入户核对人口信息，只核对身份证后四位，不拍照不复印，请大家配合",
        "这周社区入户走访，工作人员会出示工作证，只问姓名和身份证后四位，不拍照",
    ],
)
def test_door_to_door_checks_of_the_last_four_are_no_alarm(text: str) -> None:
    assert check(text).is_ok


@pytest.mark.parametrize(
    "text",
    [
        "本月水费：用水12吨，金额39.6元，请于25日前缴纳",
        "本期燃气费：用气16立方，金额43.2元，缴费截止5月20日",
        "电费账单：本月用电198度，电费105.8元，请于15日前缴纳",
        "冷知识：银行卡号前六位叫BIN码，622848开头的是农业银行的借记卡",
        "科普一下：卡开头几位叫发卡行代码，622202是工商，622848是农行，621700是建行",
    ],
)
def test_a_bill_or_card_prefix_talk_is_no_alarm(text: str) -> None:
    assert check(text).is_ok


@pytest.mark.parametrize(
    "text",
    [
        # a fake arrears notice gives a way to pay: a link, a number
        "【水务公司】您本月用水12吨，欠费39.6元，请点击 sw-jf.top 缴费，逾期停水",
        "电费欠费186.5元，用电320度，今天不交就断电，交费加微信 dl9527",
    ],
)
def test_a_bill_with_a_way_to_pay_someone_is_not_quieted(text: str) -> None:
    findings = pii.find_pii(text, published=True)
    assert not detect.billed(text, findings, scam.assess(text))
    assert check(text).verdict == "scam"
