"""Personal data in the forms pii_forms_v8 was written to find: a plate's or a home's
owner said with who they are to the writer, a police receipt with its reporter, a
diagnosis of a named resident, a benefits card, a pupil with the class in brackets,
and a resident's own number given to an officer."""

from __future__ import annotations

import pytest

from guard.detect import check
from guard.pii import find_pii, mask_pii
from tests.unit.test_guard_pii import kinds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("宁A8K372 登记在我舅舅马福林名下", ["plate"]),
        ("宁A3C906 在刘建华名下，不是我的车", ["plate"]),
        ("宁A5Q821 车主是我，马建国，马上下来挪", ["plate"]),
        ("宁A6M208 这车是我弟马小军的", ["plate"]),
        ("宁A8K372 登记在我舅舅名下", []),
        ("宁A5Q821 车主是我，马上下来挪", []),
        ("宁A6M208 这车是我弟的，我让他挪", []),
    ],
)
def test_a_plates_owner_said_with_who_they_are(text: str, expected: list[str]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("正丰小区8号楼2单元502，户主写的我老公马建军", ["address"]),
        ("宝湖花园12号楼3单元402，户主是我婆婆李桂芳", ["address"]),
        ("户主写的我老公，地址在正丰小区8号楼", []),
    ],
)
def test_a_home_with_its_householder_named(text: str, expected: list[str]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "受案回执编号 银公金受案字〔2024〕10583号，报案人：刘娟",
        "回执号 A6401060000002024050031，报案人：马桂兰",
        "我和前夫王强的离婚案，案号（2023）宁0105民初1288号",
    ],
)
def test_a_police_receipt_or_a_case_with_its_person(text: str) -> None:
    assert kinds(text) == ["document"]
    assert "10583" not in mask_pii(text)


@pytest.mark.parametrize(
    "text",
    [
        "受案回执编号 银公金受案字〔2024〕10583号，一般多久有结果",
        "回执号 A6401060000002024050031 是什么意思",
    ],
)
def test_a_receipt_without_its_person_stays_out(text: str) -> None:
    assert find_pii(text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("刘秀英乳腺癌晚期，在肿瘤科12床", "刘秀英"),
        ("我爸王德福阿尔茨海默症，在养老院302房间", "王德福"),
        ("李建华确诊了肺癌", "李建华"),
    ],
)
def test_a_diagnosis_of_a_named_resident_is_health_data(text: str, name: str) -> None:
    assert [(f.kind, f.value) for f in find_pii(text)] == [("health", name)]
    assert name not in mask_pii(text) and name[0] in mask_pii(text)


@pytest.mark.parametrize(
    "text", ["乙肝表面抗原阳性能打疫苗吗", "我妈查出肺癌了", "王大爷得了脑梗", "张某确诊乙肝"]
)
def test_a_diagnosis_without_a_name_is_a_question(text: str) -> None:
    assert find_pii(text) == []


@pytest.mark.parametrize(
    "text",
    ["我妈的一卡通6217862000012345674，补贴到了没", "惠农一卡通 6228481234567890123 马桂兰"],
)
def test_a_benefits_card_is_a_bank_card(text: str) -> None:
    assert kinds(text) == ["bank"]


def test_a_campus_card_is_no_bank_card() -> None:
    assert find_pii("校园一卡通 6217862000012345674 丢了") == []


@pytest.mark.parametrize(
    ("text", "child"),
    [
        ("马小龙同学（银川九中初一6班）的作业本落在我这", "马小龙"),
        ("你家王子涵（实验小学四年级1班）今天没来上学", "王子涵"),
    ],
)
def test_a_pupil_with_the_school_and_class_in_brackets(text: str, child: str) -> None:
    assert [(f.kind, f.value) for f in find_pii(text)] == [("child", child)]


def test_a_residents_own_number_to_an_officer_is_personal_data() -> None:
    result = check("警官您好，我电动车被偷了，我叫马建国，手机号是幺八拐四拐四三四五拐六")
    assert (result.verdict, result.kind) == ("pii", "phone")


def test_a_fake_officers_number_with_an_ask_stays_a_lure() -> None:
    text = "我是市公安局民警，你的账户涉嫌洗钱，我的手机号是13812345678，马上把钱转到安全账户"
    assert check(text).verdict == "scam"
