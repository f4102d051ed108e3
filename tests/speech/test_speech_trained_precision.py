"""``speech transcribe`` and ``speech evaluate`` say in ``--json`` how the model they load was trained
(``trained_precision``: its bundle's record, read by :mod:`carrousel.core.provenance`; fp32 for a bundle saved
before the record) beside the run's arithmetic (``precision``), and ``evaluate`` in its summary line.
Before: neither key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import soundfile as sf

from carrousel.speech.config import TrainConfig
from carrousel.speech.pipeline import train
from tests.speech.conftest import make_tone


@pytest.fixture(scope="module")
def tones(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """8 one-second tones labelled "yes" / "no" in turn (test_speech_train_precision's corpus), and a tiny
    model trained two epochs on them in fp32 and in bf16 (about a second each)."""
    root = tmp_path_factory.mktemp("tones")
    rows = ["path\ttranscript"]
    for i in range(8):
        sf.write(str(root / f"u{i}.wav"), make_tone(1.0, freq=120.0 + 30 * i), 16000, subtype="PCM_16")
        rows.append(f"u{i}.wav\t{'yes' if i % 2 else 'no'}")
    (root / "m.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    made = {"manifest": root / "m.tsv", "wav": root / "u0.wav"}
    for precision in ("fp32", "bf16"):
        cfg = TrainConfig(
            data=(str(root / "m.tsv"),), val_fraction=0.0, hidden=16, layers=1, conv_channels=16, epochs=2,
            batch_seconds=8.0, workers=0, device="cpu",
            precision=precision,  # type: ignore[arg-type]  # checked by TrainConfig
        )  # fmt: skip
        train(cfg, root / precision)
        made[precision] = root / precision
    return made


def _transcribe(files: dict[str, Path], model: Path) -> list[str | Path]:
    return ["transcribe", files["wav"], "--model", model]


def _evaluate(files: dict[str, Path], model: Path) -> list[str | Path]:
    return ["evaluate", "--data", files["manifest"], "--model", model]


COMMANDS = {"transcribe": _transcribe, "evaluate": _evaluate}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("trained", ["fp32", "bf16"])
def test_a_command_that_loads_a_model_reports_how_it_was_trained(
    invoke: Any, tones: dict[str, Path], command: str, trained: str
) -> None:
    outcome = invoke("speech", *COMMANDS[command](tones, tones[trained]), "--json")
    assert outcome.code == 0, outcome.stderr
    doc = json.loads(outcome.stdout)
    doc = doc["transcripts"][0] if "transcripts" in doc else doc  # transcribe: an entry per file
    assert (doc["trained_precision"], doc["precision"]) == (trained, "fp32"), doc


def test_the_run_precision_and_the_summary_line(invoke: Any, tones: dict[str, Path]) -> None:
    outcome = invoke("speech", *_transcribe(tones, tones["fp32"]), "--precision", "bf16", "--json")
    assert outcome.code == 0, outcome.stderr
    [doc] = json.loads(outcome.stdout)["transcripts"]
    assert (doc["trained_precision"], doc["precision"]) == ("fp32", "bf16")
    assert {"path", "text", "seconds", "confidence"} <= set(doc)  # the transcript's keys stay
    outcome = invoke("speech", *_evaluate(tones, tones["bf16"]))
    assert outcome.code == 0 and "model trained in bf16, run in fp32" in outcome.stdout, outcome.stdout
