"""``speech export``: a recogniser bundle with its acoustic model as ONNX (fp32 or dynamic int8), through
core's deployment helper (:func:`carrousel.core.export.export_bundle`), and its report.

The exported graph maps normalised features ``x`` ``(batch, frames, F)`` and ``lengths`` ``(batch,)`` to
the CTC log-probabilities ``(batch, ceil(frames / s), C)`` and the output lengths, batch and frames
dynamic. The folder is still a ``speech.ctc`` bundle (weights, alphabet, front end, statistics, LM) with
``assets/model.<precision>.onnx`` added: :class:`carrousel.speech.recognizer.Recognizer` then scores
batches with ONNX Runtime (``speech transcribe|evaluate --model DIR``), feature extraction and decoding
staying in Python.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from carrousel.core.args import check_args
from carrousel.core.bundle import load_bundle, read_manifest
from carrousel.core.export import (
    DeploymentReport,
    ExportSpec,
    check_export_out,
    export_measured,
    folder_bytes,
    load_runtime,
    measure_latency,
)
from carrousel.core.paths import user_path
from carrousel.speech.calibrate import calibration_batches
from carrousel.speech.config import EvaluateConfig, SpeechExportConfig, TranscribeConfig
from carrousel.speech.distill import distilled_recognizer
from carrousel.speech.models import CTCModel
from carrousel.speech.prune import pruned_recognizer
from carrousel.speech.recognizer import KIND, Recognizer, shipped_model_path

__all__ = ["LogProbs", "export_recognizer", "latency_batch", "speech_export_spec"]

logger = logging.getLogger(__name__)

BATCHES = (1, 64)  # batch sizes of the report's latency figures (utterances per batch)
# --static-conv calibration: min/max ranges (None), chosen on the synthesised held-out set over the 99.99th
# percentile (benchmarks/bench_speech_export.py --variants)
PERCENTILE: float | None = None
FRAMES = 200  # feature frames per utterance in the latency batches (2 s at a 10 ms hop)


class LogProbs(nn.Module):
    """``x`` ``(B, T, F)`` and ``lengths`` ``(B,)`` -> CTC log-probabilities ``(B, T', C)`` and ``(B,)`` lengths."""

    def __init__(self, model: CTCModel) -> None:
        super().__init__()
        # the encoder stays a RecurrentEncoder: core's export_onnx makes it exportable itself, with the
        # TorchScript exporter as one bidirectional LSTM node per layer reading ``sequence_lens`` (the
        # per-direction reverse gathers of the padded form were a fifth of the int8 batch-64 time)
        self.model = model.eval()

    def forward(self, x: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        lp, out_lengths = self.model(x, lengths)
        return lp.float(), out_lengths


def _batch(n_features: int, b: int, t: int, seed: int) -> tuple[Tensor, Tensor]:
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(max(1, t // 3), t + 1, (b,), generator=g)
    lengths[0] = t  # the longest fills the batch, as the recogniser pads
    x = torch.randn(b, t, n_features, generator=g)
    x[torch.arange(t).unsqueeze(0) >= lengths.unsqueeze(1)] = 0.0
    return x, lengths


@check_args
def latency_batch(n_features: int, b: int, t: int = FRAMES) -> tuple[Tensor, Tensor]:
    """The report's latency batch: ``x`` ``(b, t, n_features)`` zero past ``lengths`` ``(b,)``, the first full."""
    return _batch(n_features, b, t, 2)


def speech_export_spec(
    model: CTCModel,
    calibration: tuple[tuple[Tensor, Tensor], ...] = (),
    percentile: float | None = PERCENTILE,
) -> ExportSpec:
    """How an acoustic model is exported: inputs ``x`` and ``lengths``, batch and frames dynamic.

    Args:
        model: the acoustic model.
        calibration: ``(x, lengths)`` batches of training features (:func:`calibration_batches`); given,
            int8 also quantizes the front end's convolutions statically (calibrated), else they stay fp32.
        percentile: the calibration's percentile (None: min/max); see ``quantize_static_int8``.
    """
    f = model.config.n_features
    return ExportSpec(
        graph=LogProbs(model).eval(),
        example=_batch(f, 3, 40, 0),
        check_inputs=_batch(f, 7, 131, 1),
        input_names=("x", "lengths"),
        dynamic={"x": {0: "batch", 1: "frames"}, "lengths": {0: "batch"}},
        output_names=("log_probs", "out_lengths"),
        atol=1e-3,
        int8_atol=2.0,  # log-probabilities of unlikely classes move most; WER/CER is the real measure
        calibration=calibration,
        static_ops=("Conv",),
        calibration_percentile=percentile,  # GELU follows, which has no int8 kernel: the float track resumes after it
    )


def _rates(model: str, data: tuple[str, ...], precision: str = "fp32") -> tuple[float, float]:
    from carrousel.speech.pipeline import evaluate  # the pipeline imports this module

    res = evaluate(EvaluateConfig(data, TranscribeConfig(model=model, precision=precision)))
    return res.totals.wer, res.totals.cer


def export_recognizer(cfg: SpeechExportConfig, out: str | Path) -> DeploymentReport:
    """``speech export``: writes ``cfg.model`` (default: the shipped model) with its ONNX acoustic model;
    with ``cfg.prune`` the acoustic model is first pruned and fine-tuned (:mod:`carrousel.speech.prune`),
    with ``cfg.distill`` a student of that many units is trained on its posteriors instead
    (:mod:`carrousel.speech.distill`).

    Raises:
        ExportError: the network cannot be exported or the file does not reproduce it.
        AudioError / CorpusError: unusable evaluation data, or (``--prune``) no usable fine-tuning corpus.
        BundleError / OutputError: the model cannot be read or ``out`` cannot be written.
    """
    source = Path(cfg.model) if cfg.model is not None else shipped_model_path()  # the config expands ~
    out = user_path(out)  # a Python caller's "~/exported"
    check_export_out(out, source, KIND)  # before any work
    eager = Recognizer.from_pretrained(source)
    if eager.runtime is not None:  # re-exporting an exported bundle: start from its weights
        eager.runtime = None
    provenance = dict(read_manifest(source, kind=KIND).get("data") or {})  # travels with the export
    before = _rates(str(source), cfg.data) if cfg.data else None  # a bad corpus fails before any export
    shipped, extra = eager, dict[str, Any]()
    if cfg.prune > 0:  # the pruned variant, fine-tuned with CTC on the training corpus
        shipped, summary = pruned_recognizer(eager, provenance, cfg)
        provenance["pruned"] = extra["pruned"] = summary
    elif cfg.distill > 0:  # a smaller student trained on the full model's per-frame posteriors
        shipped, summary = distilled_recognizer(eager, provenance, cfg)
        provenance["distilled"] = extra["distilled"] = summary
    calibration: tuple[tuple[Tensor, Tensor], ...] = ()
    if cfg.static_conv:  # the recorded (or --train-data) corpora, else synthesised speech, else none
        calibration, extra["calibration"] = calibration_batches(shipped, provenance, cfg.train_data)
    spec = replace(
        speech_export_spec(shipped.model, calibration),
        meta={"calibration": extra["calibration"]} if cfg.static_conv else {},
    )
    batches = {b: latency_batch(eager.model.config.n_features, b) for b in BATCHES}
    net = eager.model.eval()

    def run_eager(b: int) -> object:
        with torch.inference_mode():
            return net(*batches[b])

    note = f"greedy WER on {', '.join(cfg.data)}" if cfg.data else "no evaluation data (give --data)"
    if (cfg.prune > 0 or cfg.distill > 0) and cfg.data:
        variant = "pruned one" if cfg.prune > 0 else "distilled student"
        note += f" (before: the full model; after: the {variant}, deployed)"

    def measure(staged: Path, asset: dict[str, Any]) -> DeploymentReport:
        """Scored and timed before it replaces ``out``: an interrupted run keeps an earlier export."""
        after = _rates(str(staged), cfg.data) if cfg.data else None
        runtime = load_runtime(load_bundle(staged, kind=KIND))
        assert runtime is not None
        latency = measure_latency(
            {"eager": run_eager, "deployed": lambda b: runtime.run(*batches[b])}, BATCHES
        )
        return DeploymentReport.measured(
            out,
            asset,
            KIND,
            network=shipped.model,  # the deployed network's parameters (pruned: fewer)
            source_bytes=folder_bytes(source),
            latency_ms=latency,
            items="utterance",
            metric="wer",
            before=before[0] if before else None,
            after=after[0] if after else None,
            metric_note=note,
            extra={
                "frames_per_utterance": FRAMES,
                "cer_before": before[1] if before else None,
                "cer_after": after[1] if after else None,
                **extra,
            },
            bf16_metric=lambda: _rates(str(source), cfg.data, "bf16")[0],
            staged=staged,
        )

    bundle = shipped.to_bundle(provenance)
    report = export_measured(bundle, out, spec, cfg.precision, cfg.exporter, measure)
    logger.info("exported %s to %s: %s", source, out, report.speedups)
    return report
