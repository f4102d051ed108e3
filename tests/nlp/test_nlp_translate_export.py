"""``nlp translate export``: the decoder step and the encoder as ONNX; the exported bundle translates exactly
as the eager network (greedy and beam, other batch sizes and lengths) in fp32, mostly the same in int8."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from carrousel.nlp.cli import main
from carrousel.nlp.config import DecodeConfig, TranslateExportConfig
from carrousel.nlp.pipeline.translate import Translator
from carrousel.nlp.pipeline.translate_deploy import export_translator
from carrousel.nlp.seq2seq_export import OnnxSeq2Seq

pytest.importorskip("onnxruntime")
pytestmark = pytest.mark.usefixtures("quick_latency")  # the latency figures are not checked here

SENTENCES = [
    "open the file",
    "close a file",
    "read",
    "open the file and read a file then close the file",
    "the file the file a",
    "read a file",
    "close",
]


@pytest.fixture(scope="module")
def trained(toy_translator: Path) -> Path:
    return toy_translator


def _texts(tr: Translator, beam: int, batch: int) -> list[tuple[str, float]]:
    found = tr.translate(SENTENCES, DecodeConfig(beam=beam, batch_size=batch))
    return [(t.text, t.score) for t in found]


def test_fp32_export_translates_as_eager(
    trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "fp32"
    args = ["--model", str(trained), "-o", str(out), "--precision", "fp32", "--json"]
    monkeypatch.setattr(sys, "argv", ["nlp", "translate", "export", *args])
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main()
    assert not done.value.code
    doc = json.loads(capsys.readouterr().out)
    assert doc["precision"] == "fp32" and doc["before"] == doc["after"]  # BLEU on the stored test split
    assert doc["before"] is not None and doc["check_max_abs_diff"] < 1e-4
    assert (out / "assets" / "model.fp32.onnx").stat().st_size > 1000
    assert (out / "assets" / "encoder.fp32.onnx").stat().st_size > 1000
    eager, deployed = Translator.from_pretrained(trained), Translator.from_pretrained(out)
    assert isinstance(deployed.network, OnnxSeq2Seq) and not isinstance(eager.network, OnnxSeq2Seq)
    assert deployed.network.encoder is not None  # the encoder runs in ONNX Runtime too
    for beam in (1, 3):
        for batch in (1, 3, 64):
            want, got = _texts(eager, beam, batch), _texts(deployed, beam, batch)
            assert [t for t, _ in got] == [t for t, _ in want]
            assert all(abs(a - b) < 1e-4 for (_, a), (_, b) in zip(got, want, strict=True))


def test_int8_export_mostly_agrees(trained: Path, tmp_path: Path) -> None:
    report = export_translator(TranslateExportConfig(str(trained), "int8", limit=0), tmp_path / "int8")
    assert report.precision == "int8" and report.before is None and report.after is None
    assert (tmp_path / "int8" / "assets" / "encoder.int8.onnx").is_file()
    assert report.onnx_bytes < (tmp_path / "int8" / "model.safetensors").stat().st_size * 1.2  # both graphs
    eager, deployed = Translator.from_pretrained(trained), Translator.from_pretrained(tmp_path / "int8")
    want, got = _texts(eager, 3, 8), _texts(deployed, 3, 8)
    same = sum(a == b for (a, _), (b, _) in zip(got, want, strict=True))
    assert same >= len(SENTENCES) - 2, (got, want)


def test_dynamo_exporter_is_refused_with_the_reason(trained: Path, tmp_path: Path) -> None:
    """The encoder's per-length cell state exports only through the torchscript exporter: a clear error."""
    from carrousel.core.errors import ExportError

    with pytest.raises(ExportError, match="torchscript"):
        export_translator(TranslateExportConfig(str(trained), "fp32", "dynamo", limit=0), tmp_path / "d")
    assert not (tmp_path / "d").exists()


def test_quiet_export_shows_nothing_on_stderr(
    trained: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """torch's C++ exporter warned '[W... shape_type_inference.cpp] Warning: The shape inference of
    prim::PackPadded type is missing' on stderr under -q."""
    args = ["--model", str(trained), "-o", str(tmp_path / "q"), "--precision", "fp32", "--limit", "0", "-q"]
    monkeypatch.setattr(sys, "argv", ["nlp", "translate", "export", *args])
    capfd.readouterr()
    with pytest.raises(SystemExit) as done:
        main()
    assert not done.value.code
    assert capfd.readouterr().err == ""


def test_an_exported_bundle_exports_again_from_its_weights(trained: Path, tmp_path: Path) -> None:
    """``nlp translate export --model EXPORTED``: it exports again from the weights it keeps, its BLEU 'before'
    the eager network's. Before, the report's bf16 figures decoded the exported folder and the command
    failed with '--precision bf16 runs a PyTorch network; an exported (ONNX) model runs its own fp32/int8
    file' (no --precision bf16 was given), leaving the new folder written behind it."""
    first = export_translator(TranslateExportConfig(str(trained), "int8"), tmp_path / "int8")
    again = export_translator(TranslateExportConfig(str(tmp_path / "int8"), "fp32"), tmp_path / "again")
    assert first.before is not None and again.before == first.before and again.after == first.before
    assert sorted(p.name for p in (tmp_path / "again" / "assets").glob("*.onnx")) == [
        "encoder.fp32.onnx",
        "model.fp32.onnx",
    ]
    eager, deployed = Translator.from_pretrained(trained), Translator.from_pretrained(tmp_path / "again")
    want, got = _texts(eager, 3, 8), _texts(deployed, 3, 8)  # fp32: as the eager network
    assert [t for t, _ in got] == [t for t, _ in want]
    assert all(abs(a - b) < 1e-4 for (_, a), (_, b) in zip(got, want, strict=True))
