"""Run-folder outputs: the forecasts table as CSV or Parquet, and `finance evaluate --per-step`."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from carrousel.core.errors import MissingExtraError
from carrousel.core.option_names import flags_named
from carrousel.finance.cli import app
from carrousel.finance.errors import FinanceConfigError, FinanceError, RunFileError
from carrousel.finance.runs import check_table_format, step_rows, write_table

TINY = ["--horizon", "3", "--lookback", "10", "--epochs", "1", "--hidden", "8", "--test-days", "40",
        "--refit-every", "40"]  # fmt: skip
COLUMNS = ["unique_id", "cutoff", "ds", "model", "step", "p10", "p50", "p90", "y"]

runner = CliRunner()


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {"unique_id": ["A", "A"], "cutoff": ["2010-01-04", "2010-01-04"], "ds": ["2010-01-05", "2010-01-06"],
         "model": ["drift", "drift"], "step": [1, 2], "p10": [9.0, 8.5], "p50": [10.0, 10.1],
         "p90": [11.0, 11.5], "y": [10.2, 9.9]}
    )  # fmt: skip


def test_write_table_picks_the_format_from_the_extension(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    table = _table()
    write_table(table, tmp_path / "t.csv")
    write_table(table, tmp_path / "t.parquet")
    csv = pd.read_csv(tmp_path / "t.csv")
    pq = pd.read_parquet(tmp_path / "t.parquet")
    assert list(csv.columns) == list(pq.columns) == COLUMNS
    assert pq["ds"].dtype.kind == "M" and csv["ds"].tolist() == ["2010-01-05", "2010-01-06"]
    assert pq["ds"].dt.strftime("%Y-%m-%d").tolist() == csv["ds"].tolist()
    pd.testing.assert_frame_equal(csv.drop(columns=["cutoff", "ds"]), pq.drop(columns=["cutoff", "ds"]),
                                  check_dtype=False)  # fmt: skip
    with pytest.raises(FinanceConfigError, match=r"ends in \.csv or \.parquet"):
        write_table(table, tmp_path / "t.xlsx")
    bad = table.assign(p90=[11.0, np.inf])
    with pytest.raises(FinanceError, match="non-finite"):
        write_table(bad, tmp_path / "bad.csv")
    assert not (tmp_path / "bad.csv").exists() and not (tmp_path / "t.xlsx").exists()


def test_parquet_without_pyarrow_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails
    with pytest.raises(MissingExtraError, match=r"carrousel-finance\[parquet\]"):
        check_table_format("parquet")
    with pytest.raises(FinanceConfigError, match="unknown"):
        check_table_format("xlsx")
    check_table_format("csv")


def test_parquet_without_pyarrow_names_the_setting_as_the_caller_set_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The purpose read 'Parquet tables (--table-format parquet)' from Python too (on main): now
    table_format='parquet' from Python, --table-format parquet in a command; write_table names its file."""
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails
    with pytest.raises(MissingExtraError) as python:
        check_table_format("parquet")
    assert str(python.value).startswith("Parquet tables (table_format='parquet') needs the pyarrow"), (
        python.value
    )
    assert "--" not in str(python.value), python.value
    with flags_named(), pytest.raises(MissingExtraError) as command:
        check_table_format("parquet")
    assert str(command.value).startswith("Parquet tables (--table-format parquet) needs the"), command.value
    for named in (False, True):  # the file's extension chose the format: it is named, not a setting
        with contextlib.ExitStack() as stack:
            if named:
                stack.enter_context(flags_named())
            with pytest.raises(MissingExtraError) as info:
                write_table(_table(), tmp_path / "t.parquet")
        assert str(info.value).startswith("Parquet tables (t.parquet) needs the pyarrow"), info.value
    assert not (tmp_path / "t.parquet").exists()


def test_backtest_runs_in_parquet_and_evaluate_per_step_side_by_side(
    sample_source: Path, tmp_path: Path
) -> None:
    pytest.importorskip("pyarrow")
    base = ["backtest", "AAPL", "--source", "sample", *TINY, "--no-ensemble"]
    first = runner.invoke(app, [*base, "--out", str(tmp_path / "lstm"), "--table-format", "parquet"])
    assert first.exit_code == 0, first.output
    files = sorted(p.name for p in (tmp_path / "lstm").iterdir())
    assert files == ["forecasts.parquet", "run.json"]
    table = pd.read_parquet(tmp_path / "lstm" / "forecasts.parquet")
    assert list(table.columns) == COLUMNS and table["cutoff"].dtype.kind == "M"
    doc = json.loads((tmp_path / "lstm" / "run.json").read_text())
    models = [s["model"] for s in doc["backtest"]["scores"]]
    assert set(table["model"]) == set(models) and len(table) == 40 * 3 * len(models)
    for s in doc["backtest"]["scores"]:  # the table's step-2 MAE is the run's per-step MAE
        rows = table[(table["model"] == s["model"]) & (table["step"] == 2)]
        assert np.abs(rows["p50"] - rows["y"]).mean() == pytest.approx(s["per_step"][1]["mae"], rel=1e-9)
        assert np.mean([p["mase"] for p in s["per_step"]]) == pytest.approx(s["mase"], rel=1e-9)
    second = runner.invoke(app, [*base, "--arch", "gru", "--out", str(tmp_path / "gru")])
    assert second.exit_code == 0, second.output
    assert (tmp_path / "gru" / "forecasts.csv").is_file()

    runs = [str(tmp_path / "lstm"), str(tmp_path / "gru")]
    shown = runner.invoke(app, ["evaluate", *runs, "--per-step", "--json"])
    assert shown.exit_code == 0, shown.output
    rows = json.loads(shown.stdout)["steps"]
    assert rows == step_rows([Path(r) for r in runs])
    assert {(r["run"], r["step"]) for r in rows} == {(run, h) for run in runs for h in (1, 2, 3)}
    got = {(r["run"], r["model"], r["step"]): r for r in rows}
    for run in runs:
        board = json.loads((Path(run) / "run.json").read_text())["backtest"]
        for s in board["scores"]:
            for p in s["per_step"]:
                r = got[(run, s["model"], p["step"])]
                keys = ("mae", "mase", "pinball", "coverage", "winkler", "crps", "directional_accuracy")
                assert [r[k] for k in keys] == [p[k] for k in keys] and r["crps"] > 0
    assert {r["model"] for r in rows if r["run"] == runs[0]} - {r["model"] for r in rows if r["run"] == runs[1]} == {
        "lstm", "lstm_aci"
    }  # fmt: skip
    assert {r["group"] for r in rows if r["model"] in ("lstm", "gru")} == {"network"}
    assert {r["group"] for r in rows if r["model"] in ("lstm_aci", "gru_aci")} == {"network_aci"}
    text = runner.invoke(app, ["evaluate", *runs, "--per-step"])
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    header = next(ln for ln in lines if "MAE" in ln)
    assert header.index("lstm MAE") < header.index("gru MAE")  # runs side by side
    # the two networks share a row: lstm's figures under the lstm run, gru's under the gru run
    net3 = next(ln for ln in lines if "network (lstm, gru)" in ln and " 3 " in ln)
    lstm3, gru3 = got[(runs[0], "lstm", 3)], got[(runs[1], "gru", 3)]
    assert net3.index(f"{lstm3['mae']:.3f}") < net3.index(f"{gru3['mae']:.3f}") and "n/a" not in net3
    drift1 = next(ln for ln in lines if ln.strip("│ ").startswith("drift ") and " 1 " in ln)
    assert drift1.count(f"{got[(runs[0], 'drift', 1)]['mae']:.3f}") == 2  # same baseline, same windows


def test_per_step_refuses_a_run_without_per_step_scores(tmp_path: Path) -> None:
    run = tmp_path / "old"
    run.mkdir()
    score = {"model": "lstm", "rel_mae": 1.0, "mase": 1.0, "mape": 1.0, "directional_accuracy": 0.5,
             "coverage": 0.8, "nominal_coverage": 0.8, "dm_p": 0.5}  # fmt: skip
    doc = {
        "tickers": ["A"],
        "backtest": {"first_date": "a", "last_date": "b", "verdict": "v", "scores": [score]},
    }
    (run / "run.json").write_text(json.dumps(doc))
    with pytest.raises(RunFileError, match="no per-step scores"):
        step_rows([run])
    result = runner.invoke(app, ["evaluate", str(run), "--per-step"])
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert result.exit_code == 1 and len(lines) == 1 and "per-step" in lines[0]
