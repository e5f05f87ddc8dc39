"""Personal data in the forms pii_forms_v5 was written to find: an owner said with where
they live, a marriage certificate's holders, a card told in parts, a relative's village,
a line after 我家, a mobile wrapped with words, a resident's own new number."""

from __future__ import annotations

from pathlib import Path

import pytest

from guard.detect import check
from guard.eval import VERDICTS, evaluate, read_cases
from guard.pii import find_pii, mask_pii


def kinds(text: str) -> list[str]:
    return [f.kind for f in find_pii(text)]


@pytest.mark.parametrize(
    "text",
    [
        "宁A·7K352 挡消防通道了，车主是住5号楼的马建国，麻烦挪一下",
        "宁A5Q821 车主是住咱们小区3号楼的杨桂花，车灯一直没关",
        "宁A·L8826 这车是马德福家的，占我车位三天了",
        "宁C 3K790 车是住7栋的海燕家的，麻烦转告一声",
    ],
)
def test_a_plates_owner_named_with_where_they_live_or_whose_car(text: str) -> None:
    assert "plate" in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "宁A5Q821 车主请挪车，车主是住5号楼的吗？",
        "宁A·7K352 挡消防通道了，车主是谁？住哪栋的？",
        "宁A·L8826 车是新买的吧，挺好看",
    ],
)
def test_a_plate_whose_owner_is_asked_not_named(text: str) -> None:
    assert find_pii(text) == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("结婚证字号：J640104-2019-003215，男方马建军，女方李秀兰", "J640104-2019-003215"),
        ("我们的结婚证字号J640121-2015-000562，男方：杨志强 女方：海燕", "J640121-2015-000562"),
        ("离婚证字号L640105-2021-000187，女方：马小梅，男方：王强", "L640105-2021-000187"),
    ],
)
def test_a_marriage_certificates_number_with_its_holders(text: str, code: str) -> None:
    assert [(f.kind, f.value) for f in find_pii(text)] == [("document", code)]


@pytest.mark.parametrize(
    "text",
    [
        "结婚证字号在哪一页？男方女方都要带身份证吗",
        "文件编号 J640104-2019-003215 请各单位查收",
        "结婚证字号J640104-2019-003215",
    ],
)
def test_a_certificate_without_its_holders_stays_out(text: str) -> None:
    assert find_pii(text) == []


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("工资卡号6217开头的，中间0039581022，尾号3456，户名马桂英", "621700395810223456"),
        (
            "农行卡 6228 开头，中间 4800 1234 567，尾号 8899，持卡人是我爸王德福",
            "6228480012345678899",
        ),
        ("持卡人李秀兰，卡号前四位6222，中间02123456，后四位7890", "6222021234567890"),
        ("户名：杨志强 银行卡号6230开头的，中间是52100012345，尾号678", "623052100012345678"),
    ],
)
def test_a_card_told_in_parts_with_its_holder_named(text: str, card: str) -> None:
    assert [(f.kind, f.value) for f in find_pii(text)] == [("bank", card)]
    assert card[4:-4] not in mask_pii(text).replace("，", "").replace(" ", "")


@pytest.mark.parametrize(
    "text",
    [
        "我的卡6217开头，尾号3456，户名马桂英，钱到了吗",  # a tail alone
        "银行卡尾号8899，持卡人王德福，补贴已经到账了",
        "卡号6217开头的，中间0039581022，尾号3456",  # no holder named
        "会员卡号6217开头的，中间0039581022，尾号3456，户名马桂英",  # a shop's card
    ],
)
def test_a_cards_parts_that_make_no_named_card_stay_out(text: str) -> None:
    assert find_pii(text) == []
