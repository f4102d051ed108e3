"""``speech export --distill H``: a student acoustic model of ``H`` LSTM units per direction trained on the
full model's per-frame CTC posteriors (core's ``DistillationTask(kind="frames")``, padded frames masked)
mixed with its CTC loss, exported like the full model.

The fixtures are the pruned variant's (``conftest.py``: a tiny model trained two steps on a
synthesised digit corpus it records; 24 training and 8 held-out digit strings of other voices). The tiny
model shows the mechanics (shapes, summary, the bundle transcribes); the shipped recogniser the metric.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carrousel.speech.cli import app
from carrousel.speech.config import SpeechExportConfig
from carrousel.speech.deploy import export_recognizer
from carrousel.speech.errors import SpeechConfigError
from carrousel.speech.recognizer import Recognizer

CER_MARGIN = 0.05  # the distilled student's held-out CER may exceed the full model's by at most this


def test_distilled_student_shapes_and_bundle(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "distilled"
    args = ["export", "--model", str(tiny), "-o", str(out), "--distill", "8", "--finetune-epochs", "1"]
    res = CliRunner().invoke(app, [*args, "--precision", "fp32", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    distilled = doc["extra"]["distilled"]
    assert distilled["hidden_size"] == {"before": 32, "after": 8} and distilled["epochs"] == 1
    assert doc["parameters"] == distilled["parameters"]["after"] < distilled["parameters"]["before"]
    assert "the model's training corpora" in distilled["utterances"]["source"]
    assert "cer" in distilled["val_teacher"] and "cer" in distilled["val_student"]
    small = Recognizer.from_pretrained(out)
    assert small.runtime is not None and small.model.config.hidden == 8
    sd = small.model.state_dict()
    assert sd["encoder.rnn.weight_hh_l1_reverse"].shape == (32, 8)  # 4 gates x 8 units
    assert sd["head.weight"].shape[1] == 16  # both directions of 8
    manifest = json.loads(Path(out, "bundle.json").read_text())
    assert manifest["data"]["distilled"]["hidden_size"]["after"] == 8


def test_distilled_shipped_model_keeps_its_cer(corpora: dict[str, str], tmp_path: Path) -> None:
    cfg = SpeechExportConfig(
        data=(corpora["test"],),
        precision="fp32",
        distill=120,
        finetune_epochs=2,
        train_data=(corpora["train"],),
    )
    report = export_recognizer(cfg, tmp_path / "d120")
    distilled = report.extra["distilled"]
    assert distilled["hidden_size"] == {"before": 160, "after": 120}
    cer_full, cer_student = report.extra["cer_before"], report.extra["cer_after"]
    print(
        f"held-out CER full {cer_full:.3f}, distilled 120 {cer_student:.3f}; WER {report.before} -> {report.after}"
    )
    assert cer_full < 0.3 and cer_student <= cer_full + CER_MARGIN


def test_bad_distill_options(tiny: Path, tmp_path: Path) -> None:
    with pytest.raises(SpeechConfigError, match="one of them"):
        SpeechExportConfig(prune=0.5, distill=8)
    assert SpeechExportConfig(distill=8, train_data=("x.tsv",)).train_data == ("x.tsv",)
    with pytest.raises(SpeechConfigError, match="fewer LSTM units"):
        export_recognizer(SpeechExportConfig(model=str(tiny), distill=32), tmp_path / "x")
    res = CliRunner().invoke(
        app, ["export", "--model", str(tiny), "-o", str(tmp_path / "y"), "--distill", "64"]
    )
    assert res.exit_code == 1 and "--distill 64" in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1 and not (tmp_path / "y").exists()
