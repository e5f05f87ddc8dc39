"""Personal data in the forms pii_forms_v10 was written to find: an ID or a card told in
parts, exact personal data next to words a lure also uses (医保卡激活), a mobile spelt in
homophones with whose it is, a WeChat id or an e-mail address with a name, a permit's
holder in pinyin, a code or a password posted, a named person's ward bed or an elderly
person alone with the door or the savings, a name then 他一个人住在 and the door, and a
record told with the sentence's length, the release or the crime."""

from __future__ import annotations

import pytest

from guard.detect import check
from guard.pii import Finding, find_pii, mask_pii, phone_owner
from tests.unit.floods import assert_cheap, flood
from tests.unit.test_guard_pii import kinds

ID = "640104195203141026"  # the check character holds
ID_2 = "640381197106172069"
CARD = "6228480123456789"  # passes Luhn


def found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.value) for f in find_pii(text)]


# ---------------------------------------------------------------- told in parts


@pytest.mark.parametrize(
    "text",
    [
        "我妈身份证前六位640104，出生1952年3月14日，后四位1026，叫马秀英",
        "身份证号码：前面640104，中间是19520314，最后1026，姓名马秀英",
        "老人的身份证是640104开头，生日一九五二年三月十四日，尾号1026",
        "马秀英 出生日期1952-03-14 身份证前6位640104 后4位1026",
        "身份证后四位是1026，前六位640104，生日1952.03.14，我妈马秀英的",  # any order
        "马秀英身份证 640104 1952年03月14日 1026",
    ],
)
def test_an_id_told_by_its_parts_is_joined_and_checked(text: str) -> None:
    assert found(text) == [("id", ID)]
    masked = mask_pii(text)
    assert "640104" not in masked and "1952" not in masked and "一九五二" not in masked
    assert "后四位" not in text or "后四位" in masked  # the words between stay


def test_without_an_ids_word_only_in_an_ids_order() -> None:
    assert found("帮我爸登记一下：王德福，640381，1971年6月17日，2069") == [("id", ID_2)]
    assert kinds("帮我爸登记一下：王德福，2069，1971年6月17日，640381") == []


@pytest.mark.parametrize(
    "text",
    [
        "身份证前六位640104，1952年3月14日出生，后四位1027",  # the check character fails
        "身份证前六位代表地区，640104是兴庆区",
        "我出生于1952年3月14日，身份证前六位640104",  # no last four
        "身份证号码前六位640104，后四位怎么查",
    ],
)
def test_parts_that_make_no_checked_id_stay_out(text: str) -> None:
    assert kinds(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "我的工资卡前面是62284801，后面是23456789，麻烦帮我查查到账没有",
        "卡号前八位62284801，后八位23456789",
    ],
)
def test_a_card_told_in_two_parts_passing_luhn(text: str) -> None:
    assert found(text) == [("bank", CARD)]
    assert "01234567" not in mask_pii(text).replace(" ", "")


@pytest.mark.parametrize(
    "text",
    [
        "卡号前面是62284801，后面是23456788，是不是输错了",  # Luhn fails, no holder
        "订单号前面是62284801，后面是23456789",  # no card's word
        "卡号前面是6228，后面记不清了",
    ],
)
def test_two_parts_that_make_no_card_stay_out(text: str) -> None:
    assert kinds(text) == []


# ---------------------------------------------------------------- exact data and lures


@pytest.mark.parametrize(
    "text",
    [
        f"医保卡激活：马桂兰 {ID}",
        f"马秀英 {ID}，医保卡激活",
        f"社保卡激活需要身份证吗？我爸王德福 {ID}",
        f"我叫王建军，建行卡号{CARD}，医保补贴打这张卡",
        "我爸马德福电话幺三九，五一二二，八八七六，医保卡激活不了，谁知道怎么弄",
        "马德福手机 要五三 酒五要二 三三四四 医保卡激活不了",
        "身份证后四位3045，验证码918273，客服让我报的",
    ],
)
def test_exact_personal_data_outweighs_a_lure_that_asks_nothing_beyond_it(text: str) -> None:
    assert check(text).verdict == "pii"


@pytest.mark.parametrize(
    "text",
    [
        f"【医保局】您的医保卡已冻结，身份证{ID}，请点击 yb-jh.top 激活",
        f"我是社保专员，您的社保卡异常需激活，身份证{ID}，请加微信 sbzy2024 处理",
        f"你涉嫌洗钱，身份证{ID}已被通缉，马上把钱转到安全账户配合调查",
        "我是市公安局民警，你的账户涉嫌洗钱，我的手机号是13812345678，马上把钱转到安全账户",
    ],
)
def test_a_lure_that_claims_contacts_or_asks_stays_one(text: str) -> None:
    assert check(text).verdict == "scam"


@pytest.mark.parametrize(
    ("text", "owned"),
    [
        ("马德福的电话是13812345678", True),
        ("我爸的手机 13812345678", True),
        ("老伴电话13812345678", True),
        ("电话 13812345678 是马德福的", True),
        ("我叫马德福，电话13812345678", True),
        ("我的手机号是13812345678", False),  # the writer's own, said as a lure says it too
        ("联系电话13812345678", False),
    ],
)
def test_whose_a_mobile_is(text: str, owned: bool) -> None:
    phone = next(f for f in find_pii(text) if f.kind == "phone")
    assert phone_owner(text, phone) is owned
    assert not phone_owner(text, Finding("id", 0, 1, "1"))


@pytest.mark.parametrize(
    "text",
    [
        "我爸马德福电话要五三，酒五要二，三三四四",  # homophones across commas
        "我妈手机号是么五三九五一二三三四四",
        "我叫王建国，电话妖舞伞酒舞妖尔伞伞思思",
    ],
)
def test_a_mobile_spelt_in_homophones(text: str) -> None:
    assert found(text) == [("phone", "15395123344")]
    assert "九五一二" not in mask_pii(text)


# ---------------------------------------------------------------- handles and permits


@pytest.mark.parametrize(
    ("text", "kind", "handle"),
    [
        ("我叫马晓东，微信号 mxd_1988，大家有事加我", "wechat", "mxd_1988"),
        ("王丽娟的微信是wanglj666，谁帮我加一下", "wechat", "wanglj666"),
        ("微信号：zhangxm2020（张秀梅）", "wechat", "zhangxm2020"),
        ("李建华的微信是 lijianhua_yc，有事可以找他", "wechat", "lijianhua_yc"),
        ("我的邮箱是 mxl1965@163.com，我叫马秀兰", "email", "mxl1965@163.com"),
        ("刘志强邮箱 liuzq@126.com 麻烦转发一下通知", "email", "liuzq@126.com"),
    ],
)
def test_a_wechat_id_or_an_email_with_a_name(text: str, kind: str, handle: str) -> None:
    assert (kind, handle) in found(text)
    assert check(text).verdict == "pii"
    assert handle not in mask_pii(text)


@pytest.mark.parametrize(
    "text",
    [
        "我的微信号是 mxd_1988，有事加我",  # the writer's own, no name
        "社区服务中心微信号 yc_sqfw2023，欢迎关注",
        "社区网格员马秀兰微信号 mxl123456，有事联系",  # an office's
        "物业客服邮箱 service@yjwy.com，报修可以发邮件",
        "马建国，你的微信号是多少？",
        "马建国 wxid_zhang",  # a platform's id: wx is no word there
    ],
)
def test_a_handle_of_no_one_named_stays_out(text: str) -> None:
    assert [k for k in kinds(text) if k in ("wechat", "email")] == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("港澳通行证 C98765432 持证人 LI XIULAN，签注过期了", "C98765432"),
        ("港澳通行证号码：CB1234567，姓名：ZHANG WEI", "CB1234567"),
        ("港澳通行证C12345678，名字拼音 MA GUILAN", "C12345678"),
        ("港澳通行证 C12345678 姓名 WANGJIANGUO", "C12345678"),  # one word after a label
    ],
)
def test_a_permit_with_its_holder_in_pinyin(text: str, code: str) -> None:
    assert found(text) == [("document", code)]
    assert code not in mask_pii(text)


@pytest.mark.parametrize(
    "text",
    [
        "港澳通行证续签在哪里办，要不要预约",
        "办港澳通行证要填拼音名字吗，比如WANG JIANGUO这样",
        "港澳通行证 C12345678 HUAWEI 手机拍的照片能用吗",  # a brand reads as pinyin too
    ],
)
def test_a_permit_without_a_holder_stays_out(text: str) -> None:
    assert kinds(text) == []


# ---------------------------------------------------------------- codes and passwords


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("验证码是 736204，我刚收到的，谁能帮我看看是干嘛的", "736204"),
        ("我的短信验证码：5839，帮我登录一下", "5839"),
        ("密码是 mxl19650312，帮我登一下社保APP", "mxl19650312"),
        ("我妈的支付宝密码是820314，她不会弄，谁帮忙", "820314"),
        ("登录密码：Wang1234，账号就是我手机号", "Wang1234"),
        ("取款密码 625318，帮我记一下", "625318"),
        ("我把验证码给你们：617283", "617283"),  # words between the word and the code
    ],
)
def test_a_code_or_a_password_posted(text: str, value: str) -> None:
    assert found(text) == [("credential", value)]
    assert value not in mask_pii(text)


def test_the_ids_last_four_with_a_code_is_masked_with_it() -> None:
    masked = mask_pii("身份证后四位3045，验证码918273")
    assert "3045" not in masked and "918273" not in masked


@pytest.mark.parametrize(
    "text",
    [
        "不要把验证码告诉任何人",
        "温馨提示：任何人向你索要验证码都是诈骗",
        "验证码一般是6位数，5分钟内有效",
        "社保卡初始密码是123456，领卡后请及时修改",  # a default
        "小区WiFi密码是88888888，大家可以连",  # shared
        "单元门禁密码是1234#，快递员问的时候别随便告诉",
        "今晚七点开会，会议号 852 332 1096，会议密码 1234",
        "民警提醒：比如验证码123456这种，千万别告诉别人",  # an example
        "密码是6位数字吗",
    ],
)
def test_talk_of_codes_and_passwords_posts_none(text: str) -> None:
    assert "credential" not in kinds(text)


# ---------------------------------------------------------------- whereabouts


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("我爸马德福在人民医院住院部8楼17床，有空的邻居去看看", "马德福"),
        ("刘秀英住院了，在宁夏医科大学总医院心内科3病区12床", "刘秀英"),
        ("王建国现在在第一人民医院骨科，15号床", "王建国"),
        ("我妈李桂兰住在妇幼保健院5楼506病房，明天手术", "李桂兰"),
    ],
)
def test_a_named_persons_ward_bed(text: str, name: str) -> None:
    assert found(text) == [("ward", name)]
    assert name not in mask_pii(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("张桂兰老人一个人住，存折压在枕头底下", "张桂兰"),
        ("孙秀英独居，退休金都取成现金藏在衣柜里", "孙秀英"),
        ("7号楼502的老人把存折压在枕头底下", "7号楼502"),  # no name: the door is found
    ],
)
def test_an_elderly_person_alone_with_the_savings_or_the_door(text: str, value: str) -> None:
    assert ("alone", value) in found(text)
    assert check(text).verdict == "pii"


@pytest.mark.parametrize(
    "text",
    [
        "人民医院住院部在8楼，探视时间下午三点到五点",  # a hospital's public address
        "住院部8楼17床的病人家属请到护士站",
        "王医生在住院部8楼查房，17床等一下",  # a doctor's round
        "我爸马德福住院了，在人民医院，还没安排床位",
        "民警提醒：独居老人不要把存折、现金放在家里",
        "3号楼的王奶奶一个人住，大家平时多照应",  # no door
        "刘秀英一个人住，周末儿女回来看她",
        "王秀兰家的钱放在哪里是她自己的事",
    ],
)
def test_a_ward_or_an_elderly_person_no_one_could_find(text: str) -> None:
    assert kinds(text) == []


# ---------------------------------------------------------------- homes and records


@pytest.mark.parametrize(
    "text",
    [
        "我父亲王德福，他一个人住在北京路阳光小区2栋1单元101，麻烦网格员多照看",
        "王德福是我父亲，他现在住在阳光小区2栋1单元101",
        "我们楼的刘建华，他平时住在宝湖小区8号楼2单元601",
        "我母亲杨秀兰，她自己住在宝湖苑3号楼1单元101室，腿脚不方便",
    ],
)
def test_a_name_then_a_pronoun_and_the_door(text: str) -> None:
    assert kinds(text) == ["address"]


@pytest.mark.parametrize(
    "text",
    ["我爸，他一个人住在阳光小区2栋1单元101", "王德福是我父亲，他一个人在外地打工"],
)
def test_a_pronoun_without_a_name_or_without_a_door_stays_out(text: str) -> None:
    assert kinds(text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("5号楼的马小军以前因为盗窃坐过三年牢，大家注意点", "马小军"),
        ("刘建军刚放出来，住在3号楼2单元401", "刘建军"),
        ("听说2单元的王海涛坐过两次牢", "王海涛"),
        ("赵大勇刚从看守所放出来", "赵大勇"),
        ("我们楼的陈磊刚刑满出狱", "陈磊"),
    ],
)
def test_a_record_with_its_length_release_or_crime(text: str, name: str) -> None:
    assert ("record", name) in found(text)
    assert name not in mask_pii(text)


@pytest.mark.parametrize(
    "text",
    [
        "电视剧里那个人坐过三年牢，后来当了老板",
        "水管的水刚放出来是黄的，要不要紧",
        "出狱人员安置帮教政策咨询",
        "因为盗窃被判几年？法律上怎么规定的",
    ],
)
def test_talk_of_prison_names_no_one(text: str) -> None:
    assert kinds(text) == []


FLOOD_UNITS = (
    "身份证前六位640104出生1952年3月14日后四位1026，",
    "生日1952.3.14后四位1026前六位640104，",
    "卡号前面是62284801，后面是",
    "电话要五三，",
    "马德福手机13812345678医保卡激活，",
    "微信号 abc12345 王强 ",
    "a@b.cn 王强的邮箱 ",
    "验证码是482913，",
    "我爸马德福在人民医院8楼17床，",
    "一个人住，存折压在枕头底下",
    "7号楼502住的是王奶奶，一个人",
    "WANG JIANGUO ",
    "我父亲王德福，他一个人住在",
)


@pytest.mark.parametrize("unit", FLOOD_UNITS)
def test_floods_of_the_new_forms_stay_fast(unit: str) -> None:
    assert_cheap(flood(unit))


@pytest.mark.parametrize(
    "head",
    [
        *("宁A5Q821", "5号楼2单元301", "3号楼", "三年级二班"),
        *("港澳通行证C12345678", "微信", "一个人住", "我"),
    ],
)
def test_a_word_then_a_flood_of_spaces_stays_fast(head: str) -> None:
    """Optional words between runs of spaces (\\s*[,，]?\\s*) split one run of spaces in
    as many ways as it is long: a plate, a door or a class followed by 20,000 spaces took
    minutes. Each run of spaces is now read one way only."""
    for filler in (" ", "\n"):
        assert_cheap(head + filler * 20000 + "x")
