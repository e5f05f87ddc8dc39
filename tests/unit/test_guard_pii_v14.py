"""Personal data in the forms a blind evaluation after v13 passed unflagged, and their
look-alikes (development set pii_forms_v14, self-written, not an eval set): a relative's
card spelt digit by digit for wages, an ID with a letter O typed for a zero, a named
person's illness with where they work, teach or lie in hospital, a home told as
"<name>家（<address>）", "<address>的<name>" or "<name>家地址是<address>" -- with 马 names,
nicknames (马老三, 老马家的) and titles (马老师) --, a plate with its owner's nickname and
door, a name that opens a sentence and what is told of that person several clauses on, a
child said with 小朋友 and the home, and a missing child with the school."""

from __future__ import annotations

from pathlib import Path

import pytest

from guard.detect import check
from guard.eval import VERDICTS, evaluate, read_cases
from guard.pii import find_pii, letter_zeros, mask_pii
from tests.unit.test_guard_pii import kinds

ID = "640104195203141026"  # the check character holds
CARD = "6228485323582187309"  # passes Luhn


def spelt(digits: str) -> str:
    return " ".join(digits)


# ---------------------------------------------------------------- numbers and cards


@pytest.mark.parametrize(
    "text",
    [
        f"老板，我弟的工资打他卡上 {spelt(CARD)} 农行的",
        f"工钱发我媳妇的卡就行：{spelt(CARD)}",
        f"护工费打我姐的工资卡 {spelt(CARD)}，户名马丽丽",
        f"这是我爸的卡 {spelt(CARD)}，他这个月的工资你就打这个",
    ],
)
def test_a_relatives_card_spelt_out_for_wages_is_personal(text: str) -> None:
    result = check(text)
    assert (result.verdict, result.kind) == ("pii", "bank")
    assert spelt(CARD[4:15]) not in mask_pii(text)


@pytest.mark.parametrize(
    "text",
    [
        f"房租打我爱人卡上 {spelt(CARD)} 户名王秀兰，今天转",  # a landlord's "new" card
        f"工资卡换了新卡，赶紧打到这张卡 {spelt(CARD)}，今天必须转",  # haste: a lure's marks
    ],
)
def test_a_spelt_card_with_a_lures_marks_is_no_wage(text: str) -> None:
    assert check(text).verdict == "scam"


def test_a_list_of_card_prefixes_is_no_card() -> None:
    text = "卡号开头622202是工商，622848是农行，621700是建行"
    assert "bank" not in kinds(text)
    assert check(text).is_ok


@pytest.mark.parametrize(
    "typed",
    [
        ID.replace("0", "O"),  # every zero
        ID[:2] + "O" + ID[3:],  # one
        ID.replace("0", "o"),  # lower case
    ],
)
def test_an_id_with_a_letter_o_for_a_zero(typed: str) -> None:
    assert letter_zeros(typed) == ID
    text = f"身份证 {typed} 帮我登记一下"
    result = check(text)
    assert (result.verdict, result.kind) == ("pii", "id")
    assert ID[6:14] not in letter_zeros(mask_pii(text))


@pytest.mark.parametrize(
    "text",
    [
        "OPPO手机 型号PKB110",
        "订单号2O24O517OO12345678，快递一直没到",  # an order's number
        "GO2O2405 航班取消了",
    ],
)
def test_letters_in_codes_and_orders_stay_letters(text: str) -> None:
    assert check(text).is_ok


# ---------------------------------------------------------------- a home, named


@pytest.mark.parametrize(
    "text",
    [
        "马丽丽家（兴庆区清和南街丽景湾小区7号楼2单元602）",
        "金凤区阅海万家C区12号楼1单元301的马云霞，东西放门口了",
        "马红梅家地址是兴庆区民乐小区3号楼2单元501",
        "周末去马红梅家，地址是紫荆苑6号楼1单元702",  # the address later in the clause
        "马老师家住紫园小区2号楼1单元1102",  # a title
        "大刘家在阳光花园8号楼1单元201",  # a nickname
        "快递放到富宁苑9号楼2单元301的老马家",  # a nickname after the door
        "李子轩小朋友家住丽景湾7号楼2单元501",  # a child
        "开饭馆的马总，他家在丽景湾7号楼2单元1501",  # the home after a pause, as his
        "赵老板家在富宁苑9号楼东单元301",  # a stairwell by its side
    ],
)
def test_a_home_told_with_a_name_title_or_nickname(text: str) -> None:
    assert "address" in kinds(text)
    assert check(text).verdict == "pii"


@pytest.mark.parametrize(
    "text",
    [
        "马老师家住哪个小区？想去家访",  # no door
        "老师家住得远，每天坐公交",
        "3号楼2单元301的王师傅来修水管了，还没修好",  # a tradesman at work
        "小王家的狗在5号楼2单元门口拉屎",
        "大家在5号楼2单元301门口集合",
        "马总，他在5号楼2单元301门口等你呢",  # where he waits, not his home
    ],
)
def test_a_title_without_a_home_or_a_door_without_a_resident(text: str) -> None:
    assert "address" not in kinds(text)


# ---------------------------------------------------------------- plates


@pytest.mark.parametrize(
    "text",
    [
        "车牌宁A·D5522，车主是大刘，家在3号楼2单元401",
        "宁AF1288那辆白色的，是二黑子的，他家就在6号楼1单元102",
    ],
)
def test_a_plate_with_its_owners_nickname_and_door(text: str) -> None:
    assert "plate" in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "宁A12345是谁的车？挡住5号楼2单元301门口了",  # whose is asked
        "宁A3K790是送快递的，我家在3号楼2单元401，天天堵我家门口",  # the writer's home
        "宁AD8823是外地的车，停在8号楼1单元门口好几天了",
    ],
)
def test_a_plate_without_an_owner_at_home(text: str) -> None:
    assert "plate" not in kinds(text)


# ---------------------------------------------------------------- health, work, wards


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("马红梅在二中教数学，查出来乳腺癌了", "马红梅"),  # where she teaches
        ("苏建平在移动营业厅上班，前阵子查出肺癌晚期", "苏建平"),
        ("丁玉兰在我们厂食堂打饭，是乙肝携带者", "丁玉兰"),  # a workplace by its kind
        ("杨丽萍在宁安医院住院部6楼，重度抑郁", "杨丽萍"),  # a ward, no bed
        ("三小的马老师马云霞怀孕了", "马云霞"),  # a title, then the full name
        ("十五中的英语老师李静怀孕五个月了", "李静"),
        ("十八中的王丽老师是乙肝携带者", "王丽"),  # the name, then the title
        ("老父亲马德明，家住民乐小区3号楼，上周确诊肝癌", "马德明"),
        ("我公公马福贵，在医院住院部8楼，脑梗，住金地小区5号楼", "马福贵"),
    ],
)
def test_a_named_persons_illness_with_work_ward_or_home(text: str, name: str) -> None:
    assert name in [f.value for f in find_pii(text) if f.kind == "health"]
    assert check(text).verdict == "pii"
    assert name not in mask_pii(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("张伟，男，在我们这干了三年，人很老实，去年查出糖尿病", "health"),
        ("马占林，在工地干活，前阵子摔伤以后一直抑郁，不爱说话", "health"),
        ("我们班杨梓涵，上周刚转来的，有哮喘，体育课注意一下", "health"),
        ("马思远，就是那个戴眼镜的男孩，成绩不错，学号是20230415", "student"),
    ],
)
def test_a_name_opening_the_sentence_then_what_is_told_of_them(text: str, kind: str) -> None:
    assert kind in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "马红梅在二中教数学，教得特别好",  # no illness
        "马建国在人民医院当医生，专门治糖尿病",  # a doctor's work
        "王芳在医院上班，她说癌症早发现能治好",  # what she said
        "张伟，你好，我妈查出来糖尿病，想问问低保",  # someone else's
        "李静，明天下午社区有高血压义诊，记得带老人来",  # a talk's topic
        "马思远，数学竞赛得了一等奖，祝贺！",
        "金凤区人民医院肿瘤科在住院部6楼，挂号在一楼",
    ],
)
def test_work_a_talk_or_someone_elses_illness_is_no_ones_health(text: str) -> None:
    assert [f for f in find_pii(text) if f.kind in ("health", "student")] == []


# ---------------------------------------------------------------- children


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("马小宝小朋友走丢了，在回民二小上一年级，穿红衣服", "马小宝"),
        ("寻人：王梓豪，实验小学的学生，昨天放学没回家，求扩散", "王梓豪"),
        ("急！马浩然今天放学没回家，在十六小上学", "马浩然"),
        ("我家孩子王子睿到现在联系不上，十五中的", "王子睿"),
        ("孩子叫刘一鸣，男，9岁，银川二十一小的，下午在学校门口走失", "刘一鸣"),
    ],
)
def test_a_missing_child_with_the_school(text: str, name: str) -> None:
    assert name in [f.value for f in find_pii(text) if f.kind == "child"]
    assert name not in mask_pii(text)


@pytest.mark.parametrize(
    "text",
    [
        "老人走失，王秀英，78岁，在第一小学附近不见了，放学的家长留意",  # a grown-up
        "寻找走失的小狗，在二小门口丢的，放学的孩子们帮忙留意",  # a dog
        "学校门口有人说孩子走丢了，后来找到了",  # no name
    ],
)
def test_a_missing_grown_up_or_an_unnamed_child_is_no_pupil(text: str) -> None:
    assert "child" not in kinds(text)


def test_development_set_v14_stays_caught() -> None:
    """Every line of the development set gets its verdict, and each exposing line is found
    as its own kind (``kind``), whatever kind the reminder leads with."""
    cases = read_cases(Path(__file__).parent / "data" / "pii_forms_v14.jsonl", VERDICTS)
    report = evaluate(cases)
    assert report.mistakes == [], [o.case.text for o in report.mistakes]
    unfound = [c.text for c in cases if c.expect == "pii" and c.kind not in kinds(c.text)]
    assert unfound == []
