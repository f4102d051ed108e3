"""Yahoo's CSV exports and spreadsheets' thousands separators, read as ``finance forecast|backtest --csv``
reads them (:func:`~carrousel.finance.data.load_histories`), and the price each history names.

yfinance's exports: ``Date,Open,High,Low,Close,Adj Close,Volume`` (before 0.2.51: both closes), its column
levels (``yf.download(...).to_csv()``) without ``Adj Close`` since ``auto_adjust=True`` became the default
(the Close adjusted; before: named the plain "close"), ``Ticker.history()``'s ``Dividends, Stock Splits``
(adjusted too), and a flat ``Date,Close,...`` that cannot say (its closes, split jumps repaired).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.config import DataConfig
from carrousel.finance.data import load_histories
from carrousel.finance.price_files import read_price_csv

_DAYS = pd.bdate_range("2015-01-05", periods=60)
_CLOSE = 100.0 + np.arange(60) * 0.5


def _flat(adj: bool, close: bool = True, extra: str = "") -> str:
    head = ["Date", "Open", "High", "Low", *(["Close"] if close else []), *(["Adj Close"] if adj else [])]
    lines = [",".join([*head, "Volume"]) + extra]
    for d, c in zip(_DAYS, _CLOSE, strict=True):
        prices = [c, c + 1, c - 1, *([c] if close else []), *([c * 0.9] if adj else [])]
        row = ",".join([f"{d.date()}", *(f"{p:.4f}" for p in prices), "1000"])
        lines.append(row + (",0.0,0.0" if extra else ""))
    return "\n".join(lines) + "\n"


def _levels(tickers: tuple[str, ...]) -> str:
    """``yf.download(list(tickers)).to_csv()`` of yfinance >= 0.2.51 (auto_adjust=True: no Adj Close)."""
    cols = ["Close", "High", "Low", "Open", "Volume"]
    lines = [
        ",".join(["Price", *(c for c in cols for _ in tickers)]),
        ",".join(["Ticker", *(t for _ in cols for t in tickers)]),
        "Date" + "," * (len(cols) * len(tickers)),
    ]
    for d, c in zip(_DAYS, _CLOSE, strict=True):
        values = {"Close": c, "High": c + 1, "Low": c - 1, "Open": c, "Volume": 1000.0}
        lines.append(",".join([str(d.date()), *(f"{values[k]:.4f}" for k in cols for _ in tickers)]))
    return "\n".join(lines) + "\n"


_FORMS = {
    "both closes (yfinance < 0.2.51)": (_flat(adj=True), ("AAPL",), "adjusted close", 0.9),
    "Adj Close alone": (_flat(adj=True, close=False), ("AAPL",), "adjusted close", 0.9),
    "flat Close alone (cannot tell)": (_flat(adj=False), ("AAPL",), "close", 1.0),
    "Ticker.history() (auto_adjust)": (_flat(False, extra=",Dividends,Stock Splits"), ("AAPL",), "adjusted close", 1.0),
    "yf.download one ticker (auto_adjust)": (_levels(("AAPL",)), ("AAPL",), "adjusted close", 1.0),
    "yf.download two tickers (auto_adjust)": (_levels(("AAPL", "MSFT")), ("AAPL", "MSFT"), "adjusted close", 1.0),
}  # fmt: skip


@pytest.mark.parametrize("form", list(_FORMS))
def test_each_yahoo_export_is_read_and_names_its_price(tmp_path: Path, form: str) -> None:
    text, tickers, price, scale = _FORMS[form]
    path = tmp_path / "prices.csv"
    path.write_text(text)
    cfg = DataConfig(tickers=tickers, source="csv", csv_path=str(path), min_history=30)
    histories = load_histories(cfg)
    assert [h.ticker for h in histories] == list(tickers)
    for history in histories:
        assert history.price == price
        assert len(history.frame) == len(_DAYS)
        np.testing.assert_allclose(history.frame["close"].to_numpy(), _CLOSE * scale, rtol=1e-9)


def test_dot_grouped_volumes_of_a_decimal_comma_file_are_whole_numbers(tmp_path: Path) -> None:
    """German/French spreadsheets: ``;`` separators, ``12,34`` prices, ``1.234.567`` volumes (before: "is not
    a number"); a space, no-break or narrow no-break space between groups too (before: the same error)."""
    path = tmp_path / "de.csv"
    path.write_text(
        "Datum;Eröffnung;Hoch;Tief;Schluss;Volumen\n"
        "2024-01-02;12,34;13,00;12,00;12,50;1.234.567\n"
        "2024-01-03;1.234,50;1 300,00;12,00;12,75;12.345.678,0\n"
        "2024-01-04;12,34;13,00;12,00;12,60;1 234 567\n"
        "2024-01-05;12,34;13,00;12,00;12,70;1\u00a0234\u00a0567\n"
        "2024-01-08;12,34;13,00;12,00;12,80;1\u202f234\u202f567\n"
        "2024-01-09;12,34;13,00;12,00;12,90;999\n",
        encoding="utf-8",
    )
    got = read_price_csv(path)
    assert got["volume"].tolist() == [1_234_567.0, 12_345_678.0, *[1_234_567.0] * 3, 999.0]
    assert got["open"].tolist()[:2] == [12.34, 1234.5] and got["high"].tolist()[1] == 1300.0
    assert got["close"].tolist() == [12.5, 12.75, 12.6, 12.7, 12.8, 12.9]


def test_space_grouped_numbers_of_a_decimal_point_file(tmp_path: Path) -> None:
    path = tmp_path / "fr.csv"
    path.write_text("Date,Close,Volume\n2024-01-02,1 234.5,1 234 567\n2024-01-03,12.5,12\u00a0345\n")
    got = read_price_csv(path)
    assert got["close"].tolist() == [1234.5, 12.5] and got["volume"].tolist() == [1_234_567.0, 12_345.0]


@pytest.mark.parametrize("cell", ["1.234.56", "12 34", "1 2345"])
def test_ill_grouped_numbers_stay_refused(tmp_path: Path, cell: str) -> None:
    from carrousel.finance.errors import PriceDataError

    path = tmp_path / "bad.csv"
    path.write_text(f"Datum;Schluss;Volumen\n2024-01-02;12,5;{cell}\n2024-01-03;12,6;5\n")
    with pytest.raises(PriceDataError, match="is not a number"):
        read_price_csv(path)
