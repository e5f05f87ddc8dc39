"""Personal data in the forms pii_forms_v7 was written to find: an ID glued after a
certificate's letter, special groups' cards and medical records with their holder, a
court case with its parties, a child named by their parent with a bracketed class, a
plate owned by a named relative, and a wrapped card a resident asks a neighbour to pay
into for what is owed."""

from __future__ import annotations

import pytest

from guard.detect import check
from guard.pii import find_pii, mask_pii
from tests.unit.test_guard_pii import kinds


@pytest.mark.parametrize(
    "text",
    [
        "特种作业操作证号：T640104198503122314，姓名马建国",
        "登高证号K640381197802153128，持证人刘娟",
        "SF640104198503122314 这个单号是我的",  # a courier's letters before a checked ID
    ],
)
def test_an_id_whose_check_holds_is_an_id_whatever_letters_are_glued_before_it(
    text: str,
) -> None:
    assert kinds(text) == ["id"]
    assert "19850312" not in mask_pii(text) and "19780215" not in mask_pii(text)


@pytest.mark.parametrize(
    "text", ["快递单号SF1401041985031223，到哪了", "JD640104198503122315 这单还没到"]
)
def test_letters_glued_before_a_number_that_is_no_id_make_it_an_order(text: str) -> None:
    assert find_pii(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "马建国 退役军人优待证号：6401040012345678，帮我查下能不能用",
        "老兵马德福的退役军人优待证号是64010400123456789",
        "退役军人优待证号码：640104001234567（马建国）",
        "残疾证号：64010419850312231442，王秀兰的",
        "最低生活保障证号640104202300451，持证人刘建国",
        "伤残军人证 编号 640001234 持证人马强",
        "士官证号 2019034512 马强",
    ],
)
def test_a_special_groups_card_with_its_holder(text: str) -> None:
    assert kinds(text) == ["document"]


@pytest.mark.parametrize(
    "text",
    [
        "患者马建国 透析登记号XT2021045 周三下午透析",
        "患者马建国，血透号XT2021045，今天换到周五了",
        "马建国 住院登记号ZY20240315 出院结算在哪",
        "慢病登记号MB6401234 王秀兰，药该续了",
    ],
)
def test_a_course_of_cares_record_with_its_patient(text: str) -> None:
    assert kinds(text) == ["document"]


@pytest.mark.parametrize(
    "text",
    [
        "（2024）宁0104民初3127号，原告马建国，被告王秀兰，什么时候开庭",
        "问一下（2024）宁01民终2211号，上诉人李德福，被上诉人海燕，二审判了吗",
        "案号（2022）宁0106执1234号，申请人马桂兰，被执行人王强",
    ],
)
def test_a_court_case_with_its_parties_named(text: str) -> None:
    assert kinds(text) == ["document"]
    assert "3127" not in mask_pii(text) or "2211" not in mask_pii(text)


@pytest.mark.parametrize(
    "text",
    [
        "（2024）宁0104民初3127号的案子什么时候开庭？",
        "（2024）宁0104民初3127号 原告张某诉被告李某，判决书网上能查到吗",  # names withheld
        "（2023）宁0105民初1568号，原告是物业公司，被告是业主，法院判了没",
    ],
)
def test_a_court_case_without_named_parties_stays_out(text: str) -> None:
    assert find_pii(text) == []


@pytest.mark.parametrize(
    ("text", "child"),
    [
        ("我是马小龙妈妈，孩子在实验小学三（2）班，明天家长会几点", "马小龙"),
        ("王子涵的妈妈在吗？实验小学三（2）班的作业发一下", "王子涵"),
        ("李想妈妈，第二小学五（3）班今天几点放学", "李想"),
    ],
)
def test_a_child_named_by_their_parent_with_the_class(text: str, child: str) -> None:
    assert [(f.kind, f.value) for f in find_pii(text)] == [("child", child)]


@pytest.mark.parametrize(
    "text",
    [
        "王老师的妈妈身体好点没？实验小学三（2）班的同学都很想她",
        "三（2）班家长群，请马老师妈妈也进群",
        "实验小学三（2）班的家长注意，明天交费",
    ],
)
def test_a_teachers_parent_or_a_class_alone_names_no_child(text: str) -> None:
    assert find_pii(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("宁A5Q821 是我哥马建军的，他马上下来挪", ["plate"]),
        ("楼下宁B3M768那辆，是我姐夫王强的车，挡路了", ["plate"]),
        ("宁A 7K352是我妹夫刘涛的车，白色的", ["plate"]),
        ("宁A5Q821 是我哥的，他马上下来", []),
        ("宁A5Q821 是我姐夫的车，不好意思", []),
    ],
)
def test_a_plate_owned_by_a_named_relative(text: str, expected: list[str]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "我叫马建国，上次的菜钱，你给我打过来就行，卡号6222083961\n757842668",
        "我是王秀兰，团购的钱转我卡上就行，卡号6217001234\n987653",
        "饭钱AA一人48，我叫刘娟，打我这张卡就行，卡号6212262901\n001234563",
    ],
)
def test_a_residents_own_card_for_a_neighbours_debt_is_personal_data(text: str) -> None:
    result = check(text)
    assert (result.verdict, result.kind) == ("pii", "bank")


@pytest.mark.parametrize(
    "text",
    [
        "我是你房东，卡换了，房租打到新卡，卡号6222083961\n757842668，今天必须转",
        "我是刘娟，房租打到这张卡，卡号6212262901\n001234563，今天必须转",
        "我叫马建国，菜钱打我新卡上，卡号6222083961\n757842668，别告诉别人，马上转",
    ],
)
def test_a_card_to_be_paid_into_with_a_lures_marks_stays_a_lure(text: str) -> None:
    assert check(text).verdict == "scam"
