"""Numbers given as options: NaN, infinities and integers beyond 64 bits are usage errors (exit 2, one line
naming the option) in every CLI, before any file is read; extreme but finite sampling temperatures sample.

Before, ``--temperature inf`` read 'temperature must be >= 0' (exit 1), ``--seed 99999999999999999999``
and ``--temperature 1e308`` ended in internal errors, and a range such as ``min=0`` let ``inf`` through.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from carrousel.core.cli_values import FloatRange, number_problem
from carrousel.core.decode.sampling import sample_next
from tests.hardening.conftest import Outcome, assert_clean_failure

CASES = [
    (["nlp", "generate", "run", "--model", "m", "--temperature", "inf"], "'--temperature': inf is not a finite"),
    (["nlp", "generate", "run", "--model", "m", "--seed", "99999999999999999999"], "'--seed': 99999999999999999999 is beyond 64 bits"),
    (["nlp", "translate", "evaluate", "--model", "m", "--pairs", "p.tsv", "--lexical-bias", "inf"], "'--lexical-bias': inf"),
    (["nlp", "translate", "train", "--pairs", "p.tsv", "-o", "o", "--lr", "inf"], "'--lr': inf"),
    (["finance", "predict", "--data", "d.csv", "--model-dir", "m", "-H", str(2**70)], "'--horizon'"),
    (["finance", "train-global", "--data", "d.csv", "--model-dir", "m", "--seed", str(2**64)], "'--seed'"),
    (["bio", "scan", "g.fa", "--pvalue", "-inf"], "'--pvalue'"),
    (["speech", "transcribe", "a.wav", "--lm-weight", "nan"], "'--lm-weight'"),
]  # fmt: skip


def test_number_problem() -> None:
    assert number_problem(float("nan")) and number_problem(float("-inf")) and number_problem(2**63)
    assert number_problem(-(2**63)) is None and number_problem(2**63 - 1) is None
    assert number_problem(1e308) is None and number_problem(True) is None and number_problem("inf") is None


@pytest.mark.parametrize("temperature", [5e-324, 1e-40, 1e-3, 1e30, 1e308])
def test_any_finite_temperature_samples_a_label_never_a_banned_one(temperature: float) -> None:
    logits = torch.tensor([[1.0, 2.0, 3.0, float("-inf")], [0.0, 0.0, 50.0, 1.0]])
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        got = sample_next(logits, temperature, generator=gen, banned=[0]).tolist()
        assert got[0] in (1, 2) and got[1] in (1, 2, 3)
        if temperature < 1e-2:
            assert got == [2, 2]  # as greedy


def test_ordinary_temperatures_draw_as_before() -> None:
    logits = torch.randn(4, 50, generator=torch.Generator().manual_seed(1))
    probs = torch.softmax(logits / 0.8, dim=-1)  # the float32 path, unchanged
    want = torch.multinomial(probs, 1, generator=torch.Generator().manual_seed(2)).squeeze(-1)
    assert torch.equal(sample_next(logits, 0.8, generator=torch.Generator().manual_seed(2)), want)


RANGED = [
    (["nlp", "translate", "train", "--pairs", "p.tsv", "-o", "o", "--lr", "nan"], "'--lr': nan is not a finite number"),
    (["nlp", "sentiment", "train", "--data", "d.csv", "-o", "o", "--dropout", "nan"], "'--dropout': nan is not a finite"),
    (["speech", "transcribe", "a.wav", "--lm-weight", "-inf"], "'--lm-weight': -inf is not a finite number"),
    (["nlp", "translate", "train", "--pairs", "p.tsv", "-o", "o", "--lr", "-1"], "'--lr': -1 is outside x>0"),
    (["nlp", "translate", "train", "--pairs", "p.tsv", "-o", "o", "--dropout", "0.99"], "0.99 is outside 0<=x<=0.95"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "needle"), CASES + RANGED, ids=lambda c: " ".join(c[:3] + c[-2:]) if isinstance(c, list) else ""
)
def test_non_finite_huge_and_out_of_range_numbers_are_usage_errors(
    invoke: Callable[..., Outcome],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    needle: str,
) -> None:
    """One line naming the option, exit 2, nothing written. typer checks ``min=``/``max=`` before the
    command's own number check: a NaN to a ranged option read 'should be greater than or equal to 0' (it
    is not a number at all)."""
    monkeypatch.chdir(tmp_path)
    outcome = invoke(*argv)
    assert_clean_failure(outcome, 2, needle)
    assert "greater than" not in outcome.stderr
    assert list(tmp_path.iterdir()) == []


def test_float_range() -> None:
    half_open = FloatRange(0.0, 1.0, high_open=True)
    assert half_open(" 0 ") == 0.0 and half_open("0.999") == 0.999 and half_open.describe() == "0<=x<1"
    for bad, says in [
        ("1", "1 is outside 0<=x<1"),
        ("-0.1", "outside"),
        ("nan", "not a finite"),
        ("x", "not a number"),
    ]:
        with pytest.raises(ValueError, match=says):
            half_open(bad)
    assert FloatRange(high=2.0)("2") == 2.0 and FloatRange(low=1.0).describe() == "x>=1"
