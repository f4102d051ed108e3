"""``finance forecast --plot``: core's chart check (a ``.png`` in a writable folder or a special file, and
matplotlib installed, before any work) with finance's one rule of its own (a special file takes one chart).
Before, finance kept its own copy of the path check, worded differently, and never looked for matplotlib:
a run without it trained the whole model and only then failed to draw."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import carrousel.finance.pipeline as pipeline_mod
from carrousel.core.errors import MissingExtraError
from carrousel.core.option_names import flags_named
from carrousel.finance.cli import app
from carrousel.finance.errors import OutputPathError
from carrousel.finance.runs import check_plot

runner = CliRunner()


def _no_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("matplotlib", "matplotlib.pyplot"):
        monkeypatch.setitem(sys.modules, name, None)  # an import of it now fails as if not installed


def _no_prices(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("prices loaded before the --plot check")

    monkeypatch.setattr(pipeline_mod, "load_histories", never)  # any work past the checks fails the test


def test_a_missing_matplotlib_fails_the_plot_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_matplotlib(monkeypatch)
    check_plot(None)  # no chart asked for: matplotlib is not needed
    with pytest.raises(MissingExtraError, match=r"pip install 'carrousel-finance\[plot\]'"):
        check_plot(tmp_path / "fan.png")


def test_forecast_without_matplotlib_stops_before_loading_prices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_prices(monkeypatch)
    _no_matplotlib(monkeypatch)
    result = runner.invoke(app, ["forecast", "AAPL", "--source", "sample", "--plot", str(tmp_path / "f.png")])
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert "the fan chart (finance forecast --plot) needs the matplotlib package" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_plot_paths_use_cores_wording_and_finances_one_chart_rule(tmp_path: Path) -> None:
    with pytest.raises(OutputPathError, match=r"^plot='.*fan\.jpg': the file name must end in \.png$"):
        check_plot(tmp_path / "fan.jpg")  # a Python caller's argument (before: --plot to it too)
    with flags_named(), pytest.raises(OutputPathError, match=r"^--plot .*fan\.jpg: the file name must end"):
        check_plot(tmp_path / "fan.jpg")  # the command's flag
    with pytest.raises(OutputPathError, match=r"is a folder; give a file name inside it$"):
        check_plot(tmp_path)
    with pytest.raises(OutputPathError, match=r"takes one chart, not 2; give a name such as fan\.png$"):
        check_plot(Path("/dev/null"), 2)
    check_plot(Path("/dev/null"))  # one chart: written in place
    check_plot(tmp_path / "new" / "fan.png", 3)  # several tickers: NAME_TICKER.png beside it


def test_a_plot_named_as_the_run_folder_is_refused_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the run trained, then failed on a temporary folder's name ('.r.png.PID.xxxx.tmp is a folder')."""

    _no_prices(monkeypatch)
    for flag in ("--out", "--model-dir"):
        path = str(tmp_path / "r.png")
        result = runner.invoke(app, ["forecast", "AAPL", "--source", "sample", flag, path, "--plot", path])
        assert result.exit_code == 2, result.output  # a usage error (typer's app, without main's one line)
        assert f"Invalid value for '--plot': it is also {flag}'s path" in result.output
    inside = runner.invoke(app, ["forecast", "AAPL", "--source", "sample", "--model-dir", str(tmp_path / "m"),
                                 "--plot", str(tmp_path / "m" / "fan.png")])  # fmt: skip
    assert inside.exit_code == 2, (
        inside.output
    )  # before: trained, wrote m/fan.png, then refused m (not a bundle)
    assert "it lies in --model-dir" in inside.output
    assert list(tmp_path.iterdir()) == []


def test_a_run_folder_without_matplotlib_is_written_without_its_fan_charts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--out's fan charts are not asked for by name: without matplotlib the run says so before any work and
    writes the rest. Before: it trained and backtested, then failed, and wrote nothing."""
    _no_matplotlib(monkeypatch)
    out = tmp_path / "run"
    args = ["forecast", "AAPL", "--source", "sample", "--epochs", "1", "--members", "1", "--hidden", "4"]
    args += ["--no-backtest", "--no-ensemble", "--start", "2012-01-01", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["model", "run.json"]
    warning = "gets no fan charts (fan_TICKER.png): matplotlib is not installed"
    assert warning in result.output and "carrousel-finance[plot]" in result.output, result.output


PSEUDO = {"--plot": "/sys/a.png", "--out": "/proc/xrun", "--model-dir": "/sys/kernel/m"}


@pytest.mark.skipif(not Path("/sys/kernel").is_dir() or not Path("/proc").is_dir(), reason="no /sys, /proc")
@pytest.mark.parametrize("flag", list(PSEUDO))
def test_outputs_on_pseudo_file_systems_fail_before_any_work(
    flag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root (os.access passes everywhere) these passed the early check: the run trained and only then
    failed to write ('cannot write /sys/a.png (Permission denied)', after ~9 s of work)."""
    _no_prices(monkeypatch)
    path = PSEUDO[flag]
    result = runner.invoke(app, ["forecast", "AAPL", "--source", "sample", flag, path])
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert lines[0].startswith(f"error: {flag} {path}: cannot create or write in "), lines[0]
    assert "Traceback" not in result.output


def test_the_readme_says_where_the_fan_charts_go_with_plot_and_out() -> None:
    """`finance forecast --plot fan.png --out runs/gru` writes the fan charts only at the --plot paths (the
    pipeline's design: ``out_dir``'s ``fan_TICKER.png`` "unless plot"), while the README's Outputs paragraph
    listed ``fan_TICKER.png`` in every run folder (found in s41: runs/gru held run.json and model/ only).
    The README now says where they go; this pins both."""
    _chart_paths = pipeline_mod._chart_paths
    assert _chart_paths(["AAPL", "MSFT"], Path("fan.png"), Path("runs/gru")) == [
        Path("fan_AAPL.png"),
        Path("fan_MSFT.png"),
    ]
    assert _chart_paths(["AAPL"], Path("fan.png"), Path("runs/gru")) == [Path("fan.png")]
    assert _chart_paths(["AAPL"], None, Path("runs/gru")) == [Path("runs/gru/fan_AAPL.png")]
    readme = Path(__file__).parents[2] / "packages" / "finance" / "README.md"
    text = " ".join(readme.read_text(encoding="utf-8").split())
    assert "`fan_TICKER.png` unless `--plot` is given" in text
    assert "`runs/gru` holds no chart" in text
    assert "The fan chart (at the `--plot` path, else `fan_TICKER.png` in the run folder)" in text
