"""Issue 19: the classes a blind evaluation after guard v2 missed, as rules (development
sets pii_forms_v16 and scam_forms_v16, self-written from the class briefs before any
measurement, not an eval set; a third of each class, ``"part": "held"``, was never tuned
on). Personal data: a named resident's court, credit, gambling or family record, or a
household's told by its door; a plate's owner by title with the stairwell or the estate;
a relative's home by relation; a household's illness by its door or its building; a named
pupil's grade with a rank or misbehaviour; a mobile told in parts. No alarm: a shop's
advert with its address, a lure quoted inside a warning. Lures: point cards' codes, a
social-security card's "financial function" at a stall."""

from __future__ import annotations

import pytest

from guard.detect import check
from guard.pii import find_pii, mask_pii
from tests.unit.test_guard_pii import development_lines, development_set, kinds, right_for_its_kind


@pytest.mark.parametrize(
    "text",
    [
        "听说14号楼的马国庆被法院强制执行了",
        "杨秀芝前年离的婚，后来又离过婚一次",
        "6栋1单元702那家的老头以前吸毒，被拘留过两次",
        "2-3-601那户男的家暴，110都来过好几次",
    ],
)
def test_a_record_told_of_a_name_or_a_door_is_personal(text: str) -> None:
    assert check(text).verdict == "pii"
    assert "record" in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "离婚冷静期是三十天，别冲动",
        "法院强制执行的案子能申请分期吗",
        "6栋1单元702楼道灯坏了，麻烦物业修一下",
        "新闻说那个明星吸毒被拘留了",
    ],
)
def test_talk_of_the_law_or_a_door_alone_is_no_record(text: str) -> None:
    assert check(text).verdict == "ok"


@pytest.mark.parametrize(
    "text",
    [
        "5号楼刘姐她老公得了肺癌，化疗好几个月了",
        "我婆婆查出来老年痴呆了，住在9-2-301，见到她一个人出门麻烦说一声",
    ],
)
def test_a_households_illness_by_its_building_or_door_is_personal(text: str) -> None:
    assert check(text).verdict == "pii"
    assert "health" in kinds(text)


def test_the_writers_own_illness_and_door_names_no_one() -> None:
    assert check("我有高血压，住5-1-301，想问问社区医院周几量血压").verdict == "ok"


@pytest.mark.parametrize(
    "text",
    [
        "我外婆住在金凤区丽景湾8号楼2单元502，耳朵不好",
        "7栋3单元1002是我姑姑家，快递帮我放门口",
    ],
)
def test_a_relatives_home_by_relation_is_an_address(text: str) -> None:
    assert "address" in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "我家在7栋3单元1002，谁家有打气筒借一下",
        "我妈在3号楼2单元502门口摔了一跤，幸好没事",
    ],
)
def test_the_writers_own_home_or_a_spot_by_a_door_is_no_address(text: str) -> None:
    assert "address" not in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "宁A·5K2M7是三单元周姐的车吧",
        "宁A 6B913，是咱们小区的杨会计家的",
        "宁A·7Q2W5，5号楼301的，车灯一直亮着",
    ],
)
def test_a_plates_owner_by_title_or_door_is_personal(text: str) -> None:
    assert "plate" in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "宁A·5K2M7停在三单元门口三天了",
        "宁A 6B913是谁的车？挡着路了",
    ],
)
def test_a_plate_without_its_owner_is_no_data(text: str) -> None:
    assert "plate" not in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "我们班的杜雨萱，初二，这次期末考了全班倒数第二",
        "隔壁的王梓涵在回民中学读初一，经常逃课",
    ],
)
def test_a_named_pupils_grade_with_a_rank_or_misbehaviour_is_a_childs(text: str) -> None:
    assert "child" in kinds(text)
    assert "**" in mask_pii(text)


def test_a_grade_and_a_rank_with_no_name_is_no_childs() -> None:
    assert check("初二期末考了全班倒数第二，家长该怎么沟通").verdict == "ok"


def test_a_mobile_told_in_parts_anywhere_is_a_phone() -> None:
    text = "赵文博的手机前六位137095，后五位18821"
    assert "phone" in kinds(text)
    assert "18821" not in mask_pii(text)


def test_a_shops_advert_gives_no_ones_address() -> None:
    text = "马家烤肉新店开业，店址：文化东街66号，订座电话0951-6033888，欢迎光临"
    assert check(text).verdict == "ok"
    assert not [f for f in find_pii(text) if f.kind == "address"]


@pytest.mark.parametrize(
    "text",
    [
        "骗子的原话：“您好，您的快递丢了，我们三倍理赔，点击 kd-pei.top 登记”，千万别点",
        "这种别回：“我是你们王主任，明天来我办公室，先加我这个新微信”",
    ],
)
def test_a_lure_quoted_inside_a_warning_is_no_lure(text: str) -> None:
    assert check(text).verdict == "ok"


@pytest.mark.parametrize(
    "text",
    [
        "在吗，帮我买两张京东卡，刮开涂层把卡密拍照发我，我晚上转你",
        "社保卡开通金融功能每人领补贴，东门帐篷登记，带身份证、银行卡和手机",
    ],
)
def test_point_cards_and_a_cards_financial_function_are_lures(text: str) -> None:
    assert check(text).verdict == "scam"


# ---------------------------------------------------------------- the development sets


# Held-out lines right, per file, when the rules for issue 19 were done: 39 of 43 (27 of
# 30 and 12 of 13); 24 before them. A floor, not a target: these lines are never tuned on.
HELD_RIGHT = {"pii_forms_v16.jsonl": 27, "scam_forms_v16.jsonl": 12}


@pytest.mark.parametrize("name", sorted(HELD_RIGHT))
def test_development_set_v16(name: str) -> None:
    """Every tuned line right; the held-out third at its figure when the rules were done."""
    tuned, held_right = development_set(name)
    assert tuned == []
    assert held_right >= HELD_RIGHT[name]


def test_an_id_followed_by_letters_o_is_still_masked() -> None:
    """…2778O0: read as zeros the run is longer than any number, so the O is a letter."""
    assert "19801115" not in mask_pii("110106198011152778O0")


def test_second_development_set_v16b() -> None:
    """43 lines written after the rules above, measured once at first contact (guard21
    26, these rules 37 of 43), then their misses made classes: all right since."""
    rows = development_lines("forms_v16b.jsonl")
    assert [r["text"] for r in rows if not right_for_its_kind(r)] == []
