"""Issue 19: a specific person's private matters told in the group (guard/personal.py, the
learned personal-matter model), and the number, plate, address and class forms the rules
missed. Development set personal_v17, self-written from the class briefs before any
measurement (not an eval set); a third of each class, ``"part": "held"``, never tuned on.
Before this work: tuned 21 of 48 personal lines and 0 of 31 false alarms, held-out 7 of
22 and 0 of 15 (22 of 37 held-out lines right)."""

from __future__ import annotations

from pathlib import Path

import pytest

from guard import personal
from guard.detect import check
from tests.unit.test_guard_pii import development_lines, development_set, kinds, right_for_its_kind

# Held-out lines right when the model and rules were done: 34 of 37 (19 of 22 personal,
# 15 of 15 no alarm). A floor, not a target: these lines are never tuned on.
HELD_RIGHT = 34


def test_development_set_v17() -> None:
    tuned, held_right = development_set("personal_v17.jsonl")
    assert tuned == []
    assert held_right >= HELD_RIGHT


@pytest.mark.parametrize(
    "text",
    [
        "老杨家那口子得了尿毒症，一周要透析三次",
        "听说6号楼的韩刚以前贩过毒，判了好几年",
        "跟你们说，门口卖水果的老贺欠了一屁股网贷",
        "对门的小刘两口子在闹离婚，天天吵",
    ],
)
def test_a_neighbours_private_matter_is_personal(text: str) -> None:
    assert check(text).verdict == "pii", text  # by the model, or a rule (a named record)


@pytest.mark.parametrize(
    "text",
    [
        "我妈有糖尿病，每天要打胰岛素，社区医院能开吗",
        "网贷千万别碰，利滚利还不起",
        "新闻说某演员吸毒被抓了",
        "社区公告：周六上午糖尿病健康讲座，地点活动中心",
        "老杨家那口子包的饺子真香",
        "王医生是看糖尿病的专家，周三坐诊",
        "小区里有人被拘留了，不知道什么事",
    ],
)
def test_the_same_words_of_no_one_or_the_same_people_in_everyday_talk_are_ok(
    text: str,
) -> None:
    assert check(text).verdict == "ok", text


def test_the_model_is_read_only_with_a_person_and_a_matter() -> None:
    assert personal.seen("老杨家那口子得了尿毒症").gated
    assert not personal.seen("尿毒症透析医保能报多少").gated  # no one
    assert not personal.seen("老杨家那口子包的饺子真香").gated  # no matter
    assert personal.default_model().probability("尿毒症透析医保能报多少") == 0.0


def test_the_model_is_cached_by_content(tmp_path: Path) -> None:
    examples = [
        personal.PersonalExample("老王查出来肺癌了", "pii"),
        personal.PersonalExample("王姐欠了好几个网贷", "pii"),
        personal.PersonalExample("老王是肿瘤科的大夫", "ok"),
        personal.PersonalExample("王姐说网贷千万别碰", "ok"),
    ]
    first = personal.build(examples, cache_dir=tmp_path)
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".json", ".npz"]
    again = personal.build(examples, cache_dir=tmp_path)
    text = "老王欠了网贷"
    assert first.probability(text) == pytest.approx(again.probability(text))


@pytest.mark.parametrize(
    "text",
    [
        "宁B·7K231 是物业刘经理的车",
        "甘A-3X902 是不是那个医生的车？天天停我车位",
        "青A 6C118 车主是楼下开面馆的马老板",
    ],
)
def test_a_plates_owner_by_title_or_job(text: str) -> None:
    assert "plate" in kinds(text)


def test_a_named_homes_address_after_a_colon() -> None:
    assert "address" in kinds("马丽华家：金凤区满城街道紫云小区6-1-802")


def test_a_womans_door_with_her_name_and_her_work() -> None:
    assert "address" in kinds("601那个姑娘叫周敏，在税务局上班，一个人住")
    assert kinds("601那个姑娘天天在楼道里打电话") == []


def test_a_households_child_in_a_class_at_a_school() -> None:
    assert "child" in kinds("老韩家的孙子在回民小学二年级3班")
    assert "child" in kinds("杨家闺女在一中高二，年级倒数")
    assert kinds("我家孩子在一中高二3班") == []


# Development set personal_v25_dev (self-written before any change, a third held out):
# a titled or located neighbour's money and valuables (class 1), a home empty on given days
# (2), an illness or operation told by a role or kinship with who is at home (3), plates
# tied to their owner by what the owner did (4: rules of guard/pii.py, not this model; left
# as found), and 36 hard negatives. Before: held-out 7 of 15 personal (classes 1-3), 0 of 3
# plates, no false alarm of 12; with corpus v25 and its matters (a helper's two-model
# version): 12 of 15, 0 of 3, no false alarm. A floor, not a target.
V25_HELD_RIGHT = 24
# Tuned lines still missed, left as found: told as what someone else said (门卫说…, 白姐说…)
V25_TUNED_MISSES = {
    "门卫说12栋的孙总全家春节去三亚，要初十才回",
    "白姐说她家下个月一号到十号去西安，让我帮忙收快递",
}


def test_development_set_v25() -> None:
    rows = development_lines("personal_v25_dev.jsonl")
    tuned = {
        r["text"]
        for r in rows
        if r["part"] == "tune" and r["class"] != "4" and not right_for_its_kind(r)
    }
    assert tuned <= V25_TUNED_MISSES, tuned - V25_TUNED_MISSES
    assert sum(right_for_its_kind(r) for r in rows if r["part"] == "held") >= V25_HELD_RIGHT


@pytest.mark.parametrize(
    "text",
    [
        "对门老刘家每个礼拜五下午就回乡下，家里一直空到礼拜天晚上",
        "楼上马叔刚拿了一百多万的拆迁补偿，这两天老往银行跑",
        "咱们单元的海哥做生意发了，家里光茅台就藏了两柜子",
    ],
)
def test_a_neighbours_money_or_empty_home_is_personal(text: str) -> None:
    assert personal.seen(text).gated
    assert check(text).verdict == "pii", text


def test_a_stay_in_hospital_alone_is_no_matter() -> None:
    assert not personal.seen("李娟住院了，在人民医院住院部3号楼").gated
