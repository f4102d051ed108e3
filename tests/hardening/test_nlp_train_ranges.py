"""A bad share or chance given to ``nlp translate train`` / ``nlp sentiment train`` is a usage error (exit 2)
naming the flag and its range, before any file is read.

Before, ``--bpe-dropout 1.0`` passed the option's ``min=0`` and failed in the config's ``__post_init__``:
exit 1 with 'bpe_dropout must be in [0, 1), got 1.0' (the config field, not the flag, and no fix).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from carrousel.core.cli_values import FloatRange
from tests.hardening.conftest import Outcome, assert_clean_failure

TRANSLATE = ["nlp", "translate", "train", "--pairs", "p.tsv", "-o", "o"]
SENTIMENT = ["nlp", "sentiment", "train", "--data", "d.csv", "-o", "o"]
GENERATE = ["nlp", "generate", "train", "--text", "t.txt", "-o", "o"]
CASES = [
    ([*TRANSLATE, "--bpe-dropout", "1.0"], "'--bpe-dropout': 1 is outside 0<=x<1"),
    ([*TRANSLATE, "--valid", "1"], "'--valid': 1 is outside 0<x<1"),
    ([*TRANSLATE, "--valid", "0"], "'--valid': 0 is outside 0<x<1"),  # no validation pairs to stop on
    ([*TRANSLATE, "--test", "-0.5"], "'--test': -0.5 is outside 0<=x<1"),
    ([*TRANSLATE, "--vocab-size", "2000000"], "'--vocab-size'"),
    ([*SENTIMENT, "--val-fraction", "0"], "'--val-fraction': 0 is outside 0<x<1"),
    ([*SENTIMENT, "--val-fraction", "1"], "'--val-fraction': 1 is outside 0<x<1"),
    ([*SENTIMENT, "--vocab-size", "2000000"], "'--vocab-size'"),
    ([*SENTIMENT, "--max-length", "100001"], "'--max-length'"),
    # --threads 10**12 reached torch.set_num_threads: 'internal error (ValueError: Overflow when unpacking long)'
    ([*SENTIMENT, "--threads", str(10**12)], "'--threads': Input should be less than or equal to 256"),
    ([*TRANSLATE, "--threads", "257"], "'--threads': Input should be less than or equal to 256"),
    ([*GENERATE, "--threads", str(10**12)], "'--threads': Input should be less than or equal to 256"),
]


@pytest.mark.parametrize(
    ("argv", "needle"), CASES, ids=lambda c: " ".join(c[1:2] + c[-2:]) if isinstance(c, list) else ""
)
def test_bad_share_is_a_usage_error_naming_the_flag_and_range(
    invoke: Callable[..., Outcome],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    needle: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    outcome = invoke(*argv)
    assert_clean_failure(outcome, 2, needle)
    assert "must be in" not in outcome.stderr
    assert list(tmp_path.iterdir()) == []


def test_values_inside_the_range_pass_to_the_data_check(
    invoke: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert_clean_failure(invoke(*TRANSLATE, "--bpe-dropout", "0.99", "--valid", "0.001"), 1, "p.tsv")
    assert_clean_failure(invoke(*SENTIMENT, "--val-fraction", "0.999"), 1, "d.csv")


def test_help_shows_the_open_ranges(invoke: Callable[..., Outcome]) -> None:
    assert "[0<=x<1]" in " ".join(invoke(*TRANSLATE[:3], "--help").stdout.split())
    assert "[0<x<1]" in " ".join(invoke(*SENTIMENT[:3], "--help").stdout.split())


def test_open_bounds() -> None:
    both = FloatRange(0.0, 1.0, high_open=True, low_open=True)
    assert both("0.5") == 0.5 and both.describe() == "0<x<1"
    for bad in ("0", "1", "-1e-9"):
        with pytest.raises(ValueError, match="outside 0<x<1"):
            both(bad)
    assert FloatRange(0.0, low_open=True).describe() == "x>0"


def test_an_embedding_too_large_to_allocate_is_out_of_memory(
    invoke: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'--embed-dim 1000000000000' passes the option checks and fails allocating the embedding: one
    out-of-memory line and no output folder; before, an 'internal error (RuntimeError: [enforce fail at
    alloc_cpu.cpp:127] ...)' asking for a bug report."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "book.txt").write_text(
        "It was a bright cold day in April, and the clocks were striking.\\n" * 40
    )
    argv = [
        "nlp",
        "generate",
        "train",
        "--text",
        "book.txt",
        "-o",
        "lm",
        "--epochs",
        "1",
        "--tokenizer",
        "char",
    ]
    assert_clean_failure(invoke(*argv, "--embed-dim", str(10**12)), 1, "out of memory")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.txt"]
