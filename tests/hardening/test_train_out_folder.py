"""A training command's ``--out`` that holds other files is refused before any training (the run folder is
written as a whole and would replace them), as ``finance`` and ``bio`` already did.

Before, ``nlp sentiment|generate|translate train`` and ``speech train`` trained the whole model and only
then failed when saving it (measured on tiny runs: 17 to 38 s of work thrown away).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from carrousel.core.train import Trainer
from tests.hardening.conftest import Outcome, assert_clean_failure
from tests.nlp.translate_toys import COMMANDS


def _sentiment(d: Path) -> list[str | Path]:
    rng = random.Random(0)
    rows = [f"{rng.choice(['good', 'fine', 'great'])} film,pos" for _ in range(20)]
    rows += [f"{rng.choice(['bad', 'dull', 'awful'])} film,neg" for _ in range(20)]
    (d / "d.csv").write_text("text,label\n" + "\n".join(rows) + "\n")
    return ["nlp", "sentiment", "train", "--data", d / "d.csv", "--tokenizer", "word", "--epochs", "1"]


def _generate(d: Path) -> list[str | Path]:
    (d / "t.txt").write_text("the cat sat on the mat. " * 100)
    return ["nlp", "generate", "train", "--text", d / "t.txt", "--tokenizer", "char", "--epochs", "1"]


def _translate(d: Path) -> list[str | Path]:
    rows = sorted({" ".join(random.Random(i).choices(list(COMMANDS), k=3)) for i in range(60)})
    (d / "p.tsv").write_text("".join(f"{r}\t{' '.join(COMMANDS[w] for w in r.split())}\n" for r in rows))
    args: list[str | Path] = ["nlp", "translate", "train", "--pairs", d / "p.tsv", "--vocab-size", "40"]
    return [*args, "--epochs", "1", "--members", "1", "--workers", "1"]


def _speech(d: Path) -> list[str | Path]:
    t = np.arange(16000) / 16000
    for i in range(4):
        sf.write(
            str(d / f"{i}.wav"), (0.3 * np.sin(2 * np.pi * (200 + 50 * i) * t)).astype(np.float32), 16000
        )
    (d / "m.tsv").write_text("path\ttranscript\n" + "".join(f"{i}.wav\tab\n" for i in range(4)))
    return ["speech", "train", "--data", d / "m.tsv", "--epochs", "1", "--hidden", "8", "--layers", "1"]


# The four training commands that had no early ``--out`` check, each as its arguments built on a folder.
_EVERY_TRAIN = pytest.mark.parametrize(
    "make", [_sentiment, _generate, _translate, _speech], ids=lambda f: f.__name__[1:]
)


@_EVERY_TRAIN
def test_out_holding_other_files_is_refused_before_training(
    invoke: Callable[..., Outcome],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make: Callable[[Path], list[str | Path]],
) -> None:
    fits: list[Any] = []
    real_fit = Trainer.fit
    monkeypatch.setattr(Trainer, "fit", lambda self, *a, **k: fits.append(1) or real_fit(self, *a, **k))
    prog, *args = make(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    outcome = invoke(prog, *args, "--out", out, "--device", "cpu")
    assert_clean_failure(outcome, 1, "new or empty folder")
    assert str(out) in outcome.stderr
    assert fits == [], "the model was trained before the folder was refused"
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "mine"


@_EVERY_TRAIN
def test_a_read_only_out_is_named_by_its_option(
    invoke: Callable[..., Outcome],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make: Callable[[Path], list[str | Path]],
) -> None:
    """A read-only folder for ``--out``: bio and finance said "--out /x/m: cannot create or write in /x
    (read-only)", nlp's and speech's train commands "/x/m: cannot create ..." without the option (their
    pipelines passed no name to core's output check). Now every one names it, by its flag to a CLI user.
    The folder is read-only by a patched check (root writes anywhere; tests never need root)."""
    from carrousel.core import files

    monkeypatch.setattr(files, "creatable_in", lambda folder: "read-only")
    prog, *args = make(tmp_path)
    out = tmp_path / "ro" / "m"
    out.parent.mkdir()
    outcome = invoke(prog, *args, "--out", out, "--device", "cpu")
    assert_clean_failure(outcome, 1, "read-only")
    assert f"--out {out}: cannot create or write in {out.parent} (read-only)" in outcome.stderr


def test_a_read_only_out_is_named_by_its_python_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same check from Python names the argument as a Python caller passes it: ``out='/x/m'``."""
    from carrousel.core import files
    from carrousel.core.errors import ConfigError
    from carrousel.nlp.config import SentimentTrainConfig, TextDataConfig
    from carrousel.nlp.pipeline.sentiment import train_sentiment
    from carrousel.speech.config import TrainConfig
    from carrousel.speech.pipeline import train

    monkeypatch.setattr(files, "creatable_in", lambda folder: "read-only")
    _sentiment(tmp_path)
    _speech(tmp_path)
    out = tmp_path / "ro" / "m"
    out.parent.mkdir()
    expected = re.escape(
        f"out='{out}': cannot create or write in {out.parent} (read-only); choose a writable folder"
    )
    with pytest.raises(ConfigError, match=f"^{expected}$"):
        train_sentiment(SentimentTrainConfig(data=TextDataConfig(str(tmp_path / "d.csv"))), out)
    with pytest.raises(ConfigError, match=f"^{expected}$"):
        train(TrainConfig(data=(str(tmp_path / "m.tsv"),)), out)
