"""``speech export --precision int8`` graphs: one packed bidirectional LSTM node per layer (no per-direction
reverse gathers), the convolutions float32 by default or, with ``--static-conv``, static int8 calibrated on
training features (synthesised speech for the shipped model, whose corpora are gone) and float32 again, with
the reason recorded, when there is nothing to calibrate on. Every graph gives the eager model's outputs at
batch sizes and lengths other than the export example's (3 utterances of 40 frames)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from carrousel.core.bundle import load_bundle
from carrousel.speech import calibrate
from carrousel.speech.config import SpeechExportConfig
from carrousel.speech.deploy import export_recognizer
from carrousel.speech.errors import SynthesisError
from carrousel.speech.recognizer import KIND, Recognizer

LENGTHS = ([17], [250, 40, 3, 199, 120], [64] * 9)  # batch 1, 5, 9; none of them the example's
AGREE = 0.98  # int8: share of valid output frames whose best class is eager's
MEAN_ABS = 0.03  # int8: mean |int8 - eager| of the log-probabilities of the best eager class


def _ops(folder: Path) -> tuple[dict[str, object], list[str]]:
    bundle = load_bundle(folder, kind=KIND)
    asset = bundle.assets["export"]
    return asset, [n.op_type for n in onnx.load_from_string(bytes(bundle.files[asset["file"]])).graph.node]


def _compare(folder: Path) -> tuple[float, float]:
    """Share of frames with eager's best class, and mean |difference| of its log-probability."""
    eager, deployed = Recognizer.from_pretrained(), Recognizer.from_pretrained(folder)
    assert deployed.runtime is not None
    g = torch.Generator().manual_seed(5)
    same, diff, n = 0, 0.0, 0
    for lengths in LENGTHS:
        feats = [torch.randn(t, eager.features.size, generator=g) for t in lengths]
        for a, b in zip(eager.log_probs(feats), deployed.log_probs(feats), strict=True):
            assert a.shape == b.shape
            best = a.argmax(-1)
            same += int((b.argmax(-1) == best).sum())
            diff += float(np.abs(np.take_along_axis(a - b, best[:, None], -1)).sum())
            n += len(best)
    return same / n, diff / n


@pytest.fixture(scope="module")
def int8(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("speech_int8") / "m"
    export_recognizer(SpeechExportConfig(precision="int8"), out)
    return out


def test_int8_graph_is_packed_lstm_float_conv_and_matches(int8: Path) -> None:
    asset, ops = _ops(int8)
    assert (
        ops.count("DynamicQuantizeLSTM") == 2
    )  # one bidirectional node per layer (was 4, one per direction)
    assert "GatherElements" not in ops and "LSTM" not in ops
    assert ops.count("Conv") == 2 and not {"ConvInteger", "QuantizeLinear"} & set(ops)
    assert asset["static_int8_ops"] == [] and "calibration" not in asset
    agree, mean_abs = _compare(int8)
    assert agree >= AGREE and mean_abs <= MEAN_ABS, (agree, mean_abs)


def test_static_conv_is_calibrated_on_synthesised_speech_and_matches(espeak: None, tmp_path: Path) -> None:
    torch.set_num_threads(1)
    report = export_recognizer(SpeechExportConfig(precision="int8", static_conv=True), tmp_path / "s")
    asset, ops = _ops(tmp_path / "s")
    assert str(asset["calibration"]).startswith(f"{calibrate.CALIBRATION_UTTERANCES} synthesised utterances")
    assert report.extra["calibration"] == asset["calibration"]
    assert asset["static_int8_ops"] == ["Conv"] and asset["calibration_batches"] == 3
    assert {"QuantizeLinear", "DequantizeLinear"} <= set(ops) and ops.count("Conv") == 2
    assert ops.count("DynamicQuantizeLSTM") == 2 and "ConvInteger" not in ops
    agree, mean_abs = _compare(tmp_path / "s")
    assert agree >= AGREE and mean_abs <= MEAN_ABS, (agree, mean_abs)


def test_static_conv_without_calibration_data_keeps_conv_float(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped model's recorded corpora are gone; with no synthesiser either, nothing to calibrate on."""

    def no_synth(*_: object, **__: object) -> None:
        raise SynthesisError("none of espeak-ng, flite is installed")

    monkeypatch.setattr(calibrate, "synth_corpus", no_synth)
    torch.set_num_threads(1)
    report = export_recognizer(SpeechExportConfig(precision="int8", static_conv=True), tmp_path / "n")
    asset, ops = _ops(tmp_path / "n")
    assert str(asset["calibration"]).startswith("none (") and "no synthesiser" in str(asset["calibration"])
    assert report.extra["calibration"] == asset["calibration"] and asset["static_int8_ops"] == []
    assert ops.count("Conv") == 2 and "QuantizeLinear" not in ops and ops.count("DynamicQuantizeLSTM") == 2
    agree, _ = _compare(tmp_path / "n")
    assert agree >= AGREE
