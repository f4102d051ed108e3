"""``finance backtest``: the walk-forward backtest of the network and every baseline."""

from __future__ import annotations

import typer

from carrousel.core.cli import TrainPrecisionOrConfig, command, emit_json, progress
from carrousel.core.cli_outputs import summary_hidden
from carrousel.core.config import read_toml
from carrousel.core.option_names import option
from carrousel.finance.cli._common import (
    ArchOpt,
    AsJson,
    BacktestOut,
    CalendarOpt,
    ConfigFile,
    Conformal,
    Csv,
    DeviceOpt,
    End,
    Ensemble,
    Epochs,
    Hidden,
    Horizon,
    Indicators,
    Lookback,
    Members,
    Quantiles,
    RefitEvery,
    Seed,
    SourceOpt,
    Start,
    TableFormat,
    TableFormatOpt,
    TestDays,
    Tickers,
    WindowOpt,
)
from carrousel.finance.cli._render import data_line, render_board
from carrousel.finance.cli._settings import build_config
from carrousel.finance.cli._unused import refuse_unused, run_block

__all__ = ["register"]


def backtest(
    ctx: typer.Context,
    tickers: Tickers = None,
    horizon: Horizon = None,
    quantiles: Quantiles = None,
    arch: ArchOpt = None,
    source: SourceOpt = None,
    csv: Csv = None,
    start: Start = None,
    end: End = None,
    as_json: AsJson = False,
    out_dir: BacktestOut = None,
    table_format: TableFormatOpt = TableFormat.csv,
    test_days: TestDays = None,
    refit_every: RefitEvery = None,
    window: WindowOpt = None,
    epochs: Epochs = None,
    lookback: Lookback = None,
    hidden: Hidden = None,
    conformal: Conformal = None,
    ensemble: Ensemble = None,
    indicators: Indicators = None,
    device: DeviceOpt = None,
    precision: TrainPrecisionOrConfig = None,
    seed: Seed = None,
    members: Members = None,
    config: ConfigFile = None,
    calendar: CalendarOpt = None,
) -> None:
    """Walk-forward backtest of the network and every baseline on the same windows."""
    from carrousel.finance.pipeline import backtest as run_backtest

    toml = read_toml(config, option("path", flag="--config")) if config is not None else None  # read once
    cfg = build_config(
        tickers, source=source, csv=csv, start=start, end=end, lookback=lookback, horizon=horizon,
        indicators=indicators, arch=arch, quantiles=quantiles, hidden=hidden, epochs=epochs, device=device,
        precision=precision, seed=seed, members=members, test_days=test_days, refit_every=refit_every, window=window,
        conformal=conformal, ensemble=ensemble, enabled=None, config=toml, saved=None, calendar=calendar,
    )  # fmt: skip
    refuse_unused(ctx, None, out_dir, toml, backtests=True)  # on the merged settings, before any prices
    with (
        progress("backtesting"),
        run_block(precision is not None, toml, csv),  # the arithmetic; the file's CSV named
    ):
        done = run_backtest(cfg, out_dir=out_dir, table_format=table_format.value)
    doc = done.to_dict()
    if as_json:
        emit_json(doc)
    elif not summary_hidden(out_dir is not None):  # -q: the --out folder (run.json) holds the scores
        for data in doc["data"]:
            data_line(data["ticker"], data)
        render_board(doc["backtest"])


def register(app: typer.Typer) -> None:
    """Adds ``backtest`` to the ``finance`` app."""
    command(app, quiet_with="out_dir")(backtest)
