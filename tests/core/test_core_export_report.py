"""The deployment report's eager bf16 column: timed beside eager fp32 by the same timer, under its own key
(old readers of ``latency_ms`` see its two runners), skipped with the reason where the device has no
bfloat16, and printed only when measured (an older report prints as before)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch import nn

from carrousel.core.bundle import Bundle
from carrousel.core.export import report as report_mod
from carrousel.core.export.report import BF16_RUNNER, deployment_table, folder_bytes, measure_latency
from carrousel.core.nn import RecurrentConfig, SequenceRegressor, SequenceRegressorConfig


def _doc(**bf16: object) -> dict[str, object]:
    return {
        "kind": "toy", "folder": "out", "precision": "int8", "exporter": "torchscript", "source_bytes": 2**20,
        "bundle_bytes": 2**21, "onnx_bytes": 2**19, "parameters": 1000, "extra": {}, "items": "window",
        "latency_ms": {"1": {"eager": 2.0, "deployed": 1.0}}, "speedup": {"1": 2.0},
        "throughput_per_s": {"1": {"eager": 500.0, "deployed": 1000.0}}, "before": 0.9, "after": 0.89,
        "metric_change_pct": -1.11, "metric": "auroc", "metric_note": "held out", "threads": 1,
        **({"bf16": bf16} if bf16 else {}),
    }  # fmt: skip


def test_measure_latency_times_the_eager_runner_in_bf16_too() -> None:
    net = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4)).eval()
    x = torch.randn(8, 16)
    seen: list[torch.dtype] = []

    def eager(b: int) -> torch.Tensor:
        with torch.inference_mode():
            y = net(x[:b])
        seen.append(y.dtype)
        return y

    out = measure_latency({"eager": eager, "deployed": eager}, (1, 8), repeats=1)
    assert set(out["8"]) == {"eager", "deployed", BF16_RUNNER} and all(v > 0 for v in out["8"].values())
    assert torch.bfloat16 in seen and torch.float32 in seen  # the bf16 runner did run under autocast
    assert set(measure_latency({"eager": eager}, (1,), repeats=1, bf16_device=None)["1"]) == {"eager"}


def test_a_device_without_bf16_is_skipped_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_mod, "bf16_skip_reason", lambda device: "no bfloat16 on this device")
    out = measure_latency({"eager": lambda b: b}, (1,), repeats=1)
    assert set(out["1"]) == {"eager"}
    assert report_mod._bf16(out, 0.9, lambda: 0.5, "cpu") == {"skipped": "no bfloat16 on this device"}
    *_, notes = deployment_table(_doc(skipped="no bfloat16 on this device"))
    assert notes[-1] == "eager bf16: not measured (no bfloat16 on this device)"


def test_the_table_has_the_bf16_column_only_when_measured() -> None:
    _, cols, rows, notes = deployment_table(_doc())  # a report written before the column existed
    assert cols == ["figure", "eager fp32", "ONNX int8", "ratio"] and len(notes) == 1
    half = {"device": "cpu", "latency_ms": {"1": 4.0}, "throughput_per_s": {"1": 250.0},
            "vs_eager": {"1": 0.5}, "metric": 0.8991, "metric_change_pct": -0.1, "skipped": None}  # fmt: skip
    _, cols, rows, notes = deployment_table(_doc(**half))
    assert cols == ["figure", "eager fp32", "eager bf16", "ONNX int8", "ratio"]
    by_name = {r[0]: r for r in rows}
    assert by_name["latency, batch 1 (ms)"][1:4] == ["2.000", "4.000 (0.50x)", "1.000"]
    assert by_name["auroc"][2] == "0.8991 (-0.10%)" and notes[-1].endswith("on cpu")


def test_a_domain_bf16_runner_is_timed_instead_of_autocast(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def runner(name: str) -> Callable[[int], None]:
        return lambda b: calls.append(name)

    out = measure_latency({"eager": runner("eager")}, (1, 4), repeats=1, bf16_runner=runner("own bf16"))
    assert set(out["4"]) == {"eager", BF16_RUNNER} and "own bf16" in calls
    assert not torch.is_autocast_enabled("cpu")
    monkeypatch.setattr(report_mod, "bf16_skip_reason", lambda device: "no bfloat16 on this device")
    calls.clear()
    out = measure_latency({"eager": runner("eager")}, (1,), repeats=1, bf16_runner=runner("own bf16"))
    assert set(out["1"]) == {"eager"} and "own bf16" not in calls  # skipped like the autocast runner


def test_runners_are_sampled_in_rounds_so_a_burst_of_load_hits_each_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stall during the first runner's samples once made an export report '13,418x faster': the samples
    now alternate (one per runner per round) and each runner's median is taken."""
    order: list[str] = []
    clock = iter(range(10**6))
    monkeypatch.setattr(report_mod.time, "perf_counter", lambda: float(next(clock)))  # 1 s per reading

    def runner(name: str) -> Callable[[int], None]:
        return lambda b: order.append(name)

    out = measure_latency({"eager": runner("eager"), "deployed": runner("deployed")}, (1,), repeats=3,
                          bf16_device=None)  # fmt: skip
    assert order == ["eager", "deployed"] + ["eager", "deployed"] * 3  # warm-ups, then three rounds
    assert out["1"] == {"eager": 1e3, "deployed": 1e3}  # each sample: one call over one (fake) second


def test_folder_bytes_counts_only_the_bundle_not_the_training_report(tmp_path: Path) -> None:
    """A train command's history.csv/training.png sit beside the bundle, outside its manifest: an export's
    "before" size counted them, so an int8 export that grew looked smaller."""
    cfg = SequenceRegressorConfig(RecurrentConfig(3, 8), out_features=2)
    bundle = Bundle(kind="test.regressor", model=SequenceRegressor(cfg), files={"vocab.txt": b"a\nb\n"})
    folder = bundle.save(tmp_path / "model")
    listed = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    (folder / "history.csv").write_text("epoch,loss\n" + "1,0.5\n" * 2000)
    (folder / "training.png").write_bytes(b"\x89PNG" + b"\0" * 50_000)
    assert folder_bytes(folder) == listed
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.bin").write_bytes(b"\0" * 10)
    assert folder_bytes(plain) == 10


def test_the_table_sets_the_loaded_sizes_side_by_side() -> None:
    """Eager's source bundle beside what the export loads (its ratio), then the export folder in all, named
    so (before: the source beside the folder in all, an int8 export looking larger than its source)."""
    doc = {**_doc(), "deployed_bytes": 2**19 + 2**18}  # source 1 MiB, folder 2 MiB, ONNX 0.5 MiB
    _, _, rows, _ = deployment_table(doc)
    assert rows[0] == ["size loaded (MiB)", "1.00", "0.75 (ONNX file 0.50)", "0.75x"]
    assert rows[1] == ["  folder in all (MiB)", "", "2.00 (float32 weights kept)", ""]
    _, _, old, _ = deployment_table(_doc())  # a report written before deployed_bytes: as it printed
    assert old[0] == ["size on disk (MiB)", "1.00", "2.00 (ONNX file 0.50)", ""]
