"""Every ``export`` command's report (size, latency, metric: what it prints) is kept in the export folder as
``report.json``, written into the staged folder by core's ``export_measured`` so that the report and the
export are in place together or not at all; ``print_deployment`` prints nothing under ``-q``.

On main the report was only printed: no ``report.json`` in the folder, and ``-q`` still printed the table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from carrousel.core import cli
from carrousel.core.bundle import Bundle, load_bundle
from carrousel.core.bundle_files import WEIGHTS_FILE
from carrousel.core.export import DeploymentReport, ExportSpec, export_measured, measure_latency
from carrousel.core.export.report import folder_bytes
from carrousel.core.nn import RecurrentConfig, SequenceRegressor, SequenceRegressorConfig
from tests.core.test_core_export import DYN

REPORT_FILE = "report.json"  # carrousel.core.curves.REPORT_FILE


def _inputs(b: int, t: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(b)
    return torch.randn(b, t, 3, generator=g), torch.full((b,), t)


def _export(folder: Path, measure: Any) -> Any:
    torch.manual_seed(0)
    cfg = SequenceRegressorConfig(encoder=RecurrentConfig(input_size=3, hidden_size=4), out_features=2)
    model = SequenceRegressor(cfg).eval()
    spec = ExportSpec(model, _inputs(2, 5), _inputs(3, 7), ("x", "lengths"), DYN)
    return export_measured(Bundle("test.regressor", model), folder, spec, "fp32", "torchscript", measure)


def _report(folder: Path) -> Any:
    def measure(staged: Path, asset: dict[str, Any]) -> DeploymentReport:
        latency = measure_latency({"eager": lambda b: None, "deployed": lambda b: None}, (1,), 1, None)
        return DeploymentReport.measured(
            folder, asset, "test.regressor", network=torch.nn.Linear(2, 2), source_bytes=10,
            latency_ms=latency, items="window", metric="mae", before=1.0, after=1.0,
            metric_note="toy", staged=staged,
        )  # fmt: skip

    return measure


def test_the_export_folder_holds_the_report_it_printed(tmp_path: Path) -> None:
    out = tmp_path / "deployed"
    report = _export(out, _report(out))
    written = json.loads((out / REPORT_FILE).read_text(encoding="utf-8"))
    assert written == json.loads(json.dumps(report.summary()))  # the --json document, figure for figure
    assert written["folder"] == str(out) and written["bundle_bytes"] > 0
    load_bundle(out, kind="test.regressor")  # the bundle still loads (report.json lies outside its manifest)


def test_no_report_when_the_measure_fails(tmp_path: Path) -> None:
    """All or none: a failed measurement leaves no folder, hence no report."""
    out = tmp_path / "deployed"

    def broken(staged: Path, asset: dict[str, Any]) -> DeploymentReport:
        raise RuntimeError("bad evaluation file")

    with pytest.raises(RuntimeError):
        _export(out, broken)
    assert not out.exists()


def test_a_result_other_than_a_report_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "deployed"
    assert _export(out, lambda staged, asset: 7) == 7
    assert not (out / REPORT_FILE).exists()


def test_write_report_never_writes_a_non_finite_figure(tmp_path: Path) -> None:
    from carrousel.core.curves import write_report

    write_report(tmp_path, {"latency": float("nan"), "rows": [1.5, float("inf")], "n": np.int64(3)})
    assert json.loads((tmp_path / REPORT_FILE).read_text()) == {"latency": None, "rows": [1.5, None], "n": 3}


def test_write_report_writes_what_json_prints(tmp_path: Path) -> None:
    """report.json holds the --json document as emit_json writes it (to_jsonable): a path with bytes that
    are not UTF-8 as valid text, not the lone surrogate (\\udce9) strict JSON readers refuse; on main
    write_report had its own conversion and wrote the surrogate (a path object was a TypeError)."""
    from carrousel.core.cli_values import to_jsonable
    from carrousel.core.curves import write_report

    data = b"caf\xe9.csv".decode("utf-8", "surrogateescape")  # a Latin-1 file name as Python holds it
    doc = {"data": data, "model_dir": Path("m"), "mae": np.float32(0.5), "loss": float("nan")}
    write_report(tmp_path, doc)
    text = (tmp_path / REPORT_FILE).read_text(encoding="utf-8")
    assert "\\udc" not in text, text
    assert json.loads(text) == {**to_jsonable({k: v for k, v in doc.items() if k != "loss"}), "loss": None}


def test_print_deployment_prints_nothing_under_quiet(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = {
        "kind": "toy", "folder": "out", "precision": "fp32", "exporter": "torchscript", "source_bytes": 1,
        "bundle_bytes": 2, "onnx_bytes": 1, "parameters": 10, "extra": {}, "items": "window",
        "latency_ms": {"1": {"eager": 2.0, "deployed": 1.0}}, "speedup": {"1": 2.0},
        "throughput_per_s": {"1": {"eager": 500.0, "deployed": 1000.0}}, "before": None, "after": None,
        "metric_change_pct": None, "metric": "mae", "metric_note": "toy", "threads": 1,
    }  # fmt: skip
    monkeypatch.setattr(cli, "is_quiet", lambda: True)
    cli.print_deployment(doc, "MORE LINE")
    assert capsys.readouterr().out == ""
    monkeypatch.setattr(cli, "is_quiet", lambda: False)
    cli.print_deployment(doc, "MORE LINE")
    assert "MORE LINE" in capsys.readouterr().out


def test_the_report_gives_what_the_export_loads(tmp_path: Path) -> None:
    """The size is what each model loads to run: eager its source bundle, the export its ONNX files with
    ``bundle.json`` and the assets (``deployed_bytes``), not the float32 weights the folder keeps for
    re-export and gradients. Before, only the folder in all (``bundle_bytes``, still there): an nlp
    sentiment int8 export (1.75 MiB) looked larger than the model it came from (1.34)."""
    out = tmp_path / "deployed"
    doc: dict[str, Any] = _export(out, _report(out)).summary()
    weights = (out / WEIGHTS_FILE).stat().st_size
    assert doc["bundle_bytes"] == folder_bytes(out)
    assert doc["deployed_bytes"] == folder_bytes(out) - weights
    assert doc["onnx_bytes"] < doc["deployed_bytes"] < doc["bundle_bytes"]
