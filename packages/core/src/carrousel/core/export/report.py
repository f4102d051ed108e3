"""The report of a deployment export: size, parameters, latency, throughput and the task metric before and
after, the same fields for every domain's ``export`` command (JSON via :meth:`DeploymentReport.summary`)."""

from __future__ import annotations

import functools
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = ["DeploymentReport", "folder_bytes", "measure_latency", "parameter_count", "time_call"]


def folder_bytes(folder: str | Path) -> int:
    """Total size of the files under ``folder``."""
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(folder) for f in files)


def parameter_count(model: nn.Module) -> int:
    """Number of parameters of ``model``."""
    return sum(p.numel() for p in model.parameters())


def time_call(fn: Callable[[], Any], repeats: int = 5, min_seconds: float = 0.05) -> float:
    """Median seconds per call of ``fn`` (one warm-up call; each sample repeats it for ``min_seconds``)."""
    fn()
    samples: list[float] = []
    for _ in range(repeats):
        n, start = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_seconds:
                break
        samples.append(elapsed / n)
    samples.sort()
    return samples[len(samples) // 2]


def measure_latency(
    runners: dict[str, Callable[[int], Any]], batches: Sequence[int] = (1, 64), repeats: int = 5
) -> dict[str, dict[str, float]]:
    """Milliseconds per batch of each runner (called with the batch size), runners alternated per batch.

    Returns:
        ``{"1": {"eager": ms, "deployed": ms}, "64": {...}}``.
    """
    out: dict[str, dict[str, float]] = {}
    for b in batches:
        out[str(b)] = {
            name: 1e3 * time_call(functools.partial(run, b), repeats) for name, run in runners.items()
        }
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
        bundle_bytes: size on disk of the exported bundle (weights kept, ONNX file added).
        onnx_bytes: size of the ONNX files alone, export parts included (what a runtime-only deployment
            ships).
        latency_ms: per batch size, milliseconds per batch of ``eager`` (float32 PyTorch, the domain's
            current inference path) and ``deployed`` (ONNX Runtime).
        items: what one batch item is (``window``, ``forecast window``), for the throughput.
        metric: the task metric's name (``auroc``, ``pinball``...); ``before``/``after``: eager and
            deployed values (None when no evaluation data was given).
        metric_note: the data the metric was measured on.
        check_max_abs_diff: largest |ONNX - eager| output difference at the verification sizes.
        threads: CPU threads used for both runners.
    """

    folder: str
    kind: str
    precision: str
    exporter: str
    parameters: int
    source_bytes: int
    bundle_bytes: int
    onnx_bytes: int
    latency_ms: dict[str, dict[str, float]]
    items: str
    metric: str
    before: float | None
    after: float | None
    metric_note: str
    check_max_abs_diff: float
    threads: int
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
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
    ) -> DeploymentReport:
        """The report of an export by :func:`~carrousel.core.export.export_bundle`: ``folder`` and its
        ``asset`` give the precision, exporter, sizes and check figure; the caller gives the network (its
        parameters are counted), the measured latency and the task metric before and after."""
        return cls(
            folder=str(folder),
            kind=kind,
            precision=asset["precision"],
            exporter=asset["exporter"],
            parameters=parameter_count(network),
            source_bytes=source_bytes,
            bundle_bytes=folder_bytes(folder),
            onnx_bytes=sum(
                (Path(folder) / "assets" / entry["file"]).stat().st_size
                for entry in (asset, *asset.get("parts", {}).values())
            ),
            latency_ms=latency_ms,
            items=items,
            metric=metric,
            before=before,
            after=after,
            metric_note=metric_note,
            check_max_abs_diff=asset["check_max_abs_diff"],
            threads=torch.get_num_threads(),
            extra=dict(extra or {}),
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
        return doc
