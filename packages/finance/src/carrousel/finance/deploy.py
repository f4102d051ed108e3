"""``finance export``: a saved forecaster with its seed ensemble as ONNX (fp32 or dynamic int8), through
core's deployment helper (:func:`carrousel.core.export.export_bundle`), and its report.

The exported graph is the ensemble's forward, ``(batch, lookback, features)`` scaled windows -> ``(batch,
horizon, quantiles)``, batch and time dynamic. For int8 (the default) the members are fused into one
network (core's :func:`~carrousel.core.export.fuse_members`: one LSTM/GRU node per layer instead of one per
member; pruned members all keep the same number of units, members of different sizes would be
zero-padded): ``benchmarks/bench_fuse.py`` measured it faster at batch 1 and no slower at batch 64 there,
while the fp32 node over the block-diagonal weights was slower at batch 64, so fp32 keeps one node per
member. The folder is still a ``finance.forecaster`` bundle (weights,
config, scalers, offsets, provenance) with ``assets/model.<precision>.onnx`` added;
:meth:`~carrousel.finance.bundle.ForecasterBundle.from_pretrained` then forecasts through ONNX Runtime
(``finance forecast --model-dir DIR``). The report's metric is the pinball loss (and the median's MAE) of
the calibrated quantile forecasts, in log-return units, over ``eval_days`` origins after the model's
training data (when the prices go on past it), eager and deployed. With ``--prune F`` every member is
pruned and fine-tuned first (:mod:`carrousel.finance.prune`), with ``--distill H`` a student ensemble of
``H`` units is trained on the full one's forecasts instead (:mod:`carrousel.finance.distill`); the report's
"before" is the full ensemble. Re-exported by :mod:`carrousel.finance.pipeline`.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from carrousel.core.args import check_args
from carrousel.core.bundle import load_bundle
from carrousel.core.export import (
    DeploymentReport,
    DeployPrecision,
    ExportSpec,
    check_export_out,
    check_fused,
    export_measured,
    folder_bytes,
    fuse_members,
    load_runtime,
    measure_latency,
)
from carrousel.core.files import check_spares
from carrousel.core.option_names import option
from carrousel.core.paths import user_path
from carrousel.core.train import predict
from carrousel.finance.bundle import KIND, ForecasterBundle, find_bundle
from carrousel.finance.config import ExportConfig, Source
from carrousel.finance.data import PriceHistory, load_histories
from carrousel.finance.distill import distilled_forecaster
from carrousel.finance.errors import FinanceConfigError, ForecasterBundleError
from carrousel.finance.features import build_series, cumulative_targets, valid_origins
from carrousel.finance.fitted import FittedForecaster
from carrousel.finance.global_file import run_histories
from carrousel.finance.prune import pruned_forecaster

__all__ = ["export_forecaster", "export_spec"]

logger = logging.getLogger(__name__)

FUSED_ATOL = 1e-5  # largest |fused - ensemble| accepted (float32 round-off; scaled returns)
BATCHES = (1, 64)  # batch sizes of the report's latency figures (forecast windows per batch)
_VARIANT_NOTES = {
    "pruned": " (before: the full ensemble; after: the pruned one, deployed)",
    "distilled": " (before: the full ensemble; after: the distilled student, deployed)",
}


@check_args
def export_spec(fitted: FittedForecaster, fuse: bool = True) -> ExportSpec:
    """How a forecaster ensemble is exported: one input ``x`` ``(batch, lookback, features)``.

    ``fuse``: the graph is the ensemble's members fused into one network
    (:func:`~carrousel.core.export.fuse_members`: one recurrent node per layer carrying every member's
    units, the mean of the members' quantiles), checked against the ensemble's forward first; otherwise the
    ensemble's forward as it is (one recurrent node per member and layer).
    """
    lookback = fitted.window.lookback
    n_features = fitted.model.config.member.encoder.input_size
    g = torch.Generator().manual_seed(0)
    ensemble = fitted.model.eval()
    example = torch.randn(2, lookback, n_features, generator=g)
    check = torch.randn(37, lookback + 7, n_features, generator=g)
    graph: nn.Module = ensemble
    meta: dict[str, Any] = {}
    if fuse:
        graph = fuse_members(list(ensemble.members), reduce="mean")
        diff = check_fused(graph, ensemble, (example, check), atol=FUSED_ATOL)
        meta = {"fused_members": len(ensemble.members), "fused_max_abs_diff": diff}
    return ExportSpec(
        graph=graph,
        example=(example,),
        check_inputs=(check,),
        input_names=("x",),
        dynamic={"x": {0: "batch", 1: "time"}},
        output_names=("quantiles",),
        atol=1e-4,
        int8_atol=0.5,  # scaled returns; the pinball loss on real prices is the real measure
        meta=meta,
    )


def _scored_prices(cfg: ExportConfig, saved: ForecasterBundle, found: Path) -> list[PriceHistory]:
    """The prices the export is scored on (the model's own source, or ``cfg.source``, up to the latest),
    read before any work, once (``--prune`` / ``--distill`` fine-tune on them too): ``source`` csv needs the
    CSV file the model was trained on; a global model's own (and its csv) are the table of
    ``train-global --data`` its folder records (:func:`~carrousel.finance.global_file.run_histories`).

    Raises:
        FinanceConfigError: ``source`` csv for a model trained on another source (no file to read).
        PriceDataError: the prices cannot be read.
    """
    own = run_histories(found, saved, cfg.source)  # a global model's, read once
    if own is not None:
        return own
    if cfg.source == Source.csv.value and not saved.config.data.csv_path:
        raise FinanceConfigError(
            f"{option('source', 'csv')} scores on the CSV file the model was trained on, and the one in {found} "
            f"was trained on {saved.config.data.source} prices; give {option('source')} sample, yahoo or auto, or leave "
            "it out (the model's own prices)"
        )
    return load_histories(replace(saved.config.data, end=None, source=cfg.source or saved.config.data.source))


def _score(
    models: dict[str, FittedForecaster],
    cfg: ExportConfig,
    saved: ForecasterBundle,
    histories: list[PriceHistory],
) -> tuple[dict[str, float], str]:
    """Pinball loss and MAE of the median over the evaluation stretch (of ``histories``) of each of
    ``models`` (by key: ``before``, the full one in PyTorch; ``after``, the deployed one, pruned with
    ``--prune``; ``bf16``, the full one in bf16 autocast): ``{"pinball_before": ..., "mae_before": ...}`` and
    the note."""
    pinball: dict[str, list[float]] = {k: [] for k in models}
    mae: dict[str, list[float]] = {k: [] for k in models}
    fitted = next(iter(models.values()))
    qs = np.asarray(fitted.quantiles)
    mid = fitted.quantiles.index(0.5)
    notes = []
    for history in histories:
        series = build_series(history.ticker, history.frame, fitted.window.indicators)
        origins = valid_origins(series, fitted.window.lookback, fitted.horizon)
        trained = str(saved.data.get(history.ticker, {}).get("last", ""))
        after = origins[np.array([str(series.dates[o].date()) > trained for o in origins], dtype=bool)]
        held_out = after.size > 0
        origins = after[: cfg.eval_days] if held_out else origins[-cfg.eval_days :]
        y = cumulative_targets(series, origins, fitted.horizon)  # (n, H)
        for key, model in models.items():
            q = model.predict(series, origins)  # (n, H, Q)
            err = y[:, :, None] - q
            pinball[key].append(float(np.mean(np.maximum(qs * err, (qs - 1) * err))))
            mae[key].append(float(np.mean(np.abs(y - q[:, :, mid]))))
        first, last = series.dates[origins[0]].date(), series.dates[origins[-1]].date()
        kind = "held out (after the training data)" if held_out else "IN-SAMPLE (no prices after training)"
        notes.append(f"{history.ticker} {len(origins)} origins {first}..{last}, {kind}")
    figures = {f"{m}_{k}": float(np.mean(v[k])) for m, v in (("pinball", pinball), ("mae", mae)) for k in v}
    return figures, "; ".join(notes)


def export_forecaster(cfg: ExportConfig, out: str | Path) -> DeploymentReport:
    """``finance export``: writes the forecaster in ``cfg.model_dir`` with its ONNX network to ``out``.

    Raises:
        ForecasterBundleError: ``cfg.model_dir`` holds no forecaster.
        ExportError: the network cannot be exported or the file does not reproduce it.
        FinanceConfigError: before any work, ``cfg.source`` csv for a model trained on other prices.
        PriceDataError: before any work, the evaluation prices cannot be read.
        BundleError / OutputError: ``out`` cannot be written.
    """
    out = user_path(out)  # a Python caller's "~/exported" (cfg.model_dir: expanded by ExportConfig)
    check_export_out(out, cfg.model_dir, KIND)  # before any work
    found = find_bundle(cfg.model_dir)
    if found is None:
        raise ForecasterBundleError(
            f"{option('model_dir', str(cfg.model_dir))} holds no forecaster; train one with 'finance forecast --model-dir DIR'"
        )
    check_spares(out, found)  # --model-dir RUN reads RUN/model
    saved = ForecasterBundle.from_pretrained(found)
    histories = _scored_prices(cfg, saved, found)  # before any work (an export folder is written below)
    full = replace(saved.fitted, runtime=None)
    base, extra = replace(saved, fitted=full), {}
    if cfg.prune > 0:  # every member pruned and fine-tuned on the training history, calibration refitted
        base, extra["pruned"] = pruned_forecaster(base, cfg, histories)
    elif cfg.distill > 0:  # a smaller student ensemble trained on the full one's forecasts, calibrated
        base, extra["distilled"] = distilled_forecaster(base, cfg, histories)
    fitted = base.fitted
    fuse = DeployPrecision(cfg.precision) is DeployPrecision.INT8  # fp32: fusing measured slower at batch 64
    x = (
        np.random.default_rng(0)
        .standard_normal(
            (max(BATCHES), fitted.window.lookback, fitted.model.config.member.encoder.input_size)
        )
        .astype(np.float32)
    )
    net = full.model.eval()

    def measure(staged: Path, asset: dict[str, Any]) -> DeploymentReport:
        """Scored and timed before it replaces ``out``: an interrupted run keeps an earlier export."""
        runtime = load_runtime(load_bundle(staged, kind=KIND))
        deployed = replace(fitted, runtime=runtime)
        figures, note = _score({"before": full, "after": deployed}, cfg, saved, histories)
        assert runtime is not None
        runners: dict[str, Any] = {
            "eager": lambda b: predict(net, x[:b], b),
            "deployed": lambda b: predict(runtime, x[:b], b),
        }
        return DeploymentReport.measured(
            out,
            asset,
            KIND,
            network=deployed.model,  # the deployed network's parameters (pruned: fewer)
            source_bytes=folder_bytes(found),
            latency_ms=measure_latency(runners, BATCHES),
            items="forecast",
            metric="pinball",
            before=figures["pinball_before"],
            after=figures["pinball_after"],
            metric_note=f"mean pinball loss of the calibrated quantiles (log returns) over {note}"
            + _VARIANT_NOTES.get("pruned" if cfg.prune > 0 else "distilled" if cfg.distill > 0 else "", ""),
            extra={
                "mae_before": round(figures["mae_before"], 6),
                "mae_after": round(figures["mae_after"], 6),
                **extra,
            },
            bf16_metric=lambda: _score({"bf16": replace(full, precision="bf16")}, cfg, saved, histories)[0][
                "pinball_bf16"
            ],
            staged=staged,
        )

    spec = export_spec(fitted, fuse)
    report = export_measured(base.to_bundle(), out, spec, cfg.precision, cfg.exporter, measure)
    logger.info("exported %s to %s: %s", found, out, report.speedups)
    return report
