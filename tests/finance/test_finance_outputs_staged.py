"""A full disk at a command's second output leaves every earlier output byte for byte: ``finance forecast
--plot p.png`` over two tickers (p_AAPL.png written, p_MSFT.png fails) and ``finance predict -o pred.csv
--plot p.png`` (the chart written, the table fails). Before, the first file was already replaced."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from carrousel.core.errors import OutputError
from carrousel.finance.config import FinanceConfig
from carrousel.finance.pipeline import forecast
from tests.cli_harness import Outcome
from tests.finance.test_finance_predict_plot import saved  # noqa: F401 (the module's model fixture)
from tests.open_faults import disk_full


def test_forecast_charts_are_all_replaced_or_none(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sample_source: Path,
    tiny_config: Callable[..., FinanceConfig],
) -> None:
    from matplotlib.figure import Figure

    cfg = tiny_config(("AAPL", "MSFT"), "sample", end="2010-06-30")
    cfg = replace(cfg, backtest=replace(cfg.backtest, enabled=False))
    charts = [tmp_path / "p_AAPL.png", tmp_path / "p_MSFT.png"]
    for chart in charts:
        chart.write_bytes(b"earlier chart")
    real, calls = Figure.savefig, []

    def second_fails(self: Figure, *args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) == 2:
            disk_full()
        real(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", second_fails)
    with pytest.raises(OutputError, match=r"p_MSFT\.png"):
        forecast(cfg, plot=tmp_path / "p.png")
    assert len(calls) == 2
    assert [c.read_bytes() for c in charts] == [b"earlier chart"] * 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p_AAPL.png", "p_MSFT.png"]  # no temporaries


def test_predict_chart_is_kept_when_the_table_cannot_be_written(
    tmp_path: Path,
    saved: tuple[Path, Path],  # noqa: F811
    invoke: Callable[..., Outcome],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table, model = saved
    csv, png = tmp_path / "pred.csv", tmp_path / "p.png"
    csv.write_bytes(b"earlier table\n")
    png.write_bytes(b"earlier chart")
    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    res = invoke("finance", "predict", "--data", table, "--model-dir", model, "-o", csv, "--plot", png)
    assert res.code == 1 and "Traceback" not in res.stderr  # the data's warnings, then one error line
    assert res.stderr.splitlines()[-1].startswith(f"error: cannot write {csv} (No space left on device)")
    assert csv.read_bytes() == b"earlier table\n"
    assert png.read_bytes() == b"earlier chart"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.png", "pred.csv"]  # no temporaries
