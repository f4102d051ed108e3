"""The shipped English recogniser: it loads without --model and keeps its measured accuracy on real
recordings it never saw (deterministic: fixed weights, no randomness at inference)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from carrousel.core.errors import ConfigError
from carrousel.speech.config import DecodeConfig, EvaluateConfig, TranscribeConfig
from carrousel.speech.pipeline import evaluate, load_model
from carrousel.speech.recognizer import shipped_model_path


def test_shipped_bundle_loads() -> None:
    rec = load_model()
    manifest = json.loads((shipped_model_path() / "bundle.json").read_text())
    assert manifest["kind"] == "speech.ctc" and rec.model.config.bidirectional
    assert rec.features.f_max == 4000.0 and rec.lm_text and rec.word_lm() is not None
    assert (shipped_model_path() / "model.safetensors").stat().st_size < 8 << 20  # a few MB


def test_shipped_model_in_bf16_scores_like_fp32() -> None:
    """bf16 autocast of the network (``Recognizer(precision=...)``, through core): finite, frame
    probabilities within 0.02 of fp32 and the same greedy labels on random features of real lengths (the
    log-probabilities themselves are bf16-rounded: 0.125 steps near -20); fp16 on the CPU is one line."""
    full, half = load_model(), load_model(precision="bf16")
    g = torch.Generator().manual_seed(0)
    feats = [torch.randn(n, full.features.size, generator=g) for n in (150, 90)]
    for a, b in zip(full.log_probs(feats), half.log_probs(feats), strict=True):
        assert a.shape == b.shape and np.isfinite(b).all() and 0 < np.abs(np.exp(a) - np.exp(b)).max() < 0.02
        assert (a.argmax(1) == b.argmax(1)).mean() >= 0.95
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="precision='fp16' needs a CUDA or MPS device"):
            load_model(precision="fp16")


@pytest.mark.parametrize(("beam", "max_wer", "max_cer"), [(1, 0.72, 0.45), (8, 0.53, 0.4)])
def test_real_tidigits_accuracy(real, beam: int, max_wer: float, max_cer: float) -> None:
    real("tidigits")
    cfg = EvaluateConfig(
        data=("sample:tidigits",), transcribe=TranscribeConfig(decode=DecodeConfig(beam=beam))
    )
    totals = evaluate(cfg).totals
    assert totals.words == 112 and totals.wer < max_wer and totals.cer < max_cer


def test_real_letters_accuracy(real) -> None:
    real("klettres_en")
    totals = evaluate(EvaluateConfig(data=("sample:klettres_en",))).totals
    assert totals.wer < 0.55  # 26 letters of one American speaker, greedy


def test_real_british_letters_accuracy(real) -> None:
    real("klettres_en_gb")
    cfg = EvaluateConfig(
        data=("sample:klettres_en_gb",), transcribe=TranscribeConfig(decode=DecodeConfig(beam=8))
    )
    assert evaluate(cfg).totals.wer < 0.66  # 26 letters of one British speaker (v1: 0.69)


def test_shipped_streaming_model_on_real_digits(real) -> None:
    """The streaming model, greedy as `speech stream` decodes, on real TIDIGITS (v1 scored CER 0.88)."""
    real("tidigits")
    model = str(shipped_model_path("stream"))
    totals = evaluate(
        EvaluateConfig(data=("sample:tidigits",), transcribe=TranscribeConfig(model=model))
    ).totals
    assert totals.words == 112 and totals.cer < 0.65 and totals.wer < 0.9


def test_nbest_gives_distinct_alternatives_on_real_recordings(real) -> None:
    """`--nbest 3` (beam raised to 3) on the real American and British letters and the playing cards:
    3 distinct alternatives each, the transcript the beam's best. Beam prefixes that differ only in spaces
    ("w", "w ") are one text once trimmed; a beam of 3 returned 2 alternatives for 5 of these 57 files
    until the search was widened to find N distinct texts."""
    files = [p for group in ("klettres_en", "klettres_en_gb", "cards") for p, _ in real(group)]
    rec = load_model()
    three = DecodeConfig(beam=3, nbest=3)
    nbest = list(rec.transcribe_files(files, three, rec.word_lm()))
    best = list(rec.transcribe_files(files, DecodeConfig(beam=3), rec.word_lm()))
    assert len(files) == 57
    for t, b in zip(nbest, best, strict=True):
        texts = [a.text for a in t.alternatives]
        assert len(set(texts)) == 3 and texts[0] == t.text == b.text, (t.path, texts)
