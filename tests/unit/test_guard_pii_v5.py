"""Personal data in the forms pii_forms_v5 was written to find: an owner said with where
they live, a marriage certificate's holders, a card told in parts, a relative's village,
a line after 我家, a mobile wrapped with words, a resident's own new number."""

from __future__ import annotations

import pytest

from guard.detect import check
from guard.pii import find_pii, mask_pii
from tests.unit.test_guard_pii import kinds


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


@pytest.mark.parametrize(
    "text",
    [
        "帮忙找一下我二舅马福，住在永宁县望洪镇和顺村3号院，一早出门没回来",
        "我叔叔王建国住在灵武市东塔镇园艺村，电话一直没人接，麻烦打听一下",
        "我姥姥海秀兰，住平罗县姚伏镇小店子村五组18号，麻烦网格员去看一眼",
        "麻烦大家帮忙找找我舅舅马有福，住在贺兰县习岗镇新平路15号院",
    ],
)
def test_a_named_relatives_village_or_courtyard(text: str) -> None:
    assert kinds(text) == ["address"]


@pytest.mark.parametrize(
    "text",
    [
        "我舅舅住在贺兰县习岗镇，七十多了，身体还行",  # a town, no one named
        "灵武市东塔镇园艺村今天停电，大家相互转告",
        "和顺村3号院门口停电了",
        "新平路15号院门口修路，大家绕行",
    ],
)
def test_a_village_or_courtyard_without_a_named_resident(text: str) -> None:
    assert find_pii(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "我家0951-5012345，户主马建国，家里有事打这个",
        "登记一下：我家 0951-5127733，户主是杨桂花",
        "户主：刘志刚。我家0952-2012345，白天有老人在",
        "我妈家 0951-6012378，老人耳背多打几遍",
    ],
)
def test_a_line_with_its_area_code_right_after_the_home(text: str) -> None:
    assert kinds(text) == ["landline"]


@pytest.mark.parametrize(
    "text",
    [
        "商家0951-5012345",  # 家 alone is no home
        "我家那边的社区服务中心0951-5127733",
        "我家20230517装修完了，我叫马建国",  # no area code: a date as often
    ],
)
def test_a_number_after_a_home_that_is_no_households_line(text: str) -> None:
    assert find_pii(text) == []


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("我手机前七位1380951\n后四位2233，有事找我", "我手机前七位138****\n后四位2233，有事找我"),
        ("电话：前7位1399510\n后四位 7788", "电话：前7位139****\n后四位 7788"),
        ("我妈的手机号1590951\n后4位6672", "我妈的手机号159****\n后4位6672"),
    ],
)
def test_a_mobile_wrapped_with_the_words_for_its_last_digits(text: str, masked: str) -> None:
    assert kinds(text) == ["phone"]
    assert mask_pii(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "房号1302\n后四位那户漏水了",
        "今天收到1380951\n后四位2233的快递",  # no word says it is a phone
        "电话1380951\n明天2233块钱交了",  # a new line that says nothing of the number
    ],
)
def test_numbers_on_two_lines_that_make_no_phone(text: str) -> None:
    assert find_pii(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "我的手机号换了，新号 139 9510 7788，有事打新号",
        "跟大家说一声，我换号了，新号：1 5 8 0 9 5 1 6 6 7 2，老号不用了",
        "跟大家说一声，我换号了，新号：1 3 9 9 5 1 0 7 7 8 8，有事打新号",
        "我的手机号换了，有事打13995107788",
    ],
)
def test_a_residents_own_new_number_is_personal_data_not_a_lure(text: str) -> None:
    result = check(text)
    assert (result.verdict, result.kind) == ("pii", "phone")


@pytest.mark.parametrize(
    "text",
    [
        "妈，我换号了，新号 139 9510 7788，我在外地急需用钱，先转我2000",
        "我手机换号了，新号 186 0951 3344，加我微信，有急事找你帮忙，先别告诉别人",
        "老同学，我换了新号 137 0951 2255，最近手头有点紧，能借我三千吗",
        "我是你表哥，换新号了 139 9510 7788，明天来你家",  # who the sender claims to be
    ],
)
def test_a_new_number_that_asks_or_claims_a_relation_stays_a_lure(text: str) -> None:
    assert check(text).verdict == "scam"
