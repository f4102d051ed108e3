"""``nlp sentiment export``: a sentiment bundle with its network as ONNX (fp32 or dynamic int8), through
core's deployment helper (:func:`carrousel.core.export.export_bundle`), and its report; with ``--prune F``
the network is first pruned and fine-tuned (:mod:`carrousel.nlp.pipeline.prune`).

The exported graph maps ``ids`` ``(batch, tokens)`` and ``lengths`` ``(batch,)`` to the class
probabilities ``(batch, C)`` and the pooling weights ``(batch, tokens)`` (zeros for mean/max/last pooling),
batch and length dynamic. The folder is still an ``nlp.sentiment`` bundle (weights, tokenizer, labels)
with ``assets/model.<precision>.onnx`` added; :class:`carrousel.nlp.pipeline.SentimentModel` then runs ONNX
Runtime (``nlp sentiment predict|evaluate --model DIR``), tokenisation staying in Python.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from carrousel.core.bundle import load_bundle
from carrousel.core.export import (
    DeploymentReport,
    ExportSpec,
    check_export_out,
    export_measured,
    folder_bytes,
    measure_latency,
)
from carrousel.core.paths import user_path
from carrousel.nlp.config import SentimentEvaluateConfig, SentimentExportConfig
from carrousel.nlp.models import SentimentClassifier
from carrousel.nlp.pipeline.prune import pruned_variant
from carrousel.nlp.pipeline.sentiment import KIND, SentimentModel, shipped_model_path
from carrousel.nlp.pipeline.sentiment_eval import evaluate_sentiment

__all__ = ["ProbsAndWeights", "export_sentiment", "sentiment_export_spec"]

logger = logging.getLogger(__name__)

BATCHES = (1, 64)  # batch sizes of the report's latency figures (texts per batch)
TOKENS = 24  # tokens per text in the latency batches (a typical review sentence)


class ProbsAndWeights(nn.Module):
    """``ids`` ``(B, T)`` and ``lengths`` ``(B,)`` -> probabilities ``(B, C)`` and pooling weights ``(B, T)``."""

    def __init__(self, model: SentimentClassifier) -> None:
        super().__init__()
        self.model = model

    def forward(self, ids: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        out = self.model.forward_with_weights(ids, lengths)
        probs = torch.softmax(out.logits.float(), dim=-1)
        weights = out.weights if out.weights is not None else torch.zeros_like(ids, dtype=probs.dtype)
        return probs, weights.float()


def _batch(vocab: int, b: int, t: int, seed: int) -> tuple[Tensor, Tensor]:
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, t + 1, (b,), generator=g)
    lengths[0] = t  # the longest fills the batch, as the collator pads
    ids = torch.randint(1, vocab, (b, t), generator=g)
    ids[torch.arange(t).unsqueeze(0) >= lengths.unsqueeze(1)] = 0
    return ids, lengths


def sentiment_export_spec(model: SentimentClassifier) -> ExportSpec:
    """How a sentiment network is exported: inputs ``ids`` and ``lengths``, batch and tokens dynamic."""
    vocab = model.config.vocab_size
    return ExportSpec(
        graph=ProbsAndWeights(model.eval()).eval(),
        example=_batch(vocab, 4, 9, 0),
        check_inputs=_batch(vocab, 13, 31, 1),
        input_names=("ids", "lengths"),
        dynamic={"ids": {0: "batch", 1: "tokens"}, "lengths": {0: "batch"}},
        output_names=("probabilities", "weights"),
        atol=1e-4,
        int8_atol=0.1,  # probabilities; the accuracy before and after is the real measure
    )


def export_sentiment(cfg: SentimentExportConfig, out: str | Path) -> DeploymentReport:
    """``nlp sentiment export``: writes ``cfg.model`` (default: the shipped model) with its ONNX network.

    Raises:
        ExportError: the network cannot be exported or the file does not reproduce it.
        TextDataError / LabelMismatchError: unusable evaluation data.
        BundleError / OutputError: the model cannot be read or ``out`` cannot be written.
    """
    out = user_path(out)  # a Python caller's "~/models/m" (as a shell expands it)
    source = Path(cfg.model) if cfg.model is not None else shipped_model_path()
    check_export_out(out, source, KIND)  # before any work
    eager = SentimentModel.from_pretrained(source)
    before = None
    extra: dict[str, Any] = {"tokens_per_text": TOKENS}
    if cfg.data is not None:  # scored first: a bad file fails before any export work
        scored = evaluate_sentiment(SentimentEvaluateConfig(str(source), cfg.data, label_map=cfg.label_map))
        before = scored.accuracy
        if scored.label_map is not None:  # the data's labels read as the model's (as evaluate records it)
            extra["label_map"] = scored.label_map
            if scored.dropped:
                extra["dropped"] = scored.dropped
            # the later scorings read them through that map (as --label-map writes it): the same rows, without
            # warning again
            cfg = replace(cfg, label_map=scored.label_map_text)
    bundle = eager.bundle
    if cfg.prune > 0:  # the pruned variant, fine-tuned on the user's texts to match the full model
        variant = pruned_variant(eager, cfg)
        bundle, extra["pruned"] = variant.bundle, variant.summary
    model: SentimentClassifier = bundle.model  # type: ignore[assignment]
    vocab = eager.model.config.vocab_size
    batches = {b: _batch(vocab, b, TOKENS, 2) for b in BATCHES}
    graph = ProbsAndWeights(eager.model.eval()).eval()

    def run_eager(b: int) -> object:
        with torch.inference_mode():
            return graph(*batches[b])

    def measure(staged: Path, asset: dict[str, Any]) -> DeploymentReport:
        """Scored and timed before it replaces ``out``: an interrupted run keeps an earlier export."""
        deployed = SentimentModel(load_bundle(staged, kind=KIND))
        after = None
        if cfg.data is not None:
            after = evaluate_sentiment(
                SentimentEvaluateConfig(str(staged), cfg.data, label_map=cfg.label_map)
            ).accuracy
        runtime = deployed.runtime  # the session the loader opened for the exported file
        assert runtime is not None
        latency = measure_latency(
            {"eager": run_eager, "deployed": lambda b: runtime.run(*batches[b])}, BATCHES
        )
        return DeploymentReport.measured(
            out,
            asset,
            KIND,
            network=model,  # the deployed network's parameters (pruned: fewer)
            source_bytes=folder_bytes(source),
            latency_ms=latency,
            items="text",
            metric="accuracy",
            before=before,
            after=after,
            metric_note=(
                f"accuracy on {cfg.data.source}"
                if cfg.data is not None
                else "no evaluation data (give --data)"
            )
            + (" (before: the full model; after: the pruned one, deployed)" if cfg.prune > 0 else ""),
            extra=extra,
            bf16_metric=lambda: (
                evaluate_sentiment(
                    SentimentEvaluateConfig(str(source), cfg.data, precision="bf16", label_map=cfg.label_map)  # type: ignore[arg-type]
                ).accuracy
            ),
            staged=staged,
        )

    spec = sentiment_export_spec(model)
    report = export_measured(bundle, out, spec, cfg.precision, cfg.exporter, measure)
    logger.info("exported %s to %s: %s", source, out, report.speedups)
    return report
