"""``speech export``: the shipped recogniser as ONNX (fp32 and int8), run by the recogniser through ONNX
Runtime. fp32 reproduces the eager model (log-probabilities at other batch sizes and lengths, identical
transcripts); int8 keeps the character error rate within 0.03 of eager on real and synthesised speech."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from typer.testing import CliRunner

from carrousel.speech.cli import app
from carrousel.speech.config import SpeechExportConfig
from carrousel.speech.deploy import export_recognizer
from carrousel.speech.metrics import error_rates, score_utterance
from carrousel.speech.recognizer import Recognizer
from carrousel.speech.synth import Voice, synthesize

INT8_CER_MARGIN = 0.03  # int8 CER may exceed eager CER by at most this (absolute)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    torch.set_num_threads(1)
    tmp = tmp_path_factory.mktemp("speech_export")
    out = {}
    for precision in ("fp32", "int8"):
        export_recognizer(SpeechExportConfig(precision=precision), tmp / precision)
        out[precision] = tmp / precision
    return out


def test_fp32_log_probs_equal_eager_at_other_sizes(exported: dict[str, Path]) -> None:
    eager, deployed = Recognizer.from_pretrained(), Recognizer.from_pretrained(exported["fp32"])
    assert eager.runtime is None and deployed.runtime is not None
    g = torch.Generator().manual_seed(5)
    for lengths in ([17], [250, 40, 3, 199, 120], [64] * 9):  # batch 1, 5, 9; lengths unlike the example
        feats = [torch.randn(n, eager.features.size, generator=g) for n in lengths]
        a, b = eager.log_probs(feats), deployed.log_probs(feats)
        assert [x.shape for x in a] == [x.shape for x in b]
        assert max(float(np.abs(x - y).max()) for x, y in zip(a, b, strict=True)) < 1e-3


def _clips(folder: Path) -> list[tuple[str, str]]:
    texts = ["three seven one", "nine oh two five", "eight four six"]
    voices = ("en-us+m3", "en+f2", "en-gb+m1")
    out = []
    for i, (text, voice) in enumerate(zip(texts, voices, strict=True)):
        x, rate = synthesize(text, Voice("espeak-ng", voice, 160.0, 50.0))
        path = folder / f"clip{i}.wav"
        sf.write(str(path), x, rate)
        out.append((str(path), text))
    return out


def _transcribe(model: Path | None, clips: list[tuple[str, str]]) -> tuple[list[str], float]:
    texts = [t.text for t in Recognizer.from_pretrained(model).transcribe_files([p for p, _ in clips])]
    cer = error_rates([score_utterance(p, ref, hyp) for (p, ref), hyp in zip(clips, texts, strict=True)]).cer
    return texts, cer


def test_transcripts_fp32_identical_int8_within_margin(exported, real, espeak, tmp_path: Path) -> None:
    clips = [(str(p), t) for p, t in real("tidigits")[:8]] + _clips(tmp_path)
    eager, eager_cer = _transcribe(None, clips)
    fp32, _ = _transcribe(exported["fp32"], clips)
    _, int8_cer = _transcribe(exported["int8"], clips)
    assert fp32 == eager and any(eager)
    assert int8_cer <= eager_cer + INT8_CER_MARGIN


def test_cli_export_reports_and_transcribe_runs_it(tmp_path: Path) -> None:
    out = tmp_path / "m"
    res = CliRunner().invoke(app, ["export", "-o", str(out), "--precision", "int8", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["kind"] == "speech.ctc" and doc["precision"] == "int8" and doc["parameters"] > 1_000_000
    assert doc["onnx_bytes"] < doc["source_bytes"] / 2 and set(doc["latency_ms"]) == {"1", "64"}
    assert doc["before"] is None and (out / "assets" / "model.int8.onnx").is_file()
    wav = tmp_path / "a.wav"
    x, rate = synthesize("two five", Voice("espeak-ng", "en-us+m3", 160.0, 50.0))
    sf.write(str(wav), x, rate)
    res = CliRunner().invoke(app, ["transcribe", "--model", str(out), str(wav), "--json"])
    assert res.exit_code == 0, res.output
    want = next(Recognizer.from_pretrained(out).transcribe_files([str(wav)])).text
    assert want and json.loads(res.stdout)["transcripts"][0]["text"] == want
