"""``nlp generate export``: a language-model bundle with its step as ONNX (fp32 or dynamic int8), written by
core's :func:`~carrousel.core.export.export_bundle`, and its report.

The graph and the network that samples with it are in :mod:`carrousel.nlp.lm_export`. The report gives
size, parameters, the latency of one step (one token for each of 1 or 64 streams, the state carried) and
the perplexity on the held-out tail of the training text before and after, and of the eager network in
bf16 autocast (its ``bf16`` entry: ``TextGenerator(..., precision="bf16")``, the output layer in float32).
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

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
from carrousel.core.text import percent
from carrousel.nlp.config import LMDataConfig, LMExportConfig
from carrousel.nlp.lm_export import LMStep, OnnxLanguageModel, lm_export_spec
from carrousel.nlp.models import LanguageModel
from carrousel.nlp.pipeline.generate import KIND, TextGenerator, sequence_nll, split_text

__all__ = ["export_lm"]

logger = logging.getLogger(__name__)

BATCHES = (1, 64)  # streams per step in the report's latency figures


def _perplexity(gen: TextGenerator, data: LMDataConfig | None) -> float | None:
    if data is None:
        return None
    held = np.asarray(gen.tokenizer.encode(split_text(data, settable=False)[1]), dtype=np.int64)
    nll, count = sequence_nll(gen.model, held)
    return math.exp(nll / count)


def export_lm(cfg: LMExportConfig, out: str | Path) -> DeploymentReport:
    """``nlp generate export``: writes ``cfg.model`` with its step as ONNX, and the report.

    Perplexity is measured on the held-out tail of ``cfg.text`` (default: the files the model was trained
    on, when they are still there) with the holdout share of training.

    Raises:
        ExportError: the step cannot be exported or the file does not reproduce it.
        TextDataError: unreadable text.
        BundleError / OutputError: the model cannot be read or ``out`` cannot be written.
    """
    out = user_path(out)  # a Python caller's "~/models/m" (as a shell expands it)
    check_export_out(out, cfg.model, KIND)  # before any work
    # an exported bundle keeps its weights: re-exporting it starts from them (its ONNX file replaced)
    eager = TextGenerator(strip_export(load_bundle(cfg.model, kind=KIND)))
    assert isinstance(eager.model, LanguageModel)
    files = cfg.text or tuple(str(f) for f in eager.bundle.data.get("files", ()))
    data = None
    # --text is read whatever happens (a missing file is an error); the bundle's files only if still there
    if cfg.text or (files and all(Path(f).exists() for f in files)):
        data = LMDataConfig(files, float(eager.bundle.assets.get("holdout", 0.1)))
    before = _perplexity(eager, data)  # a bad file fails before any export work
    start = time.perf_counter()
    step = LMStep(eager.model).eval()
    g = torch.Generator().manual_seed(2)
    vocab = eager.model.config.vocab_size
    inputs = {}
    for b in BATCHES:
        st = eager.model.init_state(b)
        ids = torch.randint(1, vocab, (b, 1), generator=g)
        inputs[b] = (ids, st.h) if st.c is None else (ids, st.h, st.c)

    def run_eager(b: int) -> object:
        with torch.inference_mode():
            return step(*inputs[b])

    def measure(staged: Path, asset: dict[str, Any]) -> DeploymentReport:
        """Scored and timed before it replaces ``out``: an interrupted run keeps an earlier export."""
        deployed = TextGenerator(load_bundle(staged, kind=KIND))
        assert isinstance(deployed.model, OnnxLanguageModel)
        after = _perplexity(deployed, data)
        runtime = deployed.model.runtime
        latency = measure_latency(
            {"eager": run_eager, "deployed": lambda b: runtime.run(*inputs[b])}, BATCHES
        )
        return DeploymentReport.measured(
            out,
            asset,
            KIND,
            network=eager.model,
            source_bytes=folder_bytes(cfg.model),
            latency_ms=latency,
            items="stream",
            metric="perplexity",
            before=before,
            after=after,
            metric_note=(
                f"perplexity per token on the held-out {percent(data.holdout)} of {', '.join(data.files)}"
                if data is not None
                else "no perplexity: the training text is no longer there (give --text)"
            ),
            extra={
                "graph": "one step: tokens + state -> logits + state",
                "export_seconds": round(time.perf_counter() - start, 2),
            },
            bf16_metric=lambda: _perplexity(TextGenerator(eager.bundle, "bf16"), data),
            staged=staged,
        )

    spec = lm_export_spec(eager.model)
    report = export_measured(eager.bundle, out, spec, cfg.precision, cfg.exporter, measure)
    logger.info("exported %s to %s: %s", cfg.model, out, report.speedups)
    return report
