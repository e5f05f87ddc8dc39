"""guard.wave: fingerprints of lures, what counts as the same lure, and when a wave starts."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from broadcasts.render import SAMPLE_STATION, render_template
from core.templates import literal_template
from guard import wave

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
HOUR = timedelta(minutes=60)
LURE = "【兼职】在家刷单，垫付本金立返佣金15%，日结不押金，加微信 sd88866 带你做第一单"
# The same lure as a scammer re-posts it: words swapped, spacing, a disguised handle.
ALTERED = [
    "【兼职】在家刷单,垫付本金立即返佣金20%，日结 不押金，加薇信 sd88866带你做第一单！！",
    "兼职 在 家 刷 单，垫付本金 立返佣金15%，日结不押金，＋V sd88866 带你做第一单",
    "【兼職】在家刷單，墊付本金立返傭金15%，日結不押金，加微信 xy12345 帶你做第一單",
    "【兼职】在家刷单，垫付本金立返佣金百分之十五，日结不押金，加微信sd88866，带你做第一单哦",
]
# Other lures, some of the same kind (刷单 too): different words, no handle in common.
OTHERS = [
    "宝妈学生在家动动手指日赚三百，名额有限，想了解的私我",
    "【医保局】您的医保卡异常即将停用，请点击 yb-jihuo.top 重新激活，逾期作废",
    "抖音点赞员招聘，一单一结，点赞一个3元，下载app注册领取首单佣金 vx: dz2024aa",
    "您好，我是快递理赔专员，您的包裹丢失，我们将三倍赔偿，请扫码添加客服办理退款",
    "刷单返利兼职：手机就能做，时间自由，每天200-500，垫资少回款快，加扣扣 88665544",
]


def fp(text: str, codes: tuple[str, ...] = ()) -> wave.Fingerprint:
    return wave.fingerprint(text, codes)


def exact(a: str, b: str) -> float:
    x, y = wave.shingles(wave.shape(a)), wave.shingles(wave.shape(b))
    return len(x & y) / len(x | y)


def test_shape_masks_numbers_and_undoes_disguises() -> None:
    assert wave.shape("加 Ｖ：ＳＤ８８８６６，电话 139 1234 5678！") == "加vsd88866电话1395678"
    assert wave.shape("刷-单-返-利") == wave.shape("刷单返利")


def test_altered_copies_are_the_same_lure_and_other_lures_are_not() -> None:
    for text in ALTERED:
        assert wave.similarity(fp(LURE).signature, fp(text).signature) >= 0.5, text
        assert wave.same_lure(fp(LURE), fp(text), 0.5)
    for a, b in itertools.combinations([LURE, *OTHERS], 2):
        assert wave.similarity(fp(a).signature, fp(b).signature) < 0.3, (a, b)
        assert not wave.same_lure(fp(a), fp(b), 0.5), (a, b)


def test_the_signature_estimates_the_exact_similarity() -> None:
    """MinHash with 128 hashes: the standard error is at most 0.044, so no pair of these
    is off by more than 0.15 (over 3 standard errors); the hashes are fixed, so the same
    pair always gives the same estimate."""
    texts = [LURE, *ALTERED, *OTHERS]
    for a, b in itertools.combinations(texts, 2):
        estimate = wave.similarity(fp(a).signature, fp(b).signature)
        assert abs(estimate - exact(a, b)) <= 0.15, (a, b, estimate, exact(a, b))
    assert wave.similarity(fp(LURE).signature, fp(LURE).signature) == 1.0
    assert fp(LURE) == fp(LURE)


def test_the_lure_corpus_keeps_different_lures_apart() -> None:
    """Over the guard corpus's lures of different scripts, how many pairs read as one lure
    by their text alone: under 1 %."""
    corpus = Path(__file__).resolve().parents[2] / "guard" / "corpus"
    lures: dict[str, list[str]] = {}
    for path in sorted(corpus.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("label") == "scam" and row.get("script"):
                lures.setdefault(row["script"], []).append(row["text"])
    picked = [(script, text) for script, texts in sorted(lures.items()) for text in texts[:6]]
    assert len(picked) >= 60
    signatures = [(script, fp(text).signature) for script, text in picked]
    pairs = [(a, b) for (sa, a), (sb, b) in itertools.combinations(signatures, 2) if sa != sb]
    alike = sum(1 for a, b in pairs if wave.similarity(a, b) >= 0.5)
    assert alike / len(pairs) < 0.01, (alike, len(pairs))


def test_handles_are_found_however_they_are_written() -> None:
    assert wave.handles("加微信 sd88866") == wave.handles("＋Ｖ：ＳＤ８８８６６") == {"id:sd88866"}
    assert wave.handles("扣扣：一八四三九二零五七一 了解") == {"id:1843920571"}
    assert (
        wave.handles("电话 139 1234 5678")
        == wave.handles("联系一三九一二三四五六七八")
        == {"tel:13912345678"}
    )
    assert wave.handles("点 www.kd-lipei.xyz/a?b=1 领取") == {"web:kd-lipei.xyz"}
    assert wave.handles("进群 https://t.me/fuli888 领") == {"web:t.me/fuli888"}
    # A shortener's host names nothing by itself: its path does.
    assert wave.handles("点 dwz.cn/Ab3d 领 或 t.cn 看") == {"web:dwz.cn/ab3d"}
    assert wave.handles("详见 https://www.nmpa.gov.cn/x 通知") == set()  # a trusted host
    assert wave.handles("", ("wxp://f2f0abc",)) == {"qr:wxp://f2f0abc"}
    # The station's public number is not a lure's contact.
    assert wave.handles("打 13800000000 咨询", exempt=frozenset({"13800000000"})) == set()


def test_a_different_text_with_the_same_handle_is_the_same_lure() -> None:
    a = fp("宝妈在家动动手指日赚三百 加V sd88866")
    b = fp("【急招】刷单员一单一结，联系微信：sd88866")
    assert wave.similarity(a.signature, b.signature) < 0.5 and wave.same_lure(a, b, 0.5)


def test_what_is_stored_gives_back_neither_text_nor_number() -> None:
    found = fp(f"{LURE} 电话 13912345678")
    signature, digests = found.encode()
    assert (
        len(signature) == 8 * wave.HASHES and wave.Fingerprint.decode(signature, digests) == found
    )
    assert "13912345678" not in digests and "sd88866" not in digests
    assert len(digests.split()) == 2 and all(len(d) == wave.HANDLE_DIGEST for d in digests.split())
    assert fp("，。！ ").empty and not fp("", ("wxp://x",)).empty
    assert wave.Fingerprint.decode("not hex", "").empty  # a damaged row matches nothing


def seen(
    n: int, group: int, minutes: float = 0, text: str = LURE, w: int | None = None
) -> wave.Sighting:
    return wave.Sighting(n, group, T0 + timedelta(minutes=minutes), fp(text), w)


def assess(new: wave.Sighting, earlier: list[wave.Sighting], needed: int = 3) -> wave.Verdict:
    return wave.assess(new, earlier, groups_needed=needed, window=HOUR, threshold=0.5)


def test_a_wave_starts_at_the_third_group_not_the_second() -> None:
    assert not assess(seen(2, 11, 5), [seen(1, 10)]).starts
    third = assess(seen(3, 12, 30, ALTERED[0]), [seen(1, 10), seen(2, 11, 5)])
    assert third.starts and third.groups == {10, 11, 12} and third.matched == (1, 2)
    assert assess(seen(3, 12), [seen(1, 10), seen(2, 11)], needed=4).starts is False


def test_the_same_group_twice_counts_once_and_other_lures_not_at_all() -> None:
    earlier = [seen(1, 10), seen(2, 10, 1), seen(3, 11, 2, OTHERS[1]), seen(4, 12, 3, OTHERS[2])]
    verdict = assess(seen(5, 11, 4), earlier)
    assert not verdict.starts and verdict.groups == {10, 11} and verdict.matched == (1, 2)


def test_only_sightings_within_the_window_count_before_or_after() -> None:
    earlier = [seen(1, 10, -61), seen(2, 11, 0), seen(3, 12, 61)]
    assert not assess(seen(4, 13, 0), earlier).starts
    assert assess(seen(4, 13, 0), [seen(1, 10, -60), seen(2, 11, 0)]).starts
    # A backlog handled out of order: a later sighting is counted with an earlier one.
    assert assess(seen(4, 13, 0), [seen(2, 11, 0), seen(3, 12, 59)]).starts


def test_a_sighting_of_a_wave_under_way_joins_it() -> None:
    earlier = [seen(1, 10, 0, w=7), seen(2, 11, 1, w=7), seen(3, 12, 2, w=7)]
    verdict = assess(seen(4, 13, 10, ALTERED[1]), earlier)
    assert verdict.join == 7 and not verdict.starts
    assert assess(seen(5, 10, 10, OTHERS[0]), earlier).join is None


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_a_literal_template_renders_to_exactly_its_text(text: str) -> None:
    if not text.strip():
        return
    rendered = render_template(literal_template(text), SAMPLE_STATION, date(2026, 12, 6))
    assert rendered == text.replace("\r\n", "\n").replace("\r", "\n").strip()


def test_a_literal_template_does_not_run_template_syntax() -> None:
    text = "{{ station.name }} {% for x in range(9) %}x{% endfor %} {# c #} {%- raw %}"
    assert render_template(literal_template(text), SAMPLE_STATION, date(2026, 12, 6)) == text
