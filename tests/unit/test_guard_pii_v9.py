"""Personal data in the forms pii_forms_v9 was written to find: what PIPL counts as
sensitive said of a named person (health in many verb forms, a criminal or administrative
record), a name in one clause and the home in the next, a plate's owner or driver named
anywhere in the message, police case numbers and certificates in the issuer's words, a QQ
number with whose it is, and a list of households by door and name."""

from __future__ import annotations

import pytest

from guard.detect import check
from guard.pii import find_health, find_pii, find_records, mask_pii
from tests.unit.floods import assert_cheap, flood
from tests.unit.test_guard_pii import kinds


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("我妈王秀兰查出来糖尿病了", "王秀兰"),  # kin before the name
        ("二单元的李建国有严重的心脏病", "李建国"),  # where the person lives
        ("陈大爷陈建国是乙肝携带者", "陈建国"),  # a title, then the full name
        ("马秀英阿姨有抑郁症，一直在吃药", "马秀英"),  # a title after the name
        ("刘德福高血压加心脏支架", "刘德福"),
        ("三年级二班的王子涵对花生严重过敏", "王子涵"),
        ("张志刚对青霉素过敏", "张志刚"),
        ("我爸马建国单位体检出肺结节", "马建国"),
        ("马海军今年体检出来转氨酶高", "马海军"),  # an illness found by a check
        ("何玉梅是二级肢体残疾", "何玉梅"),
        ("糖尿病患者刘德福，明天记得空腹", "刘德福"),  # the name after what it makes them
        ("王强腿骨折了", "王强"),  # the shorter reading when a body's part follows
    ],
)
def test_the_health_of_a_named_person(text: str, name: str) -> None:
    assert [(f.kind, f.value) for f in find_pii(text)] == [("health", name)]
    masked = mask_pii(text)
    assert name not in masked and name[0] in masked


def test_a_neighbours_illness_told_is_no_lure_by_the_model_alone() -> None:
    """It reads like a health product's testimony to the model, which has seen none of it;
    nothing is asked, so it is the neighbour's health, not a lure."""
    result = check("李玉兰阿姨高血压、糖尿病都有，每天吃五六种药")
    assert (result.verdict, result.kind) == ("pii", "health")


@pytest.mark.parametrize(
    "text",
    [
        "糖尿病人能吃西瓜吗",
        "我妈高血压十几年了，吃什么药好",  # kin without a name
        "王大爷有高血压",  # a title alone
        "王老师对花生严重过敏",
        "王**查出糖尿病",  # masked
        "高明的医生都说高血压要终身服药",  # what someone else says
        "我叫王建国，我妈有高血压，能办慢病卡吗",  # someone else's
        "大家注意，马建国医生下周三来社区讲高血压",  # a doctor's talk
        "金银花对过敏有用吗",  # no name at all
        "高血压加心脏支架的老人能坐飞机吗",  # a fact names no one
        "体检出甲状腺结节要紧吗",
    ],
)
def test_a_diagnosis_asked_about_names_no_one(text: str) -> None:
    assert find_pii(text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("5号楼的王强是刑满释放人员", "王强"),
        ("刑满释放人员马小军住在咱们小区", "马小军"),
        ("李建军有盗窃前科", "李建军"),
        ("听说3单元的张伟吸毒被抓过", "张伟"),
        ("刘志强去年被行政拘留了十五天", "刘志强"),
        ("赵大勇以前坐过牢", "赵大勇"),
        ("陈磊现在在社区矫正", "陈磊"),
        ("我表哥王建国酒驾被拘了，驾驶证也吊销了", "王建国"),
        ("杨光取保候审期间还在群里卖东西", "杨光"),
        ("7号楼的张伟被派出所抓了", "张伟"),
    ],
)
def test_the_record_of_a_named_person(text: str, name: str) -> None:
    assert [(f.kind, f.value) for f in find_pii(text)] == [("record", name)]
    assert find_records(text) and not find_health(text)
    masked = mask_pii(text)
    assert name not in masked and name[0] in masked
    assert check(text).verdict == "pii"


@pytest.mark.parametrize(
    "text",
    [
        "刑满释放人员怎么办理社保？",
        "民警提醒：近期查处酒驾12起，行政拘留3人",  # an officer's notice without names
        "请刑满释放人员马某某、李某于本周五前到社区报到",  # names withheld
        "小说里的主角张三坐过牢",  # fiction
        "明星房祖名吸毒被抓那年的事还有人记得吗",  # a public figure in the news
        "马建国书记带队走访了刑满释放人员",  # an officer's work
        "刑满释放人员安置帮教工作会议",
        "向阳小区有人被拘留了",  # a place, not a person
    ],
)
def test_talk_of_the_law_names_no_one(text: str) -> None:
    assert find_pii(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "谁认识王建国？他家住阳光小区5号楼2单元301",
        "有人知道刘秀兰吗？她住在丽景花园3号楼1单元502",
        "找一下李德明，他家是宝湖小区8号楼2单元601",
        "马小军你们认识吗？他住在正丰小区12栋3单元402",
    ],
)
def test_a_name_then_the_home_said_of_him_or_her(text: str) -> None:
    assert kinds(text) == ["address"]


@pytest.mark.parametrize(
    "text",
    [
        "谁认识王建国？他是我初中同学",
        "他家住阳光小区5号楼，谁有空帮忙送一下",
        "谁认识李德明？快递放在3号楼2单元101的驿站了",
    ],
)
def test_a_name_or_a_home_alone_stays_out(text: str) -> None:
    assert find_pii(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "宁A5Q821 堵了消防通道，车主好像是3号楼的马建国",
        "宁A7K309 车主名字写的是我爸马德福",
        "那辆宁B2H519是他儿子马小军开着",
        "宁A3C906 应该是张伟的车",
        "宁AD12345 这辆新能源平时是2单元的李红在开",
        "马建国开的是宁A5Q821",
        "宁A9T615 马建国你的车挡住我家车库门了",
    ],
)
def test_a_plates_owner_or_driver_named_anywhere(text: str) -> None:
    assert kinds(text) == ["plate"]


@pytest.mark.parametrize(
    "text",
    [
        "宁A7K309 车主好像住3号楼，谁认识",
        "宁A5Q821 司机开着车跑了，谁看见了",
        "马路上那辆宁A3C906开得太快了",
    ],
)
def test_a_plate_without_a_person_stays_out(text: str) -> None:
    assert find_pii(text) == []


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("我是案件 宁公（兴）立字〔2024〕1136号 的受害人马秀兰", "1136"),
        ("银公金受字〔2024〕2087号，当事人王建国", "2087"),
        ("受字〔2024〕2087号 报案人王建国", "2087"),
        ("退休证 宁退字第2016-04723号，持证人王德福", "04723"),
        ("优待证 宁优字第640104-00321号 持证人马建国", "00321"),
    ],
)
def test_a_case_or_a_certificate_with_its_person(text: str, number: str) -> None:
    assert kinds(text) == ["document"]
    assert number not in mask_pii(text)


@pytest.mark.parametrize(
    "text", ["案件 宁公（兴）立字〔2024〕1136号 有进展了吗", "退休证年审在哪办，宁退字开头的那种"]
)
def test_a_case_without_its_person_stays_out(text: str) -> None:
    assert find_pii(text) == []


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("王强的QQ号是28371946，谁加一下问问他", "28371946"),
        ("李秀英QQ 1029384756，有事找她", "1029384756"),
        ("麻烦加一下马小红的qq 654321987", "654321987"),
        ("QQ 28371946 是王强的", "28371946"),
    ],
)
def test_a_named_persons_qq_number(text: str, number: str) -> None:
    assert [(f.kind, f.value) for f in find_pii(text)] == [("qq", number)]
    assert number not in mask_pii(text)
    assert check(text).verdict == "pii"


@pytest.mark.parametrize(
    "text",
    ["QQ群号 123456789，欢迎大家加入", "我的QQ号是28371946，有事加我", "联系方式QQ 28371946"],
)
def test_a_qq_number_of_no_one_named_stays_out(text: str) -> None:
    assert [f for f in find_pii(text) if f.kind == "qq"] == []


@pytest.mark.parametrize(
    "text",
    [
        "物业费欠费名单：3-2-501 王建国 1200元；5-1-302 李秀兰 860元；7-3-201 马德福 1450元",
        "欠费户：3号楼1单元101王建国，3号楼2单元202李秀兰，请物业上门催一下",
    ],
)
def test_a_named_list_of_households_is_personal_data_not_a_notice(text: str) -> None:
    result = check(text)
    assert (result.verdict, result.kind) == ("pii", "address")


def test_a_masked_list_of_households_is_neither() -> None:
    assert check("欠费名单：3-2-501 王** 1200元；5-1-302 李** 860元").verdict == "ok"


FLOOD_UNITS = (
    "我妈王秀兰查出来糖尿病了，",
    "二单元的李建国有",
    "刑满释放人员马小",
    "3-2-501 王建国 1200元；",
    "宁退字第2016-0",
    "公(兴)立字〔2024〕1",
    "李秀英的QQ 1029384756 ",
    "车主好像是3号楼的马",
    "谁认识王建国？他家住",
)


@pytest.mark.parametrize("unit", FLOOD_UNITS)
def test_floods_of_the_new_forms_stay_fast(unit: str) -> None:
    assert_cheap(flood(unit))
