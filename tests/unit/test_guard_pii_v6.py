"""Personal data in the forms pii_forms_v6 was written to find: a phone read out with
homophones, a card over lines or spelt digit by digit, a vehicle licence, a birth medical
certificate, a profession's certificate, a parcel's recipient, a plate's owner after the
car is described, a repair note's landline."""

from __future__ import annotations

import pytest

from guard.detect import check
from guard.pii import find_pii, mask_pii
from tests.unit.test_guard_pii import kinds


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("马建国，我电话要三八 零酒五要 2233，有事打我", "13809512233"),
        ("我电话 妖38 0久51 2233 王秀兰", "13809512233"),
        ("有事找我杨志强，电话：要八六 屋屋三二 7788", "18655327788"),
    ],
)
def test_a_mobile_read_out_with_homophones_after_a_phones_word(text: str, phone: str) -> None:
    assert [(f.kind, f.value) for f in find_pii(text)] == [("phone", phone)]
    assert phone[3:7] not in mask_pii(text).translate(str.maketrans("要妖酒久屋", "11955"))


@pytest.mark.parametrize(
    "text",
    [
        "我电话要是打不通就发微信，马建国",
        "电话费要交了，三八节活动午饭在五楼",
        "要三八 零酒五要 2233，马建国",  # no phone's word: homophones are words
    ],
)
def test_homophones_without_a_phone_read_out_stay_words(text: str) -> None:
    assert find_pii(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "押金退到这张卡吧\n建设银行\n6217 0012 3456\n7890 123\n户名：马建国",
        "工商银行\n6222021234\n567890123\n户名刘娟，押金退这里就行",
    ],
)
def test_a_card_over_lines_with_its_holder_named(text: str) -> None:
    assert kinds(text) == ["bank"]


@pytest.mark.parametrize(
    "text",
    [
        "本周收费情况：\n建设银行\n1200 3400\n5600 7800 900\n户名：物业公司",
        "建设银行\n6217 0012 3456\n7890 123\n以上卡号都可以办",  # no holder
    ],
)
def test_numbers_over_lines_that_make_no_named_card(text: str) -> None:
    assert "bank" not in kinds(text)


def test_a_card_spelt_digit_by_digit_said_whose_is_personal_data() -> None:
    result = check("6 2 2 8 4 8 0 0 1 2 3 4 5 6 7 8 8 9 9 这是王秀兰的卡 户名王秀兰")
    assert (result.verdict, result.kind) == ("pii", "bank")


@pytest.mark.parametrize(
    "text",
    [
        "6 2 1 7 0 0 0 0 1 2 3 4 5 6 7 8 9 这是我的卡 户名马建国，钱打到这张卡",
        "房租打我爱人卡上 6 2 2 8 4 8 0 0 1 2 3 4 5 6 7 8 8 9 9 户名王秀兰，今天转",
    ],
)
def test_a_spelt_card_to_be_paid_into_stays_a_lure(text: str) -> None:
    assert check(text).verdict == "scam"


def test_no_phone_inside_a_spelt_card() -> None:
    assert kinds("6 2 1 7 0 0 0 0 1 2 3 4 5 6 7 8 9 这是马建国的卡") == ["bank"]


@pytest.mark.parametrize(
    "text",
    [
        "行驶证：号牌号码 宁A·5Q821，所有人 马建国，车辆识别代号 LSVAM4187C2184847",
        "车辆识别代号LSGPC52U7AF123456，所有人刘建军",
        "出生医学证明编号：P640123456，新生儿马小宝，母亲李秀兰",
        "教师资格证号：20196400012345678，姓名马丽",
        "王建军的执业证号是16401201810123456，律所让核对",
        "医师执业证书编码 110640100012345 医师姓名：海燕",
    ],
)
def test_a_licence_or_certificate_with_its_holder(text: str) -> None:
    assert "document" in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "VIN码 LSVAM4187C2184847 这个配件有货吗",
        "所有人注意，宁A5Q821挡消防通道了",
        "出生医学证明编号写错了去哪改？医院说母亲要本人去",
        "资格证书编号 1964010012345 的证书已寄出，请各位老师注意查收",
    ],
)
def test_a_licence_or_certificate_without_a_holder_stays_out(text: str) -> None:
    assert find_pii(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "寄过来吧：马建国 收，金凤区北京中路阅海万家C区12号楼2单元301",
        "你寄过来吧：王秀兰收，西夏区文萃北街宁夏大学文萃校区7号楼302",
    ],
)
def test_a_parcels_recipient_before_the_address(text: str) -> None:
    assert kinds(text) == ["address"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("宁A·5Q821 白色大众，是我们楼马建国的，麻烦挪一下", ["plate"]),
        ("宁A5Q821 黑色越野车，是3号楼王老师家的车", ["plate"]),
        ("宁A 9X382 红色的小车，是咱们楼杨大姐的", ["plate"]),
        ("宁A5Q821 黑色越野车，是我们楼的吗", []),
        ("宁A5Q821 红色小车，是王老师家的吧", ["plate"]),  # a surname and title: whose car
    ],
)
def test_a_plates_owner_after_the_car_is_described(text: str, expected: list[str]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "报修人：3号楼301 马建国 座机 0951 6087325，厨房水管漏水",
        "【物业报修】报修人：马建国 座机 0951 6087325 地址3号楼301",
    ],
)
def test_a_repair_notes_landline_is_the_residents(text: str) -> None:
    assert "landline" in kinds(text)


def test_a_repair_asked_of_the_office_is_at_the_residents_home() -> None:
    assert "address" in kinds("物业报修 3号楼301 马建国 座机 0951 6087325 卫生间漏水")
