"""``nlp translate export``: a translation bundle with its decoder step and its encoder as ONNX (fp32 or
dynamic int8), written by core's :func:`~carrousel.core.export.export_bundle` (the encoder as an export
part), and its report. Its ``bf16`` entry: the eager network's latency and greedy BLEU in bf16 autocast
(``DecodeConfig(precision="bf16")``, the output layer and log-softmax in float32).

The graph and the runtime that decodes with it are in :mod:`carrousel.nlp.seq2seq_export`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from carrousel.core.bundle import load_bundle
from carrousel.core.export import (
    DeploymentReport,
    check_export_out,
    export_measured,
    folder_bytes,
    measure_latency,
    strip_export,
)
from carrousel.core.paths import user_path
from carrousel.nlp.config import DecodeConfig, TranslateExportConfig
from carrousel.nlp.pipeline.translate import KIND, Translator
from carrousel.nlp.pipeline.translate_eval import pairs_to_score, score_pairs
from carrousel.nlp.seq2seq_ensemble import networks_of
from carrousel.nlp.seq2seq_export import translate_export_spec

__all__ = ["export_translator"]

logger = logging.getLogger(__name__)

BATCHES = (1, 64)  # batch sizes of the report's latency figures (sentences per batch)
WORDS = "could not open file for writing please check the path and try again"  # latency sentence


def _test_bleu(
    tr: Translator, pairs: tuple[str, ...], limit: int, precision: str = "fp32"
) -> tuple[float, str] | None:
    """Greedy BLEU of ``tr`` on the stored test split of ``pairs`` (the eager bundle's pair files) and its
    sacrebleu tokenizer (chosen by the target language: ``zh`` for Chinese), None when those files are gone;
    decoding in ``precision`` (fp32, or bf16 autocast of an eager translator)."""
    if limit <= 0 or not pairs or not all(Path(p).exists() for p in pairs):
        return None
    scored, _ = pairs_to_score(tr, pairs, "test", limit)
    ev = score_pairs(tr, scored, DecodeConfig(beam=1, precision=precision))
    return ev.bleu["greedy"], ev.bleu_tokenize


def _bleu_only(scored: tuple[float, str] | None) -> float | None:
    return scored[0] if scored is not None else None


def export_translator(cfg: TranslateExportConfig, out: str | Path) -> DeploymentReport:
    """``nlp translate export``: writes ``cfg.model`` with its decoder step and encoder as ONNX, and the report.

    Raises:
        ExportError: the step cannot be exported or the file does not reproduce it.
        BundleError / OutputError: the model cannot be read or ``out`` cannot be written.
    """
    out = user_path(out)  # a Python caller's "~/models/m" (as a shell expands it)
    check_export_out(out, cfg.model, KIND)  # before any work
    # an exported bundle keeps its weights: re-exporting it starts from them (its ONNX files replaced)
    eager = Translator(strip_export(load_bundle(cfg.model, kind=KIND)))
    start = time.perf_counter()
    pairs = tuple(str(p) for p in eager.bundle.data.get("pairs", ()))
    batches = {b: [WORDS] * b for b in BATCHES}

    def timed(tr: Translator, precision: str = "fp32") -> Callable[[int], object]:
        greedy = DecodeConfig(beam=1, batch_size=64, precision=precision)
        return lambda b: tr.translate(batches[b], greedy)

    def measure(staged: Path, asset: dict[str, Any]) -> DeploymentReport:
        """Scored and timed before it replaces ``out``: an interrupted run keeps an earlier export."""
        deployed = Translator(load_bundle(staged, kind=KIND))
        scored = _test_bleu(eager, pairs, cfg.limit)
        after = _test_bleu(deployed, pairs, cfg.limit) if scored is not None else None
        # bf16 timed as --precision bf16 decodes (ReducedSeq2Seq: float32 state and log-probabilities per step)
        runners = {"eager": timed(eager), "deployed": timed(deployed)}
        latency = measure_latency(runners, BATCHES, bf16_runner=timed(eager, "bf16"))
        return DeploymentReport.measured(
            out,
            asset,
            KIND,
            network=eager.bundle.model,
            source_bytes=folder_bytes(cfg.model),
            latency_ms=latency,
            items="sentence",
            metric="BLEU",
            before=_bleu_only(scored),
            after=_bleu_only(after),
            metric_note=(
                f"greedy BLEU (tokenize {scored[1]}) on the first {cfg.limit} test pairs"
                if scored is not None
                else "no BLEU: the bundle's pair files are not found (or --limit 0)"
            ),
            extra={
                "graph": "decoder step + encoder",
                "export_seconds": round(time.perf_counter() - start, 2),
            },
            bf16_metric=lambda: _bleu_only(_test_bleu(eager, pairs, cfg.limit, "bf16")),
            staged=staged,
        )

    spec = translate_export_spec(eager.model, networks_of(eager.bundle.model)[1:])
    report = export_measured(eager.bundle, out, spec, cfg.precision, cfg.exporter, measure)
    logger.info("exported %s to %s: %s", cfg.model, out, report.speedups)
    return report
