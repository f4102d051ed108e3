"""``finance forecast X --csv prices.parquet``: a Parquet price table is read as one, as train-global's
``--data`` reads it. Before: "--csv prices.parquet holds NUL bytes: it is a binary file, not CSV text",
naming no fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.data import read_price_csv

pytest.importorskip("pyarrow")


@pytest.mark.parametrize("date_index", [False, True])
def test_a_parquet_price_table_is_read(tmp_path: Path, date_index: bool) -> None:
    dates = pd.bdate_range("2018-01-02", periods=5)
    close = np.array([100.0, 101.5, 99.25, 102.0, 103.5])
    frame = pd.DataFrame({"Date": dates, "Close": close, "Adj Close": close, "Volume": 1000})
    path = tmp_path / "prices.parquet"
    (frame.set_index("Date") if date_index else frame).to_parquet(path)
    table = read_price_csv(path)
    assert np.allclose(table["close"].to_numpy(np.float64), close)
    assert len(table) == 5 and "ticker" not in table


def test_the_csv_option_says_it_reads_parquet() -> None:
    """``--csv`` read Parquet files (session 47) while its help named CSV layouts alone."""
    import typer

    from carrousel.finance.cli import app

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    helps = {
        name: param.help
        for name, command in commands.items()
        for param in command.params
        if "--csv" in getattr(param, "opts", ())
    }
    assert set(helps) >= {"forecast", "backtest"}
    assert all(".parquet" in (text or "") for text in helps.values()), helps
