"""Personal data in the forms a blind evaluation after v13 passed unflagged, and their
look-alikes (development set pii_forms_v14, self-written, not an eval set): a relative's
card spelt digit by digit for wages, an ID with a letter O typed for a zero, a named
person's illness with where they work, teach or lie in hospital, a home told as
"<name>家（<address>）", "<address>的<name>" or "<name>家地址是<address>" -- with 马 names,
nicknames (马老三, 老马家的) and titles (马老师) --, a plate with its owner's nickname and
door, a name that opens a sentence and what is told of that person several clauses on, a
child said with 小朋友 and the home, and a missing child with the school."""

from __future__ import annotations

import pytest

from guard.detect import check
from guard.pii import letter_zeros, mask_pii
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
