"""``finance forecast``: quantile forecasts of the next trading days, after a walk-forward backtest."""

from __future__ import annotations

import typer
from rich.markup import escape

from carrousel.core.cli import TrainPrecisionOrConfig, command, emit_json, progress
from carrousel.core.cli_outputs import check_plot_option, summary_hidden
from carrousel.core.config import read_toml
from carrousel.core.option_names import option
from carrousel.finance.cli._common import (
    ArchOpt,
    AsJson,
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
    ModelDir,
    Out,
    Plot,
    Quantiles,
    RefitEvery,
    RunBacktest,
    Seed,
    SourceOpt,
    Start,
    TableFormat,
    TableFormatOpt,
    TestDays,
    Tickers,
    WindowOpt,
)
from carrousel.finance.cli._render import render_board, render_forecast, show
from carrousel.finance.cli._settings import build_config
from carrousel.finance.cli._unused import refuse_unused, run_block

__all__ = ["register"]


def forecast(
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
    plot: Plot = None,
    out_dir: Out = None,
    model_dir: ModelDir = None,
    table_format: TableFormatOpt = TableFormat.csv,
    test_days: TestDays = None,
    refit_every: RefitEvery = None,
    window: WindowOpt = None,
    epochs: Epochs = None,
    lookback: Lookback = None,
    hidden: Hidden = None,
    conformal: Conformal = None,
    ensemble: Ensemble = None,
    enabled: RunBacktest = None,
    indicators: Indicators = None,
    device: DeviceOpt = None,
    precision: TrainPrecisionOrConfig = None,
    seed: Seed = None,
    members: Members = None,
    config: ConfigFile = None,
    calendar: CalendarOpt = None,
) -> None:
    """Forecast the next trading days with quantiles, after a walk-forward backtest against baselines."""
    from carrousel.finance.pipeline import forecast as run_forecast
    from carrousel.finance.pipeline import saved_config
    from carrousel.finance.plot import PLOT_EXTRA, PLOT_PURPOSE

    others = {"--out": out_dir, "--model-dir": model_dir}  # folders: a chart of their name is refused
    inside = {"--model-dir": model_dir}  # replaced as a whole (a chart in --out goes in with the run)
    to_stdout = check_plot_option(plot, as_json, PLOT_EXTRA, PLOT_PURPOSE, others=others, folders=inside)
    saved = saved_config(model_dir)
    toml = read_toml(config, option("path", flag="--config")) if config is not None else None  # read once
    cfg = build_config(
        tickers, source=source, csv=csv, start=start, end=end, lookback=lookback, horizon=horizon,
        indicators=indicators, arch=arch, quantiles=quantiles, hidden=hidden, epochs=epochs, device=device,
        precision=precision, seed=seed, members=members, test_days=test_days, refit_every=refit_every, window=window,
        conformal=conformal, ensemble=ensemble, enabled=enabled, config=toml, saved=saved, calendar=calendar,
    )  # fmt: skip
    refuse_unused(ctx, model_dir if saved is not None else None, out_dir, toml, saved=saved)  # merged
    with (
        progress("loading data, backtesting and training"),
        run_block(precision is not None, toml, csv),  # the arithmetic; the file's CSV named
    ):
        result = run_forecast(
            cfg, model_dir=model_dir, out_dir=out_dir, plot=plot, table_format=table_format.value
        )
    doc = result.to_dict()
    if as_json:
        emit_json(doc)
        return
    if to_stdout or summary_hidden(out_dir is not None):  # -q: the --out folder holds it all
        return
    render_forecast(doc)
    saved_on = (result.saved_at[:10] if result.saved_at else "an unrecorded date") if result.reused else None
    render_board(doc["backtest"], saved_on, cfg.backtest.enabled)  # a reuse's board: the saved one, dated
    if doc["bundle"]:
        trained, run = doc["trained_precision"] or "an unrecorded precision", doc["precision"]
        arithmetic = (
            f" (trained in {trained}, forecasting in {run})"
            if doc["reused_bundle"] and trained != run
            else ""
        )
        show(
            f"model bundle {'reused' if doc['reused_bundle'] else 'saved to'} {escape(doc['bundle'])}{arithmetic}"
        )
    for chart in doc["plots"]:
        show(f"fan chart written to {escape(chart)}")


def register(app: typer.Typer) -> None:
    """Adds ``forecast`` to the ``finance`` app."""
    command(app, quiet_with="out_dir")(forecast)
