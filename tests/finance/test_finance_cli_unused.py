"""``finance`` options that would do nothing, or hold a value past their bound, are usage errors naming the
flag (exit 2, one line, nothing written): the conventions table of the README."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carrousel.finance.cli import app
from carrousel.finance.config import FinanceConfig, ModelConfig, TrainSettings, WindowConfig
from carrousel.finance.errors import FinanceConfigError
from tests.cli_harness import Outcome, assert_clean_failure, config_of

FIT = ["--horizon", "2", "--lookback", "10", "--epochs", "1", "--hidden", "4", "--members", "1"]


def _usage_error(outcome: Outcome, *flags: str) -> str:
    """The one error line of a usage error (exit 2, no stdout) naming every flag of ``flags``."""
    lines = outcome.error_lines()
    assert outcome.code == 2 and outcome.stdout == "" and len(lines) == 1, outcome.stderr
    assert all(flag in lines[0] for flag in flags), lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("command", "flag", "value", "bound"),
    [
        ("forecast", "-H", "0", "greater than or equal to 1"),
        ("forecast", "--horizon", "251", "less than or equal to 250"),
        ("forecast", "--lookback", "-5", "greater than or equal to 2"),
        ("forecast", "--hidden", "0", "greater than or equal to 1"),
        ("forecast", "--hidden", "4097", "less than or equal to 4096"),
        ("forecast", "--test-days", "5", "greater than or equal to 20"),
        ("forecast", "--refit-every", "0", "greater than or equal to 1"),
        ("backtest", "-H", "0", "greater than or equal to 1"),
        ("train-global", "-H", "0", "greater than or equal to 1"),
        ("train-global", "--lookback", "1", "greater than or equal to 2"),
        ("train-global", "--hidden", "0", "greater than or equal to 1"),
        ("train-global", "--max-windows", "0", "greater than or equal to 1"),
        ("predict", "-H", "0", "greater than or equal to 1"),
        # before: no upper bound, the data loaded (and a download waited for) then a data error, exit 1
        ("forecast", "--lookback", "100001", "less than or equal to 100000"),
        ("backtest", "--lookback", "1000000000", "less than or equal to 100000"),
        ("train-global", "--lookback", "100001", "less than or equal to 100000"),
        ("train-global", "--max-windows", "100001", "less than or equal to 100000"),
        # before (s41): no upper bound, the data loaded then a data error, exit 1 (MAX_TEST_DAYS, MAX_HOLDOUT_DAYS)
        ("forecast", "--test-days", "100001", "less than or equal to 100000"),
        ("backtest", "--test-days", "1000000000", "less than or equal to 100000"),
        ("train-global", "--holdout-days", "100001", "less than or equal to 100000"),
    ],
)
def test_a_number_past_its_bound_is_a_usage_error_naming_the_flag(
    invoke: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    command: str, flag: str, value: str, bound: str,
) -> None:  # fmt: skip
    """Before: exit 1 naming the config field ('horizon=0 must be between 1 and 250', 'max_windows=0 must be
    at least 1, patience=3 and threads=1 not negative', predict's 'h=0 is outside 1..5'), not the flag."""
    monkeypatch.chdir(tmp_path)
    args = {
        "forecast": ["AAPL", "--source", "sample"],
        "backtest": ["AAPL", "--source", "sample"],
        "train-global": ["--data", "p.csv", "--model-dir", "m"],
        "predict": ["--data", "p.csv", "--model-dir", "m"],
    }[command]
    line = _usage_error(
        invoke("finance", command, *args, flag, value), "'--horizon'" if flag == "-H" else flag
    )
    assert bound in line, line
    assert list(tmp_path.iterdir()) == []


def test_help_shows_the_bounds_and_python_still_names_the_field() -> None:
    text = " ".join(CliRunner().invoke(app, ["forecast", "--help"], env={"COLUMNS": "200"}).output.split())
    assert "[1<=x<=250]" in text and "[2<=x<=100000]" in text and "[1<=x<=4096]" in text
    assert (
        "--test-days INT Backtest forecast origins (default 500, fewer on a short history). [20<=x<=100000]"
        in text
    )
    text = " ".join(
        CliRunner().invoke(app, ["train-global", "--help"], env={"COLUMNS": "200"}).output.split()
    )
    assert "--lookback INT Input days (default 30). [2<=x<=100000]" in text, text
    assert "--max-windows INT Latest windows per series (default 2000). [1<=x<=100000]" in text, text
    assert (
        "--holdout-days INT Last days of each series kept out and scored (0: none). [default: 0; 0<=x<=100000]"
        in text
    )
    with pytest.raises(FinanceConfigError, match=r"horizon=0 must be between 1 and 250"):
        WindowConfig(horizon=0)
    with pytest.raises(FinanceConfigError, match=r"hidden_size=5000 must be in \[1, 4096\]"):
        ModelConfig(hidden_size=5000)
    assert FinanceConfig().model.hidden_size == 32
    with pytest.raises(FinanceConfigError, match=r"^lookback=100001 must be between 2 and 100000 days"):
        WindowConfig(lookback=100_001)
    with pytest.raises(FinanceConfigError, match=r"^max_windows=100001 must be in \[1, 100000\]"):
        TrainSettings(max_windows=100_001)


def test_test_days_and_holdout_days_bounds_are_named_limits() -> None:
    """--test-days and train-global --holdout-days had no upper bound (s41): a huge value loaded the data,
    then failed (exit 1). Now MAX_TEST_DAYS and MAX_HOLDOUT_DAYS, read by the checks, the options and --help;
    a Python caller gets the bound too."""
    import pandas as pd

    from carrousel.finance.config import MAX_HOLDOUT_DAYS, MAX_TEST_DAYS, BacktestConfig
    from carrousel.finance.errors import FrameError
    from carrousel.finance.multiseries import train_global

    assert (MAX_TEST_DAYS, MAX_HOLDOUT_DAYS) == (100_000, 100_000)
    assert BacktestConfig(test_days=100_000).origins == 100_000
    with pytest.raises(
        FinanceConfigError, match=r"^test_days=100001 is past any history; use at most 100000$"
    ):
        BacktestConfig(test_days=100_001)
    with pytest.raises(FrameError, match=r"^holdout_days=100001 must be between 0 and 100000"):
        train_global(pd.DataFrame({"unique_id": [], "ds": [], "y": []}), holdout_days=100_001)


def test_a_lookback_the_data_may_allow_is_not_refused_by_the_bound(
    sample_source: Path, invoke: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bound is a sanity cap, past any daily history (the Dow Jones' ~35,000 sessions since 1896): a
    lookback of 40,000 passes it and is refused by what the data holds (exit 1, the series' length named)."""
    monkeypatch.chdir(tmp_path)
    assert WindowConfig(lookback=40_000).lookback == 40_000 and TrainSettings(max_windows=100_000)
    outcome = invoke(
        "finance", "forecast", "AAPL", "--source", "sample", "--lookback", "40000", "--no-backtest"
    )
    lines = outcome.error_lines()
    assert outcome.code == 1 and len(lines) == 1 and "needs 40127 rows at --lookback 40000" in lines[0], lines


@pytest.mark.parametrize("flag", [["--test-days", "30"], ["--refit-every", "5"]])
def test_a_backtest_option_with_no_backtest_is_a_usage_error_naming_both(
    invoke: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: list[str]
) -> None:
    """Before: 'finance forecast --no-backtest --test-days 30' trained, forecast and printed 'backtest: not
    run', the option ignored. --window, --no-ensemble and --no-conformal stay allowed: the final fit's
    training window, the ensemble's forecast path and the calibration read them."""
    monkeypatch.chdir(tmp_path)
    outcome = invoke("finance", "forecast", "AAPL", "--source", "sample", "--no-backtest", *flag, "-o", "run")
    _usage_error(outcome, f"'{flag[0]}'", "--no-backtest")
    assert list(tmp_path.iterdir()) == []


def test_no_backtest_with_the_final_fits_options_runs(
    sample_source: Path, tmp_path: Path, invoke: Callable[..., Outcome]
) -> None:
    """--no-backtest with the training options the final fit reads still runs."""
    outcome = invoke("finance", "forecast", "AAPL", "--source", "sample", *FIT, "-q", "--no-backtest",
                     "--window", "rolling", "--no-ensemble", "--no-conformal")  # fmt: skip
    assert outcome.code == 0 and "backtest: not run" in outcome.stdout, outcome.stderr


@pytest.mark.parametrize(
    ("text", "flags", "line"),
    [
        ("[backtest]\nenabled = false\n", ["--test-days", "30"],
         "--test-days: not used with [backtest] enabled = false (no backtest is run); drop --test-days, or drop "
         "[backtest] enabled = false to run the backtest with it"),
        ("[backtest]\nrefit_every = 5\n", ["--no-backtest"],
         "[backtest] refit_every = 5: not used with --no-backtest (no backtest is run)"),
        ("[backtest]\nenabled = false\ntest_days = 30\n", [], "[backtest] test_days = 30: not used with "
         "[backtest] enabled = false"),
    ],
)  # fmt: skip
def test_a_backtest_option_the_config_file_takes_part_in_names_the_file(
    invoke: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, flags: list[str],
    line: str,
) -> None:  # fmt: skip
    """The check reads the file's settings and the flags merged: a backtest option beside no backtest, one
    of them (or both) from the --config file, is one line naming the file (exit 1, as a bad value in it),
    before any work. Fails on main: the file was not read by the check, the option ignored (exit 0)."""
    monkeypatch.chdir(tmp_path)
    Path("run.toml").write_text(text)
    outcome = invoke(
        "finance", "forecast", "AAPL", "--source", "sample", "--config", "run.toml", *flags, "-o", "r"
    )
    assert_clean_failure(outcome, 1)
    assert outcome.stdout == "" and outcome.error_lines()[0].startswith(f"error: --config run.toml: {line}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.toml"]


@pytest.mark.parametrize(
    ("text", "flags", "want"),
    [
        ("[backtest]\nenabled = true\n", ["--test-days", "30"], (True, 30)),
        ("[backtest]\ntest_days = 40\n", [], (True, 40)),
        ("[backtest]\nenabled = false\ntest_days = 40\n", ["--backtest"], (True, 40)),  # the flag wins
        ("[backtest]\ntest_days = 40\n", ["--no-backtest", "--test-days", "30"], None),  # typed: exit 2
    ],
)
def test_the_merged_backtest_settings_run(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    text: str,
    flags: list[str],
    want: tuple[bool, int] | None,
) -> None:
    """What the merged settings allow reaches the run (nothing refused for a file's own setting that is
    used); a combination typed alone stays a usage error."""
    conf = tmp_path / "run.toml"
    conf.write_text(text)
    argv = ("forecast", "AAPL", "--source", "sample", "--config", str(conf), *flags)
    if want is None:
        result = CliRunner().invoke(app, list(argv))
        assert result.exit_code == 2 and "run.toml" not in result.output, result.output
        return
    cfg = config_of(monkeypatch, app, "carrousel.finance.pipeline", "forecast", *argv)
    assert (cfg.backtest.enabled, cfg.backtest.test_days) == want


def test_a_training_option_with_a_reused_model_dir_is_a_usage_error_naming_both(
    sample_source: Path, tmp_path: Path, invoke: Callable[..., Outcome]
) -> None:
    """Before: 'finance forecast --model-dir DIR --no-conformal' (or --epochs 50) with a model in DIR
    forecast with the saved model as it was trained, the option ignored without a word. A --model-dir
    without a model trains with them (first call)."""
    model = tmp_path / "m"
    base = ["finance", "forecast", "AAPL", "--source", "sample", "--model-dir", model, "-q"]
    assert invoke(*base, *FIT, "--no-backtest").code == 0
    for flag in (["--epochs", "2"], ["--no-conformal"], ["--conformal"], ["--seed", "3"], ["--no-ensemble"],
                 ["--window", "rolling"], ["--device", "cpu"], ["--test-days", "30"], ["--refit-every", "5"],
                 ["--table-format", "csv", "-o", tmp_path / "run"]):  # fmt: skip
        line = _usage_error(invoke(*base, *flag), f"'{flag[0]}'", f"--model-dir {model}")
        assert "nothing is trained" in line, line
    toml = tmp_path / "run.toml"  # the same settings from a --config file: one line naming it (exit 1)
    for text, setting in (("[train]\nepochs = 2\n", "[train] epochs = 2"),
                          ('[backtest]\nwindow = "rolling"\n', '[backtest] window = "rolling"')):  # fmt: skip
        toml.write_text(text)
        assert_clean_failure(outcome := invoke(*base, "--config", toml), 1)
        line = outcome.error_lines()[0]
        assert outcome.stdout == "" and line.startswith(
            f"error: --config {toml}: {setting}: not used with --model-dir {model}"
        ), line
    reused = invoke(*base, "--json")  # the reuse itself, and its precision, still run
    assert reused.code == 0 and '"reused_bundle": true' in reused.stdout, reused.stderr


@pytest.mark.parametrize(
    ("command", "extra", "names"),
    [
        ("backtest", ["--test-days", "20"], ("'--table-format'", "--out")),
        ("forecast", ["--test-days", "20"], ("'--table-format'", "--out")),
        ("forecast", ["--no-backtest", "-o", "run"], ("'--table-format'", "--no-backtest")),
    ],
)
def test_a_table_format_with_no_table_written_is_a_usage_error(
    sample_source: Path, invoke: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    command: str, extra: list[str], names: tuple[str, ...],
) -> None:  # fmt: skip
    """The backtest's forecasts table is written only into a run folder (--out), from a backtest. Before:
    'finance backtest AAPL --table-format parquet' without --out backtested, printed the scoreboard and
    wrote no table (exit 0); 'finance forecast --no-backtest -o run --table-format csv' wrote a run folder
    without one. backtest's other options all change its run (the walk in the commit message)."""
    monkeypatch.chdir(tmp_path)
    outcome = invoke("finance", command, "AAPL", "--source", "sample", *FIT, "--table-format", "csv", *extra)
    _usage_error(outcome, *names)
    assert list(tmp_path.iterdir()) == []


def test_predict_horizon_past_the_model_is_a_usage_error_naming_the_flag(tmp_path: Path) -> None:
    """Before: 'finance predict -H 9' of a 2-day model: exit 1, 'h=9 is outside 1..2' (Python's name)."""
    from tests.finance.test_finance_global import ar_panel

    ar_panel(2, 120).to_csv(tmp_path / "panel.csv", index=False)
    (tmp_path / "run.toml").write_text(
        "[window]\nlookback = 10\nhorizon = 2\n[model]\nhidden_size = 4\nmembers = 1\n[train]\nepochs = 1\n"
    )
    data, model = ["--data", str(tmp_path / "panel.csv")], ["--model-dir", str(tmp_path / "m")]
    runner = CliRunner()
    out = runner.invoke(app, ["train-global", *data, *model, "--config", str(tmp_path / "run.toml"), "-q"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["predict", *data, *model, "-H", "9"])
    assert out.exit_code == 2 and out.stdout == "", out.output
    assert "'--horizon' / '-H'" in out.stderr and "horizon of 2 sessions" in out.stderr, out.stderr
    assert runner.invoke(app, ["predict", *data, *model, "-H", "2"]).exit_code == 0


def _no_run(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replaces the pipeline's forecast and backtest (and the price loader), so that a command refused
    before any work leaves the list empty and one that got past its checks names what it ran."""
    ran: list[str] = []
    for name in ("forecast", "backtest"):
        monkeypatch.setattr(f"carrousel.finance.pipeline.{name}", lambda *_, n=name, **__: ran.append(n))
    monkeypatch.setattr("carrousel.finance.pipeline.load_histories", lambda *_: ran.append("prices"))
    return ran


@pytest.mark.parametrize("command", ["forecast", "backtest"])
@pytest.mark.parametrize("source", ["sample", "yahoo"])
def test_a_csv_file_with_another_source_is_a_usage_error_naming_both(
    invoke: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, source: str
) -> None:
    """Two typed flags that contradict: --csv (read only with --source csv, which it implies) beside another
    --source. Before: exit 1 (a data-kind error), not the usage error it is; now exit 2 naming both flags
    and the fix, before any work."""
    monkeypatch.chdir(tmp_path)
    Path("p.csv").write_text("Date,Close\n2020-01-02,1\n")
    ran = _no_run(monkeypatch)
    line = _usage_error(
        invoke("finance", command, "AAPL", "--source", source, "--csv", "p.csv", "-o", "r"), "'--csv'"
    )
    assert f"not used with --source {source}" in line and f"drop --source {source} to read it" in line, line
    assert "or drop --csv" in line, line
    assert ran == [] and sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]


@pytest.mark.parametrize("command", ["forecast", "backtest"])
@pytest.mark.parametrize(
    ("text", "flags", "line"),
    [
        ('[data]\ncsv_path = "p.csv"\n', ["--source", "sample"],
         '[data] csv_path = "p.csv": not used with --source sample (a CSV file is read only with --source csv); '
         'drop --source sample to read it, or drop [data] csv_path = "p.csv"'),
        ('[data]\nsource = "sample"\ncsv_path = "p.csv"\n', [],
         '[data] csv_path = "p.csv": not used with [data] source = "sample"'),
        ('[data]\nsource = "yahoo"\n', ["--csv", "p.csv", "--source", "sample"], "--csv: not used with --source "
         "sample"),  # typed alone: the usage error, checked below
    ],
)  # fmt: skip
def test_a_csv_file_beside_another_source_the_config_file_takes_part_in_names_the_file(
    invoke: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, text: str,
    flags: list[str], line: str,
) -> None:  # fmt: skip
    """The check reads the flags and the --config file merged: a CSV file that another source leaves unread,
    one of them from the file, is one line naming the file (exit 1), before any prices are read. Fails on
    main: the file's csv_path was not checked, the run read the other source (forecast and backtest)."""
    monkeypatch.chdir(tmp_path)
    Path("run.toml").write_text(text)
    ran = _no_run(monkeypatch)
    outcome = invoke("finance", command, "AAPL", "--config", "run.toml", *flags)
    assert_clean_failure(outcome, 2 if line.startswith("--csv") else 1)
    lines = outcome.error_lines()
    assert outcome.stdout == "" and ran == [], (outcome.stdout, ran)
    if line.startswith("--csv"):  # the flags' own usage error, worded as without the file
        assert lines[0] == (
            "error: Invalid value for '--csv': not used with --source sample (a CSV file is read only with "
            f"--source csv); drop --source sample to read it, or drop --csv; see 'finance {command} --help'"
        ), lines
    else:
        assert lines[0].startswith(f"error: --config run.toml: {line}"), lines


@pytest.mark.parametrize("command", ["forecast", "backtest"])
def test_a_csv_path_in_the_config_file_is_read_as_csv_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: str
) -> None:
    """A --config file's [data] csv_path (no source: auto) is the file read, as --csv (which implies --source
    csv); before, the source stayed auto and the run went to the Yahoo cache or Yahoo, the file ignored
    without a word. A typed --csv still wins over the file's source."""
    conf = tmp_path / "run.toml"
    conf.write_text('[data]\ncsv_path = "p.csv"\n')
    cfg = config_of(
        monkeypatch, app, "carrousel.finance.pipeline", command, command, "AAPL", "--config", str(conf)
    )
    assert (cfg.data.source, cfg.data.csv_path) == ("csv", "p.csv")
    conf.write_text('[data]\nsource = "sample"\n')
    argv = (command, "AAPL", "--config", str(conf), "--csv", "q.csv")
    cfg = config_of(monkeypatch, app, "carrousel.finance.pipeline", command, *argv)
    assert (cfg.data.source, cfg.data.csv_path) == ("csv", "q.csv")


def test_backtest_refuses_a_config_file_that_turns_the_backtest_off(
    invoke: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'finance backtest --config F' with [backtest] enabled = false in F: the command IS a backtest, so the
    setting cannot hold. Before: it was ignored without a word (the backtest ran, exit 0); now one line
    naming the file and the setting (exit 1), before any prices are read. enabled = true still runs."""
    monkeypatch.chdir(tmp_path)
    Path("run.toml").write_text("[backtest]\nenabled = false\ntest_days = 30\n")
    ran = _no_run(monkeypatch)
    outcome = invoke("finance", "backtest", "AAPL", "--source", "sample", "--config", "run.toml", "-o", "r")
    assert_clean_failure(outcome, 1)
    lines = outcome.error_lines()
    assert outcome.stdout == "" and ran == [], (outcome.stdout, ran)
    assert lines[0] == (
        "error: --config run.toml: [backtest] enabled = false: finance backtest always runs the backtest; "
        "drop the setting, or run finance forecast to forecast without one"
    ), lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.toml"]
    Path("run.toml").write_text("[backtest]\nenabled = true\ntest_days = 30\n")
    argv = ("backtest", "AAPL", "--source", "sample", "--config", "run.toml")
    cfg = config_of(monkeypatch, app, "carrousel.finance.pipeline", "backtest", *argv)
    assert (cfg.backtest.enabled, cfg.backtest.test_days) == (True, 30)
