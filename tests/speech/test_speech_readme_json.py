"""The `--json` keys the speech README's Commands section lists are the keys each command prints.

The lists were written from one run of each command and nothing held them to the CLI. Each command runs here
on the shipped models (no training) and espeak-ng's "seven three nine two": transcribe (plain, and with
`--timestamps --nbest 2`), stream, evaluate on a one-line manifest and a two-utterance synth-corpus; train
runs one step of a one-layer, 8-unit network on eight tones, and export writes that model (fp32); the
samples commands are tests/test_readme_json_samples.py's.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from carrousel.speech.cli import app
from tests.readme_json import differences

runner = CliRunner()


@pytest.fixture(scope="module")
def wav(said: np.ndarray, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``said`` as a WAV file beside a one-line manifest holding it (``manifest.tsv``)."""
    folder = tmp_path_factory.mktemp("readme_json")
    sf.write(str(folder / "s.wav"), said, 16000)
    (folder / "manifest.tsv").write_text("path\ttranscript\ns.wav\tseven three nine two\n", encoding="utf-8")
    return folder / "s.wav"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """A one-step, one-layer, 8-unit model trained on eight one-second tones: (its folder, train's `--json`)."""
    folder = tmp_path_factory.mktemp("readme_json_train")
    rows = ["path\ttranscript"]
    for i in range(8):
        t = np.arange(16000) / 16000
        sf.write(str(folder / f"{i}.wav"), 0.3 * np.sin(2 * np.pi * (200.0 + 40 * i) * t), 16000)
        rows.append(f"{i}.wav\t{['go left', 'stop', 'turn right', 'yes'][i % 4]}")
    (folder / "m.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    args = ["train", "--data", str(folder / "m.tsv"), "--out", str(folder / "out"), "--epochs", "1"]
    args += ["--max-steps", "1", "--hidden", "8", "--layers", "1", "--threads", "1", "--val-fraction", "0.25"]
    args += ["--workers", "0", "--no-augment", "--json"]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    return folder / "out", json.loads(done.stdout)


def test_readme_lists_the_json_keys_train_prints(trained: tuple[Path, dict[str, object]]) -> None:
    assert differences("speech", "speech train", trained[1]) == []


def test_readme_lists_the_json_keys_export_prints(
    trained: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    args = ["export", "--model", str(trained[0]), "-o", str(tmp_path / "x"), "--precision", "fp32", "--json"]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    assert differences("speech", "speech export", json.loads(done.stdout)) == []


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("speech transcribe", lambda w, tmp: [str(w)]),
        ("speech transcribe", lambda w, tmp: [str(w), "--timestamps", "--nbest", "2"]),
        ("speech stream", lambda w, tmp: [str(w)]),
        ("speech evaluate", lambda w, tmp: ["--data", str(w.parent / "manifest.tsv")]),
        ("speech synth-corpus", lambda w, tmp: ["-o", str(tmp / "c"), "-n", "2", "--engine", "espeak-ng"]),
    ],
    ids=[
        "transcribe",
        "transcribe-timestamps-nbest",
        "stream",
        "evaluate",
        "synth-corpus",
    ],
)
def test_readme_lists_the_json_keys_the_command_prints(command: str, args, wav: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    done = runner.invoke(app, [*command.split()[1:], *args(wav, tmp_path), "--json"])
    assert done.exit_code == 0, done.output
    assert differences("speech", command, json.loads(done.stdout)) == []
