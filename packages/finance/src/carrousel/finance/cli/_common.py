"""The ``finance`` commands' shared options (typed ``Annotated`` aliases, their defaults shown in ``--help``)
and :func:`pick`, a flag's value over its default."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Any

import typer

from carrousel.core.cli import RunPrecision, epochs_option
from carrousel.core.cli_device import device_option
from carrousel.core.cli_values import OutputFolder
from carrousel.core.export import InferencePrecision
from carrousel.finance.calendar_pick import AUTO
from carrousel.finance.config import (
    MAX_HIDDEN,
    MAX_HORIZON,
    MAX_LOOKBACK,
    MAX_MEMBERS,
    MAX_TEST_DAYS,
    MIN_LOOKBACK,
    MIN_TEST_DAYS,
    Arch,
    FinanceConfig,
    Source,
    TrainWindow,
)

__all__ = [
    "ArchOpt",
    "AsJson",
    "BacktestOut",
    "CalendarOpt",
    "ConfigFile",
    "Conformal",
    "Csv",
    "Data",
    "DeviceOpt",
    "End",
    "Ensemble",
    "Epochs",
    "Hidden",
    "Horizon",
    "Indicators",
    "Lookback",
    "Members",
    "ModelDir",
    "ModelDirReq",
    "Out",
    "Plot",
    "PrecisionOpt",
    "Quantiles",
    "RefitEvery",
    "RunBacktest",
    "Seed",
    "SourceOpt",
    "Start",
    "TableFormat",
    "TableFormatOpt",
    "TestDays",
    "Tickers",
    "WindowOpt",
    "pick",
]

_D = FinanceConfig()  # defaults shown in --help
_QS = ",".join(f"{q:g}" for q in _D.model.quantiles)


def _onoff(flag: bool) -> str:
    return "on" if flag else "off"


Tickers = Annotated[list[str] | None, typer.Argument(help="Symbols (default: --config's [data] tickers).")]
Horizon = Annotated[
    int | None,
    typer.Option(
        "--horizon",
        "-H",
        min=1,
        max=MAX_HORIZON,
        help=f"Trading days to forecast (default {_D.window.horizon}).",
    ),
]
Quantiles = Annotated[
    list[str] | None,
    typer.Option("--quantiles", help=f"Quantile levels, comma-separated or repeated (default {_QS})."),
]
ArchOpt = Annotated[Arch | None, typer.Option("--arch", help=f"Recurrent encoder (default {_D.model.arch}).")]
SourceOpt = Annotated[
    Source | None,
    typer.Option("--source", help=f"Price source; sample = bundled 2000-2013 (default {_D.data.source})."),
]
_CSV_HELP = (
    "CSV (or .parquet, [parquet] extra) in yfinance layout, or as Stooq, Nasdaq, Investing.com, MarketWatch "
    "or Google Sheets export it; several tickers: a Ticker column, yf.download([...]).to_csv(), or a wide "
    "table (Date + a close column per ticker)"
)
Csv = Annotated[Path | None, typer.Option("--csv", help=f"{_CSV_HELP} (implies --source csv).")]
Start = Annotated[str | None, typer.Option("--start", help="First date used (YYYY-MM-DD).")]
End = Annotated[str | None, typer.Option("--end", help="Last date used (YYYY-MM-DD).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON instead of tables.")]
Plot = Annotated[
    Path | None,
    typer.Option(
        "--plot",
        metavar="FILE.png",
        help="Write a PNG of the fan chart (history, p10-p90 forecast, backtest errors); several tickers: one "
        "per ticker, FILE_TICKER.png. With --out: written here instead of the run folder.",
    ),
]
Out = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="Run folder: run.json, forecasts.csv, fan charts (with matplotlib; not with --plot), model/ "
        "(written as a whole).",
    ),
    OutputFolder(),
]
BacktestOut = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Run folder: run.json and forecasts.csv (see evaluate)."),
    OutputFolder(),
]


class TableFormat(enum.StrEnum):
    """Format of a run folder's per-origin backtest forecasts table."""

    csv = "csv"
    parquet = "parquet"


TableFormatOpt = Annotated[
    TableFormat,
    typer.Option(
        "--table-format",
        help="Run folder's backtest forecasts table: forecasts.csv or forecasts.parquet ([parquet] extra).",
    ),
]
ModelDir = Annotated[
    Path | None,
    typer.Option("--model-dir", help="Model folder: reused without retraining if it holds one, else saved."),
    OutputFolder(),
]
TestDays = Annotated[
    int | None,
    typer.Option(
        "--test-days",
        min=MIN_TEST_DAYS,
        max=MAX_TEST_DAYS,
        help=f"Backtest forecast origins (default {_D.backtest.origins}, fewer on a short history).",
    ),
]
RefitEvery = Annotated[
    int | None,
    typer.Option(
        "--refit-every", min=1, help=f"Refit the models every N origins (default {_D.backtest.refit_every})."
    ),
]
WindowOpt = Annotated[
    TrainWindow | None,
    typer.Option("--window", help=f"Training window of each refit (default {_D.backtest.window})."),
]
Epochs = Annotated[int | None, epochs_option(f"Training epochs per fit (default {_D.train.epochs}).")]
Lookback = Annotated[
    int | None,
    typer.Option(
        "--lookback",
        min=MIN_LOOKBACK,
        max=MAX_LOOKBACK,
        help=f"Days of history per input window (default {_D.window.lookback}).",
    ),
]
Hidden = Annotated[
    int | None,
    typer.Option(
        "--hidden",
        min=1,
        max=MAX_HIDDEN,
        help=f"Hidden units per direction (default {_D.model.hidden_size}).",
    ),
]
Conformal = Annotated[
    bool | None,
    typer.Option(
        "--conformal/--no-conformal", help=f"Conformal calibration (default {_onoff(_D.backtest.conformal)})."
    ),
]
Ensemble = Annotated[
    bool | None,
    typer.Option(
        "--ensemble/--no-ensemble",
        help=f"Also score network+ARIMA+drift (default {_onoff(_D.backtest.ensemble)}).",
    ),
]
Indicators = Annotated[
    bool | None,
    typer.Option(
        "--indicators/--no-indicators",
        help=f"Add technical indicators (default {_onoff(_D.window.indicators)}).",
    ),
]
RunBacktest = Annotated[
    bool | None,
    typer.Option(
        "--backtest/--no-backtest",
        help=f"Score against baselines first (default {_onoff(_D.backtest.enabled)}).",
    ),
]
DeviceOpt = Annotated[str | None, device_option(_D.train.device)]
Seed = Annotated[int | None, typer.Option("--seed", min=0, help=f"Random seed (default {_D.train.seed}).")]
Members = Annotated[
    int | None,
    typer.Option(
        "--members",
        min=1,
        max=MAX_MEMBERS,
        help=f"Seed ensemble size: networks with seeds seed..seed+N-1, quantiles averaged; 1 = one network "
        f"(default {_D.model.members}).",
    ),
]
ConfigFile = Annotated[
    Path | None, typer.Option("--config", help="TOML file of settings ([window], [model]...); flags win.")
]


Data = Annotated[
    Path,
    typer.Option(
        "--data",
        help="Long table (CSV or .parquet): unique_id, ds, y [+ open, high, low, volume]; also Date, Ticker, "
        "Close [, Open...] (yfinance/Stooq names), yf.download([...]).to_csv(), or a wide table (Date + "
        "one close column per series).",
    ),
]
ModelDirReq = Annotated[
    Path, typer.Option("--model-dir", help="Model folder (written as a whole)."), OutputFolder()
]


def _calendar(value: str | None) -> str | None:
    """``--calendar``: ``auto`` or a code exchange_calendars builds (upper case), checked before any work."""
    if value is None or value.strip().lower() == AUTO:
        return value and AUTO
    from carrousel.finance.calendar import get_calendar
    from carrousel.finance.errors import CalendarNotFoundError

    code = value.strip().upper()
    try:
        get_calendar(code)
    except CalendarNotFoundError as exc:
        raise typer.BadParameter(str(exc)) from None
    return code


CalendarOpt = Annotated[
    str | None,
    typer.Option(
        "--calendar",
        metavar="CODE",
        callback=_calendar,
        help="Exchange calendar of the forecast dates and gap checks: auto (default: per series, from its "
        "symbol, 7203.T XTKS, SAP.DE XETR, BTC-USD 24/7, EURUSD=X 24/5, else the one its dates keep, XNYS "
        "for US data), or an exchange_calendars code: XNYS, XLON, XETR, XTKS..., 24/5, 24/7.",
    ),
]
# core's --precision of a run, None when not given: a --config's [train] precision holds (predict: fp32)
PrecisionOpt = Annotated[InferencePrecision | None, *RunPrecision.__metadata__]


def pick(value: Any, default: Any) -> Any:
    """A flag's value when given, else ``default`` (from the TOML file, the saved model or the defaults)."""
    return default if value is None else getattr(value, "value", value)
