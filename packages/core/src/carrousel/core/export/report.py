"""The report of a deployment export: size, parameters, latency, throughput and the task metric before and
after, the same fields for every domain's ``export`` command (JSON via :meth:`DeploymentReport.summary`).

Beside eager float32 and the ONNX file, every report measures the eager network in bf16 autocast (the
domains' ``--precision bf16``): :func:`measure_latency` times the domain's eager runner once more under
:func:`~carrousel.core.device.run_in_precision` (alternated with the others; or the domain's own bf16
runner, where its ``--precision bf16`` path does more than autocast), and
:meth:`DeploymentReport.measured` scores the task metric with the domain's ``bf16_metric`` (its eager model
with ``precision="bf16"``). Both go under the report's ``bf16`` key (``latency_ms`` keeps its two
runners); where the device has no bfloat16 the key says why it was skipped.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from carrousel.core.args import check_args
from carrousel.core.bundle_files import BUNDLE_FILE, WEIGHTS_FILE
from carrousel.core.device import inference_dtype, run_in_precision
from carrousel.core.errors import ConfigError

__all__ = [
    "BF16_RUNNER",
    "DeploymentReport",
    "bf16_skip_reason",
    "deployment_table",
    "folder_bytes",
    "measure_latency",
    "parameter_count",
    "time_call",
]

logger = logging.getLogger(__name__)

BF16_RUNNER = "eager_bf16"  # the eager runner under bf16 autocast, in measure_latency's result
BF16_REPEATS = 3  # its samples (the median of 3, not 5: the secondary column must keep an export cheap)


def folder_bytes(folder: str | Path) -> int:
    """Size on disk of the bundle in ``folder``: its ``bundle.json`` and the files its manifest lists, so
    that a train command's ``history.csv``/``training.png`` (outside the manifest) or anything else left
    in the folder is not counted as model; a folder without a readable manifest: every file under it."""
    root = Path(folder)
    try:
        listed = json.loads((root / BUNDLE_FILE).read_text(encoding="utf-8"))["files"]
        names = [BUNDLE_FILE, *listed]
    except (OSError, ValueError, KeyError, TypeError):
        return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(root) for f in files)
    return sum((root / name).stat().st_size for name in names if (root / name).is_file())


def parameter_count(model: nn.Module) -> int:
    """Number of parameters of ``model``."""
    return sum(p.numel() for p in model.parameters())


def _sample(fn: Callable[[], Any], min_seconds: float) -> float:
    """Seconds per call of ``fn``, repeated for at least ``min_seconds``."""
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return elapsed / n


@check_args
def time_call(fn: Callable[[], Any], repeats: int = 5, min_seconds: float = 0.05) -> float:
    """Median seconds per call of ``fn`` (one warm-up call; each sample repeats it for ``min_seconds``)."""
    fn()
    return statistics.median(_sample(fn, min_seconds) for _ in range(repeats))


def bf16_skip_reason(device: torch.device | str) -> str | None:
    """Why bf16 autocast cannot run on ``device`` (None: it can)."""
    try:
        inference_dtype("bf16", torch.device(device))
    except ConfigError as exc:
        return str(exc)
    return None


@check_args
def measure_latency(
    runners: dict[str, Callable[[int], Any]],
    batches: Sequence[int] = (1, 64),
    repeats: int = 5,
    bf16_device: torch.device | str | None = "cpu",
    bf16_runner: Callable[[int], Any] | None = None,
) -> dict[str, dict[str, float]]:
    """Milliseconds per batch of each runner (called with the batch size): the median of its samples,
    taken in rounds of one sample per runner, so that a burst of load on a shared machine lands on every
    runner alike rather than on one runner's samples (their ratio is what the report prints).

    Args:
        runners: name -> ``run(batch_size)``; ``eager`` is the PyTorch float32 path.
        batches: batch sizes.
        repeats: samples per runner and batch (see :func:`time_call`; the bf16 runner: at most
            :data:`BF16_REPEATS`).
        bf16_device: the device of the eager runner's network: the ``eager`` runner is also timed in
            bf16 autocast there (:data:`BF16_RUNNER`), unless the device has no bfloat16 (logged);
            None: not timed.
        bf16_runner: the domain's own bf16 path (``run(batch_size)``, e.g. a decoder that converts its
            state to float32 between steps, as ``--precision bf16`` runs it), timed as
            :data:`BF16_RUNNER` instead of the ``eager`` runner under autocast; still only where
            ``bf16_device`` has bfloat16.

    Returns:
        ``{"1": {"eager": ms, "deployed": ms, "eager_bf16": ms}, "64": {...}}``.
    """
    runners = dict(runners)
    if bf16_device is not None and "eager" in runners:
        reason = bf16_skip_reason(bf16_device)
        if reason is None:
            device, eager = torch.device(bf16_device), runners["eager"]
            runners[BF16_RUNNER] = bf16_runner or (
                lambda b: run_in_precision(functools.partial(eager, b), device, torch.bfloat16)
            )
        else:
            logger.warning("eager bf16 not measured: %s", reason)
    wanted = {name: min(repeats, BF16_REPEATS) if name == BF16_RUNNER else repeats for name in runners}
    out: dict[str, dict[str, float]] = {}
    for b in batches:
        calls = {name: functools.partial(run, b) for name, run in runners.items()}
        for call in calls.values():
            call()  # warm-up
        samples: dict[str, list[float]] = {name: [] for name in runners}
        for round_ in range(max(wanted.values(), default=0)):  # one sample of each runner per round
            for name, call in calls.items():
                if round_ < wanted[name]:
                    samples[name].append(_sample(call, 0.05))
        out[str(b)] = {name: 1e3 * statistics.median(samples[name]) for name in runners}
    return out


def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x, digits)


@dataclass(frozen=True)
class DeploymentReport:
    """What ``<domain> export`` made and what it costs and gains.

    Attributes:
        folder: the exported bundle.
        kind: the bundle kind.
        precision: ``fp32`` or ``int8``.
        exporter: ``torchscript`` or ``dynamo``.
        parameters: parameters of the network.
        source_bytes: size on disk of the bundle exported from.
        bundle_bytes: size on disk of the exported bundle folder in all (the float32 weights kept, which
            its ONNX runtime does not read, and the ONNX files added).
        onnx_bytes: size of the ONNX files alone, export parts included (what a runtime-only deployment
            ships).
        deployed_bytes: what the exported model loads to run: the folder without the float32 weights (its
            ONNX files, ``bundle.json``, tokenizer and other assets), beside ``source_bytes`` for eager
            (before, the report compared the folder in all: an int8 export looked larger than its source).
        latency_ms: per batch size, milliseconds per batch of ``eager`` (float32 PyTorch, the domain's
            current inference path) and ``deployed`` (ONNX Runtime).
        items: what one batch item is (``window``, ``forecast window``), for the throughput.
        metric: the task metric's name (``auroc``, ``pinball``...); ``before``/``after``: eager and
            deployed values (None when no evaluation data was given).
        metric_note: the data the metric was measured on.
        check_max_abs_diff: largest |ONNX - eager| output difference at the verification sizes.
        threads: CPU threads used for both runners.
        extra: the domain's further figures.
        bf16: the eager network in bf16 autocast: ``device``, ``latency_ms`` per batch size and ``metric``
            (None: not measured), or only ``skipped`` (why); None: not measured at all.
    """

    folder: str
    kind: str
    precision: str
    exporter: str
    parameters: int
    source_bytes: int
    bundle_bytes: int
    onnx_bytes: int
    deployed_bytes: int
    latency_ms: dict[str, dict[str, float]]
    items: str
    metric: str
    before: float | None
    after: float | None
    metric_note: str
    check_max_abs_diff: float
    threads: int
    extra: dict[str, Any] = field(default_factory=dict)
    bf16: dict[str, Any] | None = None

    @classmethod
    @check_args
    def measured(
        cls,
        folder: str | Path,
        asset: dict[str, Any],
        kind: str,
        *,
        network: nn.Module,
        source_bytes: int,
        latency_ms: dict[str, dict[str, float]],
        items: str,
        metric: str,
        before: float | None,
        after: float | None,
        metric_note: str,
        extra: dict[str, Any] | None = None,
        bf16_metric: Callable[[], float | None] | None = None,
        bf16_device: torch.device | str = "cpu",
        staged: str | Path | None = None,
    ) -> DeploymentReport:
        """The report of an export by :func:`~carrousel.core.export.export_bundle`: ``folder`` and its
        ``asset`` give the precision, exporter, sizes and check figure; the caller gives the network (its
        parameters are counted), the measured latency (:func:`measure_latency`: its bf16 runner goes to
        ``bf16``) and the task metric before and after; ``bf16_metric`` scores the eager model in bf16
        autocast (called here, when ``before`` was measured and ``bf16_device`` has bfloat16); ``staged``: the
        folder's files still under their temporary name (:func:`~carrousel.core.export.export_measured`),
        where the sizes are read."""
        where = Path(folder if staged is None else staged)
        total, weights = folder_bytes(where), where / WEIGHTS_FILE
        return cls(
            folder=str(folder),
            kind=kind,
            precision=asset["precision"],
            exporter=asset["exporter"],
            parameters=parameter_count(network),
            source_bytes=source_bytes,
            bundle_bytes=total,
            onnx_bytes=sum(
                (where / "assets" / entry["file"]).stat().st_size
                for entry in (asset, *asset.get("parts", {}).values())
            ),
            deployed_bytes=total - (weights.stat().st_size if weights.is_file() else 0),
            latency_ms={b: {k: v for k, v in d.items() if k != BF16_RUNNER} for b, d in latency_ms.items()},
            items=items,
            metric=metric,
            before=before,
            after=after,
            metric_note=metric_note,
            check_max_abs_diff=asset["check_max_abs_diff"],
            threads=torch.get_num_threads(),
            extra=dict(extra or {}),
            bf16=_bf16(latency_ms, before, bf16_metric, bf16_device),
        )

    @property
    def speedups(self) -> dict[str, float]:
        """Eager time / deployed time per batch size."""
        return {b: v["eager"] / v["deployed"] for b, v in self.latency_ms.items() if v.get("deployed")}

    @property
    def metric_change(self) -> float | None:
        """Relative change of the metric, ``after / before - 1`` (None without a metric)."""
        if self.before is None or self.after is None or self.before == 0:
            return None
        return self.after / self.before - 1.0

    def throughput(self) -> dict[str, dict[str, float]]:
        """Items per second per batch size and runner."""
        return {b: {k: 1e3 * int(b) / ms for k, ms in v.items()} for b, v in self.latency_ms.items()}

    def summary(self) -> dict[str, Any]:
        """Strict-JSON form (rounded figures; None for a metric not measured)."""
        doc = asdict(self)
        doc["latency_ms"] = {b: {k: round(v, 3) for k, v in d.items()} for b, d in self.latency_ms.items()}
        doc["throughput_per_s"] = {
            b: {k: round(v, 1) for k, v in d.items()} for b, d in self.throughput().items()
        }
        doc["speedup"] = {b: round(v, 2) for b, v in self.speedups.items()}
        doc["before"], doc["after"] = _r(self.before, 5), _r(self.after, 5)
        change = self.metric_change
        doc["metric_change_pct"] = None if change is None else round(100 * change, 3)
        doc["check_max_abs_diff"] = float(f"{self.check_max_abs_diff:.3g}")
        doc["bf16"] = self._bf16_summary()
        return doc

    def _bf16_summary(self) -> dict[str, Any] | None:
        if self.bf16 is None or "latency_ms" not in self.bf16:
            return None if self.bf16 is None else {"skipped": self.bf16.get("skipped")}
        ms: dict[str, float] = self.bf16["latency_ms"]
        metric = self.bf16.get("metric")
        change = None if metric is None or not self.before else metric / self.before - 1.0
        return {
            "device": self.bf16["device"],
            "latency_ms": {b: round(v, 3) for b, v in ms.items()},
            "throughput_per_s": {b: round(1e3 * int(b) / v, 1) for b, v in ms.items()},
            "vs_eager": {
                b: round(self.latency_ms[b]["eager"] / v, 2) for b, v in ms.items() if b in self.latency_ms
            },
            "metric": _r(metric, 5),
            "metric_change_pct": None if change is None else round(100 * change, 3),
            "skipped": None,
        }


def _bf16(
    latency_ms: dict[str, dict[str, float]],
    before: float | None,
    metric: Callable[[], float | None] | None,
    device: torch.device | str,
) -> dict[str, Any] | None:
    """The report's ``bf16`` entry (see :class:`DeploymentReport`)."""
    reason = bf16_skip_reason(device)
    if reason is not None:
        return {"skipped": reason}
    timed = {b: d[BF16_RUNNER] for b, d in latency_ms.items() if BF16_RUNNER in d}
    if not timed:
        return None
    return {
        "device": str(torch.device(device)),
        "latency_ms": timed,
        "metric": metric() if metric is not None and before is not None else None,
    }


def deployment_table(doc: Mapping[str, Any]) -> tuple[str, list[str], list[list[str]], list[str]]:
    """A :meth:`DeploymentReport.summary` as text: title, column names, rows and the lines under the table
    (what :func:`carrousel.core.cli.print_deployment` prints). The eager bf16 column appears when the
    report measured it (older reports: none); its cells give its figure and, in brackets, its ratio to
    eager fp32."""
    mib = 1 / 2**20
    bf16 = doc.get("bf16") or {}
    half = "latency_ms" in bf16
    cols = ["figure", "eager fp32", *(["eager bf16"] if half else []), f"ONNX {doc['precision']}", "ratio"]
    rows: list[list[str]] = []

    def row(name: str, eager: str, onnx: str, ratio: str = "", bf: str = "") -> None:
        rows.append([name, eager, *([bf] if half else []), onnx, ratio])

    src, dst, onnx = doc["source_bytes"] * mib, doc["bundle_bytes"] * mib, doc["onnx_bytes"] * mib
    if "deployed_bytes" in doc:  # what each loads to run; the folder, weights kept, said apart
        run = doc["deployed_bytes"] * mib
        ratio = f"{run / src:.2f}x" if src else ""
        row("size loaded (MiB)", f"{src:.2f}", f"{run:.2f} (ONNX file {onnx:.2f})", ratio)
        row("  folder in all (MiB)", "", f"{dst:.2f} (float32 weights kept)")
    else:  # a report written before deployed_bytes
        row("size on disk (MiB)", f"{src:.2f}", f"{dst:.2f} (ONNX file {onnx:.2f})")
    extra = doc.get("extra", {})
    pruned = extra.get("pruned") or extra.get("distilled")
    if pruned and "hidden_size" in pruned:  # a pruned or distilled variant: eager = the full model
        units = pruned["hidden_size"]
        how = f"pruned {pruned['amount']:g}" if "amount" in pruned else "distilled"
        row("hidden units", f"{units['before']}", f"{units['after']}", how)
        params = pruned["parameters"]
        row("parameters", f"{params['before']:,}", f"{params['after']:,}")
    else:
        row("parameters", f"{doc['parameters']:,}", "")
    for batch, ms in doc["latency_ms"].items():
        speed = doc["speedup"].get(batch)
        half_ms, vs = bf16.get("latency_ms", {}).get(batch), bf16.get("vs_eager", {}).get(batch)
        row(
            f"latency, batch {batch} (ms)",
            f"{ms['eager']:.3f}",
            f"{ms['deployed']:.3f}",
            f"{speed:.2f}x faster" if speed is not None else "",
            f"{half_ms:.3f} ({vs:.2f}x)" if half_ms is not None and vs is not None else "-",
        )
        per_s = doc["throughput_per_s"][batch]
        half_rate = bf16.get("throughput_per_s", {}).get(batch)
        row(
            f"  {doc['items']}s/s, batch {batch}",
            f"{per_s['eager']:,.0f}",
            f"{per_s['deployed']:,.0f}",
            bf=f"{half_rate:,.0f}" if half_rate is not None else "-",
        )
    if doc.get("before") is not None and doc.get("after") is not None:
        metric, change = bf16.get("metric"), bf16.get("metric_change_pct")
        row(
            doc["metric"],
            f"{doc['before']:.4f}",
            f"{doc['after']:.4f}",
            f"{doc['metric_change_pct']:+.2f}%",
            f"{metric:.4f} ({change:+.2f}%)" if metric is not None and change is not None else "-",
        )
    title = f"{doc['kind']} exported to {doc['folder']} ({doc['precision']}, {doc['exporter']})"
    notes = [f"{doc['metric']}: {doc['metric_note']}; {doc['threads']} CPU thread(s)"]
    if half:
        notes.append(f"eager bf16: bfloat16 autocast of the eager network on {bf16['device']}")
    elif bf16.get("skipped"):
        notes.append(f"eager bf16: not measured ({bf16['skipped']})")
    return title, cols, rows, notes
