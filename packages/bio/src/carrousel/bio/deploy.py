"""``bio export``: a model bundle with its strand-averaged network as ONNX (fp32 or int8), through
core's deployment helper (:func:`carrousel.core.export.export_bundle`), and its report.

The exported graph is :meth:`~carrousel.bio.models.DanQ.predict` with ``pool_op`` (batch norm folded, both
strands in one batch, Conv -> Relu -> MaxPool, strand-averaged logits) over ``(batch, 4, window)`` one-hot windows, batch dynamic. The folder is
still a ``bio.danq`` bundle (weights, motifs, calibration, provenance) with ``assets/model.<precision>.onnx``
added (with ``--prune F``, the network pruned and fine-tuned first: :mod:`carrousel.bio.prune`; with
``--distill H``, a student of ``H`` LSTM units trained on its outputs: :mod:`carrousel.bio.distill`):
:func:`carrousel.bio.bundle.load_model` then scores windows with ONNX Runtime (``bio scan --model
DIR --method model``, ``bio evaluate --model DIR``), the weights still giving scan attributions. Re-exported
by :mod:`carrousel.bio.pipeline`.

int8 is the convolution with its ReLU and max-pool statically int8 (ONNX Runtime ``QLinearConv``, per
channel), calibrated on :data:`CALIBRATION_WINDOWS` of the model's own training windows (those ``--prune``
fine-tunes on), and the LSTM float32; where the training data is gone, the convolution stays float32 and the
LSTM gets dynamic int8 weights, as before (the ``export`` asset's ``calibration`` says which).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from carrousel.bio.bundle import KIND, default_model_path, load_model, to_bundle
from carrousel.bio.config import ExportConfig
from carrousel.bio.data import fit_windows
from carrousel.bio.distill import distilled_model
from carrousel.bio.dna import one_hot
from carrousel.bio.errors import ExportConfigError
from carrousel.bio.evaluate import evaluate_windows
from carrousel.bio.fasta import encode, read_sequences
from carrousel.bio.models import DanQ, MotifModel, predict_logits
from carrousel.bio.motifs import resolve_motifs
from carrousel.bio.prune import finetune_windows, pruned_model
from carrousel.core.args import check_args
from carrousel.core.bundle import load_bundle
from carrousel.core.errors import SampleMissingError
from carrousel.core.export import (
    DeploymentReport,
    ExportSpec,
    check_export_out,
    export_measured,
    folder_bytes,
    load_runtime,
    measure_latency,
)
from carrousel.core.files import check_input_file
from carrousel.core.option_names import option
from carrousel.core.paths import user_path

__all__ = ["CALIBRATION_WINDOWS", "StrandAveraged", "calibration_windows", "export_model", "export_spec"]

logger = logging.getLogger(__name__)

BATCHES = (1, 64)  # batch sizes of the report's latency figures (windows per batch)
CALIBRATION_WINDOWS = 512  # training windows the int8 convolution's activation ranges are read on
CALIBRATION_BATCH = 64


class StrandAveraged(nn.Module):
    """``(batch, 4, window)`` one-hot -> ``(batch, n_outputs)`` strand-averaged logits (:meth:`DanQ.predict`
    with ``pool_op``: a Conv -> Relu -> MaxPool graph, which ONNX Runtime runs faster)."""

    def __init__(self, model: DanQ) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.model.predict(x, pool_op=True)
        return out


def export_spec(model: DanQ, calibration: np.ndarray | None = None) -> ExportSpec:
    """How a DanQ network is exported: one input ``x`` ``(batch, 4, window)``, batch dynamic.

    Args:
        model: the network.
        calibration: ``(N, window)`` uint8 codes of training windows. Given, int8 is static int8 of the
            convolution (its ReLU and max-pool; calibrated on them, batches of :data:`CALIBRATION_BATCH`)
            with the LSTM kept float32; None: dynamic int8 of the LSTM only, the convolution float32.
    """
    w = model.config.window
    g = torch.Generator().manual_seed(0)

    def windows(n: int) -> Tensor:
        codes = torch.randint(0, 4, (n, w), generator=g)
        return torch.nn.functional.one_hot(codes, 4).to(torch.float32).transpose(1, 2).contiguous()

    return ExportSpec(
        graph=StrandAveraged(model.eval()).eval(),
        example=(windows(2),),
        check_inputs=(windows(37),),
        input_names=("x",),
        dynamic={"x": {0: "batch"}},
        output_names=("logits",),
        atol=1e-3,
        int8_atol=1.0,  # logits; the held-out AUROC (and the scan's hits) are the real measure
        # never the head (int8 weights in its Gemm cost 10x its logit error for no speed) nor a dynamic
        # int8 Conv (ConvInteger: 3x slower than float32); with calibration windows, the LSTM stays float32
        # too: DynamicQuantizeLSTM is slower than ONNX Runtime's float32 LSTM at this size (32 units), at
        # batch 1 and 64 (benchmarks/bench_export.py --parts bio, packages/bio/docs/results.md's table)
        int8_ops=() if calibration is not None else ("LSTM",),
        calibration=tuple(
            (torch.from_numpy(one_hot(calibration[i : i + CALIBRATION_BATCH])),)
            for i in range(0, len(calibration), CALIBRATION_BATCH)
        )
        if calibration is not None
        else (),
    )


def _sets(cfg: ExportConfig, window: int) -> tuple[np.ndarray, np.ndarray] | None:
    if cfg.positives is None or cfg.negatives is None:
        return None
    out = []
    for path, flag in ((cfg.positives, option("positives")), (cfg.negatives, option("negatives"))):
        check_input_file(path, flag, "FASTA")
        names, seqs = read_sequences(path)
        out.append(fit_windows([encode(s, n) for n, s in zip(names, seqs, strict=True)], window))
    return out[0], out[1]


def _auroc(
    model: MotifModel, sets: tuple[np.ndarray, np.ndarray] | None, motifs: tuple[str, ...], release: str
) -> tuple[float | None, str]:
    if sets is None:
        return None, f"no held-out data (give {option('positives')} and {option('negatives')})"
    requested = resolve_motifs(list(motifs), release) if motifs else []
    ev = evaluate_windows(model, sets[0], sets[1], requested or model.motifs, None, requested)
    return (
        ev.model_auroc,
        f"held-out AUROC of output {ev.task} on {ev.n_pos} positives vs {ev.n_neg} negatives",
    )


def calibration_windows(model: MotifModel, cfg: ExportConfig) -> tuple[np.ndarray | None, str]:
    """:data:`CALIBRATION_WINDOWS` training windows (a seeded sample of what ``--prune`` fine-tunes on:
    :func:`~carrousel.bio.prune.finetune_windows`) and where they came from; None (and why) when the
    model's training data is gone (its files, or the E. coli sample genome of a planted model such as the
    packaged panel when an installed package has no sample cache): its int8 export then keeps the
    convolution float32."""
    try:
        windows, where = finetune_windows(model, cfg)
    except (ExportConfigError, SampleMissingError) as exc:
        logger.warning("int8 convolution not calibrated (%s): it stays float32", exc)
        return None, f"none ({exc})"
    pick = np.random.default_rng(0).permutation(len(windows.x))[:CALIBRATION_WINDOWS]
    return windows.x[np.sort(pick)], f"{len(pick)} windows of {where}"


@check_args
def export_model(cfg: ExportConfig, out: str | Path, progress: bool = False) -> DeploymentReport:
    """``bio export``: writes ``cfg.model`` (default: the packaged panel) with its ONNX network to ``out``.

    Args:
        cfg: the model, precision, exporter, held-out sets and the pruned or distilled variant.
        out: the folder written.
        progress: the trainer's bar on stderr while ``--prune`` fine-tunes or ``--distill`` trains (as
            :func:`carrousel.bio.pipeline.train`); the CLI turns it on on a terminal, not under ``--quiet``.

    Raises:
        ExportError: the network cannot be exported or the file does not reproduce it.
        ExportConfigError / FastaFormatError: unusable options or evaluation files.
        BundleError / OutputError: the model cannot be read or ``out`` cannot be written.
    """
    source = user_path(cfg.model) if cfg.model is not None else default_model_path()
    out = user_path(out)  # a Python caller's "~/exported"
    check_export_out(out, source, KIND)  # before any work
    model = load_model(source)
    eager = replace(model, runtime=None)
    sets = _sets(cfg, model.window)  # read before the export: a bad file fails fast
    source_bytes = folder_bytes(source)
    shipped, extra = eager, {}
    if cfg.prune > 0:  # the pruned variant, fine-tuned on the training windows, nulls recomputed
        variant = pruned_model(eager, cfg, progress)
        shipped, extra = variant.model, {"pruned": variant.summary}
    elif cfg.distill > 0:  # a smaller student trained on the full network's outputs, nulls recomputed
        variant = distilled_model(eager, cfg, progress)
        shipped, extra = variant.model, {"distilled": variant.summary}
    calibration, where = None, "none (fp32)"
    if cfg.precision == "int8":
        calibration, where = calibration_windows(shipped, cfg)
    spec = export_spec(shipped.model, calibration)
    spec = replace(spec, meta={**spec.meta, "calibration": where})
    codes = np.random.default_rng(0).integers(0, 4, (max(BATCHES), model.window), dtype=np.uint8)
    net = eager.model.eval()

    def measure(staged: Path, asset: dict[str, Any]) -> DeploymentReport:
        """Scored and timed before it replaces ``out``: an interrupted run keeps an earlier export."""
        runtime = load_runtime(load_bundle(staged, kind=KIND), config=shipped.model.config)
        deployed = replace(shipped, runtime=runtime)
        before, note = _auroc(eager, sets, cfg.motifs, cfg.jaspar_release)
        after, _ = _auroc(deployed, sets, cfg.motifs, cfg.jaspar_release)
        if cfg.prune > 0 or cfg.distill > 0:
            note += f" (before: the full model; after: the {'pruned one' if cfg.prune else 'distilled student'}, deployed)"
        latency = measure_latency(
            {
                "eager": lambda b: predict_logits(net, codes[:b], b, fast=True),
                "deployed": lambda b: predict_logits(shipped.model, codes[:b], b, runtime=runtime),
            },
            BATCHES,
        )
        return DeploymentReport.measured(
            out,
            asset,
            KIND,
            network=shipped.model,  # the deployed network's parameters (pruned: fewer)
            source_bytes=source_bytes,
            latency_ms=latency,
            items="window",
            metric="auroc",
            before=before,
            after=after,
            metric_note=note,
            extra=extra,
            bf16_metric=lambda: _auroc(
                replace(eager, precision="bf16"), sets, cfg.motifs, cfg.jaspar_release
            )[0],
            staged=staged,
        )

    report = export_measured(to_bundle(shipped), out, spec, cfg.precision, cfg.exporter, measure)
    logger.info("exported %s to %s: %s", source, out, report.speedups)
    return report
