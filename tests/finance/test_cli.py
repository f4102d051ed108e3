"""The ``finance`` command line through typer's CliRunner (no network)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import carrousel.finance.data as data_mod
from carrousel.finance.cli import app

TINY = ["--horizon", "3", "--lookback", "10", "--epochs", "2", "--hidden", "8", "--test-days", "40",
        "--refit-every", "20", "--members", "2"]  # fmt: skip
# TINY without the backtest: --test-days and --refit-every with --no-backtest are a usage error
NO_BACKTEST = [*TINY[:8], *TINY[12:], "--no-backtest"]
# TINY's window and network settings alone: a reused --model-dir refuses the training flags (usage error)
SHAPE = [*TINY[:4], *TINY[6:8], *TINY[12:]]

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and "carrousel-finance" in result.output


def test_forecast_json_plot_and_evaluate(sample_source: Path, tmp_path: Path) -> None:
    args = ["forecast", "AAPL", "--source", "sample", *TINY, "--quantiles", "0.05,0.95", "--json"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "run"), "--plot", str(tmp_path / "fan.png")])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["tickers"] == ["AAPL"] and doc["sample_data"] is True
    assert doc["data"][0]["label"].startswith("SAMPLE DATA") and doc["data"][0]["last_date"] == "2010-12-31"
    rows = doc["forecasts"][0]["rows"]
    assert len(rows) == 3 and list(rows[0]["quantiles"]) == ["p5", "p50", "p95"]
    models = [s["model"] for s in doc["backtest"]["scores"]]
    assert models[0] == "lstm" and {"random_walk", "drift", "zero_return", "arima", "ensemble"} <= set(models)
    assert doc["verdict"].startswith("lstm beats random walk: ")
    assert doc["backtest"]["interval_verdict"].startswith("lstm intervals beat best baseline ")
    assert (tmp_path / "fan.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "run" / "run.json").exists() and (
        tmp_path / "run" / "model" / "model.safetensors"
    ).exists()

    shown = runner.invoke(app, ["evaluate", str(tmp_path / "run")])
    assert shown.exit_code == 0, shown.output
    assert "random_walk" in shown.output and "beats random walk" in shown.output
    assert "lstm intervals beat best baseline " in shown.output

    # the run folder itself works as --model-dir: its model/ bundle is reused, not retrained over
    shape = ["forecast", "AAPL", "--source", "sample", *SHAPE, "--quantiles", "0.05,0.95", "--json"]
    reuse = runner.invoke(app, [*shape, "--model-dir", str(tmp_path / "run")])
    assert reuse.exit_code == 0, reuse.output
    again = json.loads(reuse.stdout)
    assert again["reused_bundle"] is True and again["bundle"] == str(tmp_path / "run" / "model")
    assert again["forecasts"] == doc["forecasts"]


def test_forecast_table_reuses_model_dir(sample_source: Path, tmp_path: Path) -> None:
    args = [
        "forecast",
        "MSFT",
        "--source",
        "sample",
        *TINY,
        "--model-dir",
        str(tmp_path / "m"),
        "--no-ensemble",
    ]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "SAMPLE DATA" in first.output and "random_walk" in first.output and "saved to" in first.output
    second = runner.invoke(
        app, ["forecast", "MSFT", "--source", "sample", *SHAPE, "--model-dir", str(tmp_path / "m")]
    )
    assert (
        second.exit_code == 0 and "reused" in second.output and "saved model's training run" in second.output
    )


def test_a_reused_model_dates_its_saved_backtest_and_no_backtest_leaves_it_out(
    sample_source: Path, tmp_path: Path
) -> None:
    """A reuse runs no backtest: its scoreboard is the one saved with the model. Before: 'finance forecast
    --model-dir M --no-backtest' with a model in M printed that whole scoreboard and verdict (titled
    'walk-forward backtest (from the saved model's training run)', undated) as if one had run; now one line
    names it with its date. Without --no-backtest it is shown, titled with that date. --json is unchanged
    (the saved scoreboard, reused_bundle true)."""
    model = tmp_path / "m"
    base = ["forecast", "AAPL", "--source", "sample", "--model-dir", str(model)]
    trained = runner.invoke(app, [*base, *TINY, "--json"])
    assert trained.exit_code == 0, trained.output
    day = json.loads((model / "bundle.json").read_text())["created"][:10]
    off = runner.invoke(app, [*base, "--no-backtest"])
    assert off.exit_code == 0, off.output
    assert f"backtest: not run; the reused model's saved backtest (its training run, {day}) is not shown" in (
        off.stdout
    )
    assert "rel. MAE" not in off.stdout and "beats random walk" not in off.stdout, off.stdout
    assert "continued from the saved model's backtest" in off.stdout  # the ACI band's state: saved too
    shown = runner.invoke(app, base)
    assert shown.exit_code == 0, shown.output
    title = (
        f"walk-forward backtest (from the saved model's training run, {day}; not rerun): 40 windows x 3 days"
    )
    assert title in shown.stdout and "beats random walk" in shown.stdout, shown.stdout
    as_json = json.loads(runner.invoke(app, [*base, "--no-backtest", "--json"]).stdout)
    assert as_json["backtest"] == json.loads(trained.stdout)["backtest"] and as_json["reused_bundle"] is True


def test_backtest_command_with_csv_and_toml(stocks_csv: Path, tmp_path: Path) -> None:
    toml = tmp_path / "run.toml"
    toml.write_text('[model]\narch = "gru"\n\n[backtest]\nwindow = "rolling"\ntrain_days = 500\n')
    result = runner.invoke(
        app, ["backtest", "AAPL", "--csv", str(stocks_csv), *TINY, "--config", str(toml), "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["sample_data"] is False and doc["backtest"]["windows"] == 40
    assert doc["model"] == "gru" and doc["backtest"]["scores"][0]["model"] == "gru"


def test_unreachable_yahoo_is_one_line_and_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yfinance

    def offline(*args: Any, **kwargs: Any) -> pd.DataFrame:
        return pd.DataFrame()

    monkeypatch.setattr(yfinance, "download", offline)
    monkeypatch.setattr(data_mod, "yahoo_reachable", lambda timeout=3.0: False)
    monkeypatch.setenv("CARROUSEL_CACHE", str(tmp_path))
    result = runner.invoke(app, ["forecast", "AAPL"])
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "unreachable" in lines[0] and "--source sample" in lines[0], result.output
    assert "Traceback" not in result.output


def test_bad_options_are_one_line_errors(sample_source: Path) -> None:
    for cmd, levels in (("forecast", "0.1,1.5"), ("backtest", "0.5"), ("forecast", "nan,0.9")):
        # a typed --quantiles the model refuses is a usage error (exit 2), as typer's own range errors
        result = runner.invoke(app, [cmd, "AAPL", "--source", "sample", "--quantiles", levels])
        assert result.exit_code == 2, result.output
        assert "'--quantiles'" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["forecast", "NOPE", "--source", "sample"])
    assert result.exit_code == 1 and "NOPE is not in the sample data" in result.output


def test_forecast_without_backtest_still_plots(sample_source: Path, tmp_path: Path) -> None:
    args = [
        "forecast",
        "AAPL",
        "--source",
        "sample",
        *NO_BACKTEST,
        "--plot",
        str(tmp_path / "f.png"),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "backtest: not run" in result.output and (tmp_path / "f.png").stat().st_size > 10_000


def test_usage_errors_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from carrousel.finance.cli import main as run

    for argv, needle in (
        (["forecast", "AAPL", "--horizon", "abc"], "--horizon"),
        (["forecast", "AAPL", "--bogus"], "--bogus"),
        (["forecast"], "tickers"),
    ):
        monkeypatch.setattr(sys, "argv", ["finance", *argv])
        with pytest.raises(SystemExit) as exit_info:
            run()
        assert exit_info.value.code == 2
        lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
        assert len(lines) == 1 and needle in lines[0].lower() and "finance forecast --help" in lines[0], lines
    monkeypatch.setattr(sys, "argv", ["finance", "forecast", "-h"])  # -h is help, as newcomers expect
    with pytest.raises(SystemExit) as exit_info:
        run()
    assert exit_info.value.code == 0 and "--horizon" in capsys.readouterr().out
    monkeypatch.setattr(sys, "argv", ["finance", "--version"])
    with pytest.raises(SystemExit) as exit_info:
        run()
    assert exit_info.value.code == 0 and "carrousel-finance" in capsys.readouterr().out


def test_bad_paths_fail_before_any_work(sample_source: Path, tmp_path: Path) -> None:
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    base = ["forecast", "AAPL", "--source", "sample", *TINY]
    for extra, needle in (
        (["--model-dir", str(afile)], "is a file, not a folder"),
        (["--out", str(afile / "sub")], "is a file, so the output cannot be created there"),
        (["--plot", str(tmp_path / "fan.txt")], "must end in .png"),
        (["--start", "2010-02-30"], "is not a date"),
    ):
        result = runner.invoke(app, [*base, *extra])
        lines = [ln for ln in result.output.splitlines() if ln.strip()]
        assert result.exit_code == 1 and len(lines) == 1 and needle in lines[0], result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]  # nothing half-written


def test_evaluate_rejects_files_of_another_kind(tmp_path: Path) -> None:
    (tmp_path / "fan.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "other.json").write_text('{"backtest": {"scores": [{"x": 1}]}}')
    for name in ("fan.png", "list.json", "other.json"):
        result = runner.invoke(app, ["evaluate", str(tmp_path / name)])
        lines = [ln for ln in result.output.splitlines() if ln.strip()]
        assert result.exit_code == 1 and len(lines) == 1 and name in lines[0], result.output


def test_evaluate_refuses_a_run_json_with_a_non_finite_number(tmp_path: Path) -> None:
    # Python's json reads NaN; before, a real run with one showed (exit 0) and `--json` failed with "a result
    # holds a non-finite number (nan); it is not written", naming neither the file nor the fix (this minimal
    # file: "is not a finance run file")
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text('{"backtest": {"scores": [{"model": "lstm", "mae": NaN}]}}')
    for extra in ([], ["--json"]):
        result = runner.invoke(app, ["evaluate", str(run), *extra])
        lines = [ln for ln in result.output.splitlines() if ln.strip()]
        assert result.exit_code == 1 and len(lines) == 1, result.output
        assert "run.json holds a non-finite number (NaN)" in lines[0], lines[0]
        assert "finance backtest --out" in lines[0], lines[0]


def test_model_dir_round_trip_and_saved_settings_as_defaults(sample_source: Path, tmp_path: Path) -> None:
    model = str(tmp_path / "m")
    first = runner.invoke(
        app, ["forecast", "AAPL", "--source", "sample", *TINY, "--model-dir", model, "--json"]
    )
    assert first.exit_code == 0, first.output
    trained = json.loads(first.stdout)
    assert trained["reused_bundle"] is False and (tmp_path / "m" / "bundle.json").is_file()
    # no window/network flag given: the saved model's horizon 3, lookback 10, hidden 8 are used, not defaults
    again = runner.invoke(app, ["forecast", "AAPL", "--source", "sample", "--model-dir", model, "--json"])
    assert again.exit_code == 0, again.output
    reused = json.loads(again.stdout)
    assert reused["reused_bundle"] is True and reused["horizon"] == 3
    assert reused["forecasts"] == trained["forecasts"] and reused["backtest"] == trained["backtest"]


def test_a_flag_contradicting_the_saved_model_is_one_line_and_exit_1(
    sample_source: Path, tmp_path: Path
) -> None:
    args = ["forecast", "AAPL", "--source", "sample", "--model-dir", str(tmp_path / "m")]
    assert runner.invoke(app, [*args, *NO_BACKTEST]).exit_code == 0
    for extra, needle in (  # the reuse, without the training flags (a usage error there)
        (["--horizon", "4"], "horizon 3, not the horizon 4"),
        (["--arch", "gru"], "arch lstm, not the arch gru"),
        (["--quantiles", "0.2,0.8"], "quantiles 0.1,0.5,0.9, not the quantiles 0.2,0.5,0.8"),
    ):
        result = runner.invoke(app, [*args, *extra])
        lines = [ln for ln in result.output.splitlines() if ln.strip()]
        assert result.exit_code == 1 and len(lines) == 1, result.output
        assert needle in lines[0] and "--model-dir" in lines[0] and extra[0] in lines[0], lines[0]


def test_quantiles_have_no_short_flag_and_q_means_quiet(sample_source: Path, tmp_path: Path) -> None:
    shown = runner.invoke(app, ["forecast", "--help"])
    assert shown.exit_code == 0
    assert "-q, --quiet" in shown.output and "-q, --quantiles" not in shown.output
    assert "--arch" in shown.output and "lstm|gru|bilstm" in shown.output and "--model " not in shown.output
    args = ["forecast", "AAPL", "--source", "sample", *NO_BACKTEST]
    loud = runner.invoke(app, [*args, "-v"])
    assert loud.exit_code == 0 and "fitting the final model" in loud.stderr
    quiet = runner.invoke(app, [*args, "-q", "--quantiles", "0.2,0.8"])
    assert quiet.exit_code == 0 and quiet.stderr == "" and "p20" in quiet.stdout


def test_a_failing_run_leaves_no_partial_out_folder(
    sample_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import carrousel.finance.pipeline as pipeline_mod

    def broken_chart(*args: Any, **kwargs: Any) -> Path:
        raise OSError(28, "No space left on device", "fan_AAPL.png")

    monkeypatch.setattr(pipeline_mod, "fan_chart", broken_chart)  # fails after training, mid-writing
    out = tmp_path / "runs" / "new"
    result = runner.invoke(app, ["forecast", "AAPL", "--source", "sample", *TINY, "--out", str(out)])
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert result.exit_code == 1 and len(lines) == 1 and "No space left" in lines[0], result.output
    assert not out.exists() and list((tmp_path / "runs").iterdir()) == []  # no temporary folder either


def test_out_refuses_a_folder_that_is_not_a_run(sample_source: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["forecast", "AAPL", "--source", "sample", *TINY, "--out", str(tmp_path)])
    assert result.exit_code == 1 and "holds files but no run.json" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("terminal", [True, False])
def test_forecast_table_keeps_the_forecast_whole_on_narrow_screens(
    monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    """With the nine baselines' columns, p10/p90 printed as ``2462.…`` even on a 140-column pipe; the
    forecast's own columns (date, day, quantiles, change) now stay whole and only the baselines give way."""
    import io

    from rich.console import Console

    from carrousel.finance.cli import _render

    screen = Console(file=io.StringIO(), width=80, force_terminal=terminal, color_system=None)
    monkeypatch.setattr(_render, "stdout", screen)  # looked up there by show()
    names = ["random_walk", "drift", "ewma", "garch", "arima", "auto_ets", "theta", "auto_arima", "ensemble"]
    row = {"date": "2019-01-02", "step": 1, "quantiles": {"p10": 2462.68, "p50": 2504.52, "p90": 2554.4}}
    fc = {"ticker": "SPX", "last_date": "2018-12-31", "last_close": 2506.85, "notes": [],
          "rows": [{**row, "change_pct": -0.09}], "others": {n: [2506.85] for n in names}}  # fmt: skip
    data = {
        "label": "CSV file spx.csv",
        "source": "csv",
        "first_date": "2014-01-02",
        "last_date": "2018-12-31",
    }
    _render.render_forecast({"model": "lstm", "data": [data], "forecasts": [fc]})
    text = screen.file.getvalue()
    for cell in ("2019-01-02", "2462.68", "2504.52", "2554.40", "-0.09%"):
        assert cell in text, text
