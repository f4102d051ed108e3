"""The acoustic model: shapes, batch = single, streaming = whole, bundle round trip, CTC guards."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from carrousel.core.bundle import load_bundle
from carrousel.core.errors import BundleError
from carrousel.speech.config import FeatureConfig
from carrousel.speech.errors import CTCLossError, StreamingError
from carrousel.speech.features import FeatureExtractor
from carrousel.speech.models import CTCModel, CTCModelConfig
from carrousel.speech.recognizer import Recognizer
from carrousel.speech.task import CTCTask, check_ctc_lengths, ctc_frames_needed
from carrousel.speech.text import ENGLISH


def small(bidirectional: bool = True) -> CTCModel:
    torch.manual_seed(0)
    cfg = CTCModelConfig(
        13, ENGLISH.size, hidden=24, layers=2, bidirectional=bidirectional, conv_channels=16, subsample=2
    )
    return CTCModel(cfg).eval()


def test_shapes_and_batch_equals_single() -> None:
    model = small()
    x, lengths = torch.randn(3, 41, 13), torch.tensor([41, 30, 7])
    lp, out = model(x, lengths)
    assert lp.shape == (3, 21, ENGLISH.size) and out.tolist() == [21, 15, 4]
    assert torch.allclose(lp.exp().sum(-1), torch.ones(3, 21), atol=1e-5)
    for b in range(3):
        alone, _ = model(x[b : b + 1, : lengths[b]], lengths[b : b + 1])
        assert torch.allclose(alone[0], lp[b, : out[b]], atol=1e-5)


def test_streaming_equals_whole_utterance() -> None:
    model = small(bidirectional=False)
    x = torch.randn(1, 57, 13)
    whole, _ = model(x, torch.tensor([57]))
    state, parts = model.init_stream(), []
    for chunk in torch.split(x, [3, 1, 9, 20, 24], dim=1):
        lp, state = model.stream(chunk, state)
        parts.append(lp)
    assert torch.allclose(torch.cat(parts, dim=1), whole, atol=1e-5)
    with pytest.raises(StreamingError, match="unidirectional"):
        small().init_stream()


def test_causal_features_stream_like_whole() -> None:
    fx = FeatureExtractor(FeatureConfig(normalize="causal"), torch.zeros(13), torch.ones(13))
    audio = np.random.default_rng(1).standard_normal(16000).astype(np.float32)
    whole = fx(audio)
    state = fx.norm_state()
    first = fx.normalize(fx.raw(audio[: 400 + 160 * 49]), state)  # 50 frames
    second = fx.normalize(fx.raw(audio[160 * 50 :], previous=float(audio[160 * 50 - 1])), state)
    assert torch.allclose(torch.cat([first, second]), whole, atol=1e-4)


def test_bundle_roundtrip(tmp_path) -> None:
    model = small()
    rec = Recognizer(model, ENGLISH, FeatureConfig(), np.zeros(13, np.float32), np.ones(13, np.float32))
    rec.save(tmp_path / "m", data={"corpus": "unit test"})
    manifest = json.loads((tmp_path / "m/bundle.json").read_text())
    assert manifest["kind"] == "speech.ctc" and manifest["assets"]["alphabet"][:2] == ["<blank>", " "]
    back = Recognizer.from_pretrained(tmp_path / "m")
    feats = [torch.randn(30, 13), torch.randn(12, 13)]
    for a, b in zip(rec.log_probs(feats), back.log_probs(feats), strict=True):
        assert np.allclose(a, b, atol=1e-6)
    assert back.alphabet == ENGLISH and back.features == FeatureConfig()
    with pytest.raises(BundleError, match=r"holds a model of kind speech\.ctc, not bio\.danq;"):
        load_bundle(tmp_path / "m", kind="bio.danq")
    (tmp_path / "m/model.safetensors").write_bytes(b"broken")
    with pytest.raises(BundleError, match="truncated or changed"):
        Recognizer.from_pretrained(tmp_path / "m")


def test_ctc_guards() -> None:
    assert ctc_frames_needed([1, 2, 2, 3]) == 5  # a blank must separate the doubled label
    task = CTCTask(ENGLISH)
    targets, lengths = torch.tensor([[5, 6, 6, 7]]), torch.tensor([4])
    with pytest.raises(CTCLossError, match="4 output frames for 4 target characters \\(CTC needs 5\\)"):
        check_ctc_lengths(torch.tensor([4]), targets, lengths)
    lp = torch.full((1, 6, ENGLISH.size), float("-inf"))
    lp[..., 0] = 0.0  # a model that only ever says blank: every path to the target has probability 0
    with pytest.raises(CTCLossError, match="infinite"):
        task.loss((lp.log_softmax(-1), torch.tensor([6])), (None, None, targets, lengths))
    ok = torch.randn(2, 6, ENGLISH.size).log_softmax(-1)
    ok[1] = lp[0].log_softmax(-1)  # one bad utterance in two: left out, counted
    loss = task.loss((ok, torch.tensor([6, 6])), (None, None, targets.repeat(2, 1), lengths.repeat(2)))
    assert torch.isfinite(loss) and task.infinite == 2


def test_a_one_layer_model_logs_no_dropout_warning(caplog: pytest.LogCaptureFixture) -> None:
    """CTCModelConfig's dropout (0.1 by default) also acts on the front end's output and before the head;
    with ``layers=1`` it was passed to the encoder too, where it does nothing: core's one-layer warning must
    not fire on every such run."""
    with caplog.at_level("WARNING", logger="carrousel"):
        model = CTCModel(CTCModelConfig(13, ENGLISH.size, hidden=8, layers=1, conv_channels=4, subsample=2))
    assert model.config.dropout > 0 and model.encoder.config.dropout == 0.0
    assert [r.getMessage() for r in caplog.records if "dropout" in r.getMessage()] == []
