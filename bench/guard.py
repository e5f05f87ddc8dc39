"""Print the guard's cost: decision time per message, import time, peak memory, pictures.

    .venv/bin/python bench/guard.py [FILE ...]

Defaults to ../shared/eval/guard_dev.jsonl (when present) and tests/data/guard_holdout.jsonl.
Only prints figures. Targets: at most 1 ms median per ordinary chat message (the learned
model and the rule scripts together), at most 500 ms per picture (OCR and QR, which the
bot runs in a worker thread, off the event loop). The rule scripts alone (the guard
before its learned model) are timed in the same run for comparison.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_FILES = [
    ROOT.parent / "shared" / "eval" / "guard_dev.jsonl",
    ROOT / "tests" / "data" / "guard_holdout.jsonl",
]
REPEAT = 20
PICTURE_REPEAT = 10


def _texts(paths: list[Path]) -> list[str]:
    texts: list[str] = []
    for path in paths:
        if not path.is_file():
            print(f"skip {path}: not found")
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts


def _import_time() -> float:
    """Seconds to import guard.detect in a fresh interpreter (rules are built lazily)."""
    code = (
        "import time; t = time.perf_counter(); import guard.detect; print(time.perf_counter() - t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip())


def rules_only(text: str) -> object:
    """The guard before its learned model: personal data, then the rule scripts."""
    from guard import pii, scam

    phones = sum(f.kind == "phone" for f in pii.find_pii(text, published=True))
    return scam.assess(text, phones=phones)


def _timings(
    texts: list[str], repeat: int, decide: Callable[[str], object] | None = None
) -> list[float]:
    from guard.detect import check

    decide = decide or check
    samples: list[float] = []
    for _ in range(repeat):
        for text in texts:
            started = time.perf_counter_ns()
            decide(text)
            samples.append((time.perf_counter_ns() - started) / 1e6)
    return samples


def _pictures() -> None:
    """A chat screenshot, a poster and a QR poster, as the picture tests render them."""
    sys.path.insert(0, str(ROOT / "tests" / "unit"))
    from test_guard_picture import chat_screenshot, poster, qr_poster

    from guard.picture import check_picture

    pictures = {
        "chat screenshot": chat_screenshot(["宝妈兼职，在家用手机就能做", "一单佣金5到30元"], 1),
        "poster": poster(["社区文艺晚会", "本周六晚七点", "中心广场 欢迎参加"], 0),
        "QR poster": qr_poster("wxp://f2f0Kx8aB3nQ7pLm", ["扫码付款", "报名费二百元"]),
    }
    started = time.perf_counter()
    check_picture(pictures["poster"])
    print(f"first picture (load Tesseract) {(time.perf_counter() - started) * 1000:.1f} ms")
    for name, data in pictures.items():
        samples = []
        for _ in range(PICTURE_REPEAT):
            started_ns = time.perf_counter_ns()
            check_picture(data)
            samples.append((time.perf_counter_ns() - started_ns) / 1e6)
        _report(f"picture: {name}", samples)


def _report(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"{name:<28} n={len(samples):>6}  median {statistics.median(samples):.3f} ms  "
        f"p99 {p99:.3f} ms  max {ordered[-1]:.3f} ms"
    )


def main(argv: list[str]) -> None:
    paths = [Path(a) for a in argv] or DEFAULT_FILES
    texts = _texts(paths)
    print(f"import guard.detect          {_import_time() * 1000:.1f} ms (fresh interpreter)")

    from guard.detect import check

    started = time.perf_counter()
    check("刷单返利 加v abc123 一三八 幺二三四 五六七八")  # builds rules and pinyin table
    print(f"first call (build rules)     {(time.perf_counter() - started) * 1000:.1f} ms")

    _report("messages (both files)", _timings(texts, REPEAT))
    _report("  rule scripts alone (old)", _timings(texts, REPEAT, rules_only))
    latin = [t for t in texts if any("a" <= c.lower() <= "z" for c in t)]
    _report("  with Latin letters", _timings(latin, REPEAT))
    long_texts = ["，".join(texts[i : i + 40]) for i in range(0, len(texts), 40)]
    _report("long (~40 messages joined)", _timings(long_texts, 3))
    huge = ["".join(texts) * (1 + 100_000 // max(1, len("".join(texts))))]
    _report(f"huge ({len(huge[0]):,} chars)", _timings(huge, 2))

    tracemalloc.start()
    for text in texts:
        check(text)
    check(huge[0])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak memory while checking   {peak / 1024 / 1024:.2f} MiB (tracemalloc)")
    _pictures()


if __name__ == "__main__":
    main(sys.argv[1:])
