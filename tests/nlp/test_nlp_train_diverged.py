"""A diverged ``nlp generate|translate train`` (a learning rate far too large, in fp32 or bf16): the trainer
skips the steps whose loss or gradient is not finite, but the weights it kept make every held-out loss NaN.
Before: the bundle was saved, then ``--json`` exited 1 ("a result holds a non-finite number (nan); it is not
written") with the model folder left behind, and without ``--json`` the command exited 0 printing "perplexity
nan". Now one error line naming the fix, exit 1, and no model folder."""

from __future__ import annotations

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
