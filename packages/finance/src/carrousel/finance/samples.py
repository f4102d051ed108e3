"""Sample data sets of carrousel.finance, declared to ``carrousel-data`` (entry point ``carrousel.samples``).

``make data`` (or ``carrousel-data fetch finance``, the repository's tools/data helper) caches them; read
them with ``carrousel.core.samples.sample_path("finance.stocks")``, which never downloads.
"""

from __future__ import annotations

from carrousel.core.samples import Sample

__all__ = ["SAMPLES", "STOCKS"]

STOCKS = Sample(
    name="finance.stocks",
    source="pypi",
    package="bokeh-sampledata",
    version="2026.1",
    member="bokeh_sampledata/_data/stocks.csv.gz",
    sha256="5abadf99b2d394f920120a27de6f0df129859d71d4cfb0bf661bcc99446ab1fd",
    filename="stocks.csv.gz",
    licence="BSD-3-Clause (bokeh-sampledata); prices public domain",
    description=(
        "daily OHLCV, gzipped CSV (Ticker,Date,Open,High,Low,Close,Volume,Adj Close), 12,154 rows: "
        "AAPL/IBM/MSFT 3,270 days 2000-03-01..2013-03-01, GOOG 2,148, FB 196; OHLC not split-adjusted"
    ),
)
"""Daily prices of five large US stocks (bokeh's sample data)."""

SAMPLES: tuple[Sample, ...] = (STOCKS,)
"""Every sample of this package, in the order ``carrousel-data list`` shows them."""
