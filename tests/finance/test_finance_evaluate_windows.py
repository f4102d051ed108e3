"""``finance evaluate`` of runs scored on different windows (other tickers, another test period or horizon,
as a user comparing a new stock's run with an old one gets): the table lines their figures up as if they
were comparable; one warning says which runs differ in what (the figures are still shown)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_harness import run_entry


def _run(folder: Path, tickers: list[str], first: str, horizon: int) -> Path:
    score = {"model": "lstm", "rel_mae": 0.98, "mase": 1.2, "mape": 1.0, "directional_accuracy": 0.5,
             "coverage": 0.8, "nominal_coverage": 0.8, "dm_p": 0.5, "pinball": 1.0}  # fmt: skip
    board = {
        "first_date": first,
        "last_date": "2013-01-02",
        "horizon": horizon,
        "verdict": "v",
        "scores": [score],
    }
    folder.mkdir()
    (folder / "run.json").write_text(
        json.dumps({"tickers": tickers, "sample_data": False, "backtest": board})
    )
    return folder


def test_runs_on_different_windows_are_named_in_one_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _run(tmp_path / "a", ["AAPL"], "2012-01-03", 5)
    b = _run(tmp_path / "b", ["AAPL"], "2012-01-03", 5)
    c = _run(tmp_path / "c", ["GOOG"], "2012-06-01", 3)
    code, out, err = run_entry(capsys, "finance", "evaluate", a, b)
    assert code == 0 and "differ" not in err, err
    code, out, err = run_entry(capsys, "finance", "evaluate", a, b, c)
    assert code == 0 and "lstm" in out
    lines = [" ".join(line.split()) for line in err.split("WARNING") if "differ" in line]
    # before: no word; rel. MAE 0.98 of AAPL at 5 steps beside 0.98 of GOOG at 3, as if comparable
    assert len(lines) == 1, err
    assert (
        f"{c} differs from {a} in tickers (GOOG vs AAPL), test period (2012-06-01..2013-01-02 vs " in lines[0]
    )
    assert "horizon (3 vs 5)" in lines[0] and "not scored on the same windows" in lines[0]
    code, out, err = run_entry(capsys, "finance", "evaluate", a, c, "--json")
    assert code == 0 and "differs" in err and json.loads(out)["runs"][0]["horizon"] == 5


def test_a_run_given_twice_is_shown_once_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``finance evaluate RUN RUN`` (or ``RUN RUN/run.json``) repeated every row of RUN and compared it with
    itself; now each run once, in the order first given, and one warning naming the repeat."""
    a = _run(tmp_path / "a", ["AAPL"], "2012-01-03", 5)
    b = _run(tmp_path / "b", ["AAPL"], "2012-01-03", 5)
    code, out, err = run_entry(
        capsys, "finance", "evaluate", a, b, a / "run.json", tmp_path / "b" / ".." / "a", "--json"
    )
    assert code == 0, err
    assert [row["run"] for row in json.loads(out)["runs"]] == [str(a), str(b)]
    warning = " ".join(err.split())
    assert warning.count("run given more than once, shown once") == 1, err
    assert f"{a / 'run.json'} (the same run as {a})" in warning
    code, out, err = run_entry(capsys, "finance", "evaluate", a, b)
    assert code == 0 and "more than once" not in err


def test_runs_of_the_same_tickers_in_another_order_are_not_said_to_differ(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``finance backtest MSFT AAPL`` and ``finance backtest AAPL MSFT`` score the same windows; before, a
    warning said their figures did not compare one to one ("differs ... in tickers (AAPL,MSFT vs
    MSFT,AAPL)"). Another set of tickers is still named."""
    a = _run(tmp_path / "a", ["MSFT", "AAPL"], "2012-01-03", 5)
    b = _run(tmp_path / "b", ["AAPL", "MSFT"], "2012-01-03", 5)
    c = _run(tmp_path / "c", ["AAPL", "IBM"], "2012-01-03", 5)
    code, _, err = run_entry(capsys, "finance", "evaluate", a, b)
    assert code == 0 and "differ" not in err, err
    code, _, err = run_entry(capsys, "finance", "evaluate", a, b, c)
    warning = " ".join(err.split())
    assert code == 0 and f"{c} differs from {a} in tickers (AAPL,IBM vs MSFT,AAPL)" in warning, err
    assert f"{b} differs" not in warning
