"""``speech train`` on Sphinx ``.mfc`` feature files: before, ``--data sample:tidigits`` (31 of its 32
utterances are ``.mfc``) failed on the first one as "not readable audio (Format not recognised.)",
without saying the sample holds features, not audio, nor what it is for. Now one line says so, names its
use (``speech evaluate --data sample:tidigits``, ``speech transcribe FILE.mfc``) and the fix, before any work."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

from carrousel.speech.cli import app

runner = CliRunner()


def _one_line_refusal(args: list[str]) -> str:
    res = runner.invoke(app, args)
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output and "not readable audio" not in res.output
    return " ".join(res.output.split())


def test_train_on_the_tidigits_sample_says_it_holds_features(real, tmp_path) -> None:
    real("tidigits")  # skips when `make data` has not cached it
    said = _one_line_refusal(["train", "--data", "sample:tidigits", "--out", str(tmp_path / "m")])
    assert "--data sample:tidigits holds CMU Sphinx's TIDIGITS digit strings" in said
    assert "Sphinx MFCC feature files (.mfc: 31 of 32 utterances), not audio" in said
    assert "speech evaluate --data sample:tidigits" in said and "speech transcribe FILE.mfc" in said
    assert not (tmp_path / "m").exists()


def test_train_on_a_manifest_listing_mfc_files_names_the_first(tmp_path, write_wav, tone) -> None:
    (tmp_path / "audio").mkdir()
    write_wav("audio/a.wav", tone(1.0))
    frames = np.zeros((120, 13), dtype=np.float32)
    mfc = tmp_path / "audio" / "c.mfc"
    mfc.write_bytes(np.int32(frames.size).tobytes() + frames.tobytes())
    m = tmp_path / "m.tsv"
    m.write_text("path\ttranscript\naudio/a.wav\tgo left\naudio/c.mfc\tone two\n", encoding="utf-8")
    said = _one_line_refusal(["train", "--data", str(m), "--out", str(tmp_path / "m")])
    assert f"the training data (--data) lists Sphinx MFCC feature files (first: {mfc})" in said
    assert "(.mfc: 1 of 2 utterances), not audio" in said and "speech evaluate --data FILE" in said
