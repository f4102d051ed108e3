"""``finance export``: an exported forecaster (ONNX beside the weights) forecasts the same through ONNX
Runtime, ``finance forecast --model-dir`` runs it transparently, and the report holds real figures."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from carrousel.core.bundle import load_bundle
from carrousel.core.errors import ConfigError
from carrousel.core.export import export_bundle
from carrousel.finance.bundle import ForecasterBundle
from carrousel.finance.cli import app
from carrousel.finance.config import ExportConfig, FinanceConfig
from carrousel.finance.data import load_histories
from carrousel.finance.deploy import export_spec
from carrousel.finance.errors import FinanceConfigError, ForecasterBundleError
from carrousel.finance.features import build_series, valid_origins
from carrousel.finance.pipeline import export_forecaster, forecast

runner = CliRunner()


@pytest.fixture
def trained(
    tmp_path: Path, sample_source: Path, tiny_config: Callable[..., FinanceConfig]
) -> tuple[Path, FinanceConfig]:
    cfg = tiny_config(("AAPL",), "sample", end="2010-06-30")
    cfg = replace(cfg, backtest=replace(cfg.backtest, enabled=False))
    forecast(cfg, model_dir=tmp_path / "model")
    return tmp_path / "model", cfg


def test_export_cli_report_and_transparent_forecast(
    tmp_path: Path, trained: tuple[Path, FinanceConfig]
) -> None:
    model, cfg = trained
    out = tmp_path / "fp32"
    res = runner.invoke(
        app,
        [
            "export",
            "--model-dir",
            str(model),
            "-o",
            str(out),
            "--precision",
            "fp32",
            "--eval-days",
            "60",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["precision"] == "fp32" and doc["kind"] == "finance.forecaster"
    assert set(doc["latency_ms"]) == {"1", "64"} and all(
        v["deployed"] > 0 for v in doc["latency_ms"].values()
    )
    assert "held out" in doc["metric_note"] and "60 origins" in doc["metric_note"]
    assert doc["after"] == pytest.approx(doc["before"], rel=1e-4)  # fp32: the same forecasts
    names = {p.name for p in out.rglob("*") if p.is_file()}
    assert "report.json" in names  # the printed report, beside the bundle (outside its manifest)
    names -= {"report.json"}
    assert names == {"bundle.json", "model.safetensors", "arrays.safetensors", "model.fp32.onnx"}  # no pickle
    eager, deployed = ForecasterBundle.from_pretrained(model), ForecasterBundle.from_pretrained(out)
    assert eager.fitted.runtime is None and deployed.fitted.runtime is not None
    again = forecast(cfg, model_dir=out)  # reused transparently, through ONNX Runtime
    ref = forecast(cfg, model_dir=model)
    assert again.reused
    for a, b in zip(again.forecasts[0].rows, ref.forecasts[0].rows, strict=True):
        assert a.quantiles == pytest.approx(b.quantiles, rel=1e-5)
    # --precision bf16 runs a PyTorch network: an exported forecaster refuses it in one line, before any work
    args = ["forecast", "AAPL", "--source", "sample", "--model-dir", str(out), "--precision", "bf16"]
    refused = runner.invoke(app, args)
    lines = [ln for ln in refused.output.splitlines() if ln.strip()]
    assert refused.exit_code == 1 and len(lines) == 1, refused.output
    assert "exported (ONNX) model runs its own fp32/int8 file: use --precision fp32" in lines[0], lines[0]


def test_int8_export_within_a_stated_tolerance(tmp_path: Path, trained: tuple[Path, FinanceConfig]) -> None:
    model, cfg = trained
    report = export_forecaster(ExportConfig(model_dir=str(model), eval_days=60), tmp_path / "int8")
    assert report.precision == "int8" and report.before is not None and report.after is not None
    assert abs(report.after / report.before - 1) < 0.02  # pinball within 2% on a tiny 8-unit network
    asset = load_bundle(tmp_path / "int8").assets["export"]
    assert asset["file"] == "model.int8.onnx" and "LSTM" in asset["int8_ops"]
    assert np.isfinite(report.check_max_abs_diff)
    # forecasts of the exported bundle report the int8 they run in (before: "precision": "fp32"), as
    # `finance predict` does from the same field, and the other domains' exported bundles
    assert ForecasterBundle.from_pretrained(tmp_path / "int8").exported == "int8"
    doc = forecast(cfg, model_dir=tmp_path / "int8").to_dict()
    assert (doc["trained_precision"], doc["precision"]) == ("fp32", "int8")
    assert forecast(cfg, model_dir=model).to_dict()["precision"] == "fp32"


def test_the_exported_graph_is_the_fused_ensemble(
    tmp_path: Path, trained: tuple[Path, FinanceConfig]
) -> None:
    """The fused graph runs every member in one LSTM node and forecasts what the eager ensemble forecasts
    (fp32: the same numbers); ``finance export`` fuses for int8 and keeps one node per member for fp32."""
    import onnx

    model, cfg = trained
    saved = ForecasterBundle.from_pretrained(model)
    folder, asset = export_bundle(
        saved.to_bundle(), tmp_path / "f", export_spec(saved.fitted, fuse=True), "fp32"
    )
    assert asset["fused_members"] == cfg.model.members == 2 and asset["fused_max_abs_diff"] < 1e-5
    graph = onnx.load_from_string(bytes(load_bundle(folder).files[asset["file"]])).graph
    assert [n.op_type for n in graph.node].count("LSTM") == 1  # one node for both members
    deployed = ForecasterBundle.from_pretrained(folder)
    assert deployed.fitted.runtime is not None
    history = load_histories(replace(cfg.data, end=None))[0]
    series = build_series(history.ticker, history.frame, cfg.window.indicators)
    origins = valid_origins(series, cfg.window.lookback, cfg.window.horizon)[-300:]
    got = deployed.fitted.predict(series, origins)
    np.testing.assert_allclose(got, saved.fitted.predict(series, origins), rtol=1e-4, atol=1e-6)
    raw = deployed.fitted.predict(series, origins, calibrated=False)
    np.testing.assert_allclose(raw, saved.fitted.predict(series, origins, calibrated=False), atol=1e-5)
    # bf16 autocast of the PyTorch ensemble (core's predict): finite, within 2 % of the quantiles' range;
    # an exported (ONNX) forecaster refuses it in one line
    half = replace(saved.fitted, precision="bf16").predict(series, origins, calibrated=False)
    full = saved.fitted.predict(series, origins, calibrated=False)
    assert np.isfinite(half).all() and 0 < np.abs(half - full).max() < 0.02 * np.abs(full).max()
    with pytest.raises(ConfigError, match="exported \\(ONNX\\) model runs its own fp32/int8 file"):
        replace(deployed.fitted, precision="bf16").predict(series, origins)
    for precision, op, nodes in (("int8", "DynamicQuantizeLSTM", 1), ("fp32", "LSTM", 2)):
        export_forecaster(
            ExportConfig(model_dir=str(model), precision=precision, eval_days=60), tmp_path / precision
        )  # type: ignore[arg-type]
        written = load_bundle(tmp_path / precision)
        entry = written.assets["export"]
        ops = [n.op_type for n in onnx.load_from_string(bytes(written.files[entry["file"]])).graph.node]
        assert ops.count(op) == nodes and ("fused_members" in entry) == (precision == "int8")


def test_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ForecasterBundleError, match="holds no forecaster"):
        export_forecaster(ExportConfig(model_dir=str(tmp_path / "none")), tmp_path / "out")
    with pytest.raises(FinanceConfigError, match="eval_days"):
        ExportConfig(model_dir="m", eval_days=3)
    res = runner.invoke(app, ["export", "--model-dir", "m", "-o", "x", "--precision", "int4"])
    assert res.exit_code == 2


def test_finetune_epochs_without_prune_or_distill_is_a_usage_error(tmp_path: Path) -> None:
    """'finance export --model-dir m -o o --finetune-epochs 3' exported the plain ensemble and ignored the
    option without a word; now a usage error naming --prune and --distill, before the model is read."""
    res = CliRunner().invoke(
        app,
        ["export", "--model-dir", str(tmp_path / "m"), "-o", str(tmp_path / "o"), "--finetune-epochs", "3"],
    )
    assert res.exit_code == 2 and "--finetune-epochs is for --prune or --distill" in res.output, res.output
    assert list(tmp_path.iterdir()) == []


def test_eval_days_bounds_are_named_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bound of --eval-days was spelled twice as literal numbers (the option's min=20, max=100_000 and the
    message's '[20, 100000]'); now MIN_EVAL_DAYS and MAX_EVAL_DAYS, read by the check, the option and --help."""
    from carrousel.finance import export_config

    assert (export_config.MIN_EVAL_DAYS, export_config.MAX_EVAL_DAYS) == (20, 100_000)
    monkeypatch.setattr(export_config, "MAX_EVAL_DAYS", 500)  # the message reads the name, not a literal
    with pytest.raises(FinanceConfigError, match=r"^eval_days=501 must be in \[20, 500\], e.g. 250$"):
        ExportConfig(model_dir="m", eval_days=501)
    text = " ".join(runner.invoke(app, ["export", "--help"], env={"COLUMNS": "200"}).output.split())
    assert "Forecast origins scored before and after. [default: 250; 20<=x<=100000]" in text, text
    res = runner.invoke(
        app, ["export", "--model-dir", "m", "-o", str(tmp_path / "o"), "--eval-days", "100001"]
    )
    assert res.exit_code == 2 and "'--eval-days'" in res.stderr and "100000" in res.stderr, res.output
    assert list(tmp_path.iterdir()) == []


def test_the_scored_prices_are_read_before_anything_is_written(
    tmp_path: Path, trained: tuple[Path, FinanceConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The prices the export is scored on were read after the export folder was written: 'finance export
    --source csv' for a model trained on the sample exported, then failed with 'source 'csv' needs a file;
    pass --csv PATH' (an option export does not have), leaving the folder (exit 1); so did any price error
    (Yahoo unreachable...). Now both before any work: one line, nothing written."""
    from carrousel.finance.errors import PriceDataError

    model, _ = trained
    out = tmp_path / "exported"
    res = runner.invoke(app, ["export", "--model-dir", str(model), "-o", str(out), "--source", "csv"])
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert res.exit_code == 1 and len(lines) == 1 and not out.exists(), res.output
    assert lines[0] == (
        f"error: --source csv scores on the CSV file the model was trained on, and the one in {model} was "
        "trained on sample prices; give --source sample, yahoo or auto, or leave it out (the model's own prices)"
    ), lines[0]

    def unreachable(*_: object) -> None:
        raise PriceDataError("no prices today; try later")

    monkeypatch.setattr("carrousel.finance.deploy.load_histories", unreachable)
    res = runner.invoke(app, ["export", "--model-dir", str(model), "-o", str(out)])
    assert res.exit_code == 1 and "no prices today" in res.output and not out.exists(), res.output
