"""The ``finance`` command line: the only module of carrousel.finance importing typer or rich."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.table import Table

from carrousel.core.config import load_toml
from carrousel.core.errors import CarrouselError, ConfigError
from carrousel.finance import __version__
from carrousel.finance.config import FinanceConfig, override_flat
from carrousel.finance.outputs import check_folder, check_plot, os_error, read_run_rows

__all__ = ["app", "run"]

app = typer.Typer(
    name="finance",
    help="carrousel-finance: Stock forecasting with LSTMs, honest baselines and walk-forward backtests.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
out = Console()
err = Console(stderr=True)

_D = FinanceConfig()  # defaults shown in --help
_QS = ",".join(f"{q:g}" for q in _D.model.quantiles)


def _onoff(flag: bool) -> str:
    return "on" if flag else "off"


Tickers = Annotated[list[str], typer.Argument(help="One or more symbols (several train one global model).")]
Horizon = Annotated[
    int | None,
    typer.Option("--horizon", "-H", help=f"Trading days to forecast (default {_D.model.horizon})."),
]
Quantiles = Annotated[
    list[str] | None,
    typer.Option("--quantiles", "-q", help=f"Quantile levels, comma-separated or repeated (default {_QS})."),
]
Model = Annotated[
    str | None, typer.Option("--model", "-m", help=f"lstm | gru | bilstm (default {_D.model.arch}).")
]
Source = Annotated[
    str | None,
    typer.Option(
        "--source", help=f"auto | yahoo | csv | sample (bundled 2000-2013) (default {_D.data.source})."
    ),
]
Csv = Annotated[Path | None, typer.Option("--csv", help="CSV in yfinance layout (implies --source csv).")]
Start = Annotated[str | None, typer.Option("--start", help="First date used (YYYY-MM-DD).")]
End = Annotated[str | None, typer.Option("--end", help="Last date used (YYYY-MM-DD).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON instead of tables.")]
Plot = Annotated[
    Path | None, typer.Option("--plot", help="Write a fan chart PNG (one per ticker: NAME_TICKER.png).")
]
Out = Annotated[
    Path | None, typer.Option("--out", help="Folder for run.json, the chart and the model bundle.")
]
BacktestOut = Annotated[
    Path | None, typer.Option("--out", help="Folder for run.json (see finance evaluate).")
]
ModelDir = Annotated[
    Path | None,
    typer.Option("--model-dir", help="Bundle folder: reused without retraining if present, else saved."),
]
TestDays = Annotated[
    int | None,
    typer.Option("--test-days", help=f"Backtest forecast origins (default {_D.backtest.test_days})."),
]
RefitEvery = Annotated[
    int | None,
    typer.Option(
        "--refit-every", help=f"Refit the models every N origins (default {_D.backtest.refit_every})."
    ),
]
Window = Annotated[
    str | None,
    typer.Option("--window", help=f"expanding | rolling training window (default {_D.backtest.window})."),
]
Epochs = Annotated[
    int | None, typer.Option("--epochs", help=f"Training epochs per fit (default {_D.train.epochs}).")
]
Lookback = Annotated[
    int | None,
    typer.Option("--lookback", help=f"Days of history per input window (default {_D.features.lookback})."),
]
Hidden = Annotated[
    int | None,
    typer.Option("--hidden", help=f"Hidden units per direction (default {_D.model.hidden_size})."),
]
Conformal = Annotated[
    bool | None,
    typer.Option(
        "--conformal/--no-conformal",
        help=f"Conformal interval calibration (default {_onoff(_D.backtest.conformal)}).",
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
        help=f"Add technical indicators (default {_onoff(_D.features.indicators)}).",
    ),
]
RunBacktest = Annotated[
    bool | None,
    typer.Option(
        "--backtest/--no-backtest",
        help=f"Score against baselines first (default {_onoff(_D.backtest.enabled)}).",
    ),
]
Device = Annotated[
    str | None, typer.Option("--device", help=f"cpu | cuda | auto (default {_D.train.device}).")
]
Seed = Annotated[int | None, typer.Option("--seed", help=f"Random seed (default {_D.train.seed}).")]
ConfigFile = Annotated[Path | None, typer.Option("--config", help="TOML file with a FinanceConfig.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Log progress.")]
Quiet = Annotated[bool, typer.Option("--quiet", help="Log errors only.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"carrousel-finance {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    """Stock forecasting with LSTMs, honest baselines and walk-forward backtests."""


def _logging(verbose: bool, quiet: bool) -> None:
    level = logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING
    root = logging.getLogger("carrousel")
    root.handlers[:] = [RichHandler(console=err, show_path=False, show_time=False)]
    root.setLevel(level)
    root.propagate = False


def _fail(exc: Exception) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


def _quantiles(values: list[str] | None) -> tuple[float, ...] | None:
    if not values:
        return None
    try:
        return tuple(float(v) for item in values for v in item.replace(" ", ",").split(",") if v)
    except ValueError:
        raise ConfigError(
            f"--quantiles {' '.join(values)} is not a list of numbers; use e.g. 0.1,0.5,0.9"
        ) from None


def _config(opts: dict[str, Any]) -> FinanceConfig:
    """Builds the run config: the TOML file (or defaults), then every flag given on the command line."""
    if opts["csv"] is not None and opts["source"] not in (None, "auto", "csv"):
        raise ConfigError(
            f"--csv is read only with --source csv, not --source {opts['source']}; drop one of the two"
        )
    base = load_toml(opts["config"], FinanceConfig) if opts["config"] else FinanceConfig()
    symbols = tuple(t.strip().upper() for item in opts["tickers"] for t in item.split(",") if t.strip())
    source = "csv" if opts["csv"] is not None and opts["source"] in (None, "auto") else opts["source"]
    flags = {"horizon", "arch", "hidden_size", "lookback", "indicators", "epochs", "device", "seed"}
    flags |= {"test_days", "refit_every", "window", "conformal", "ensemble", "start", "end"}
    given = {k: opts[k] for k in flags} | {"enabled": opts.get("enabled")}
    return override_flat(
        base,
        tickers=symbols,
        source=source,
        csv_path=str(opts["csv"]) if opts["csv"] else None,
        quantiles=_quantiles(opts["quantiles"]),
        **given,
    )


def _fmt(value: float | None, spec: str = ".3f") -> str:
    return "n/a" if value is None else format(value, spec)


def _scoreboard_table(board: dict[str, Any], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("model", "MAE", "RMSE", "MAPE %", "MASE", "dir. acc (p)", "coverage", "pinball %", "DM p"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for i, s in enumerate(board["scores"]):
        da = (
            "n/a"
            if s["directional_accuracy"] is None
            else f"{s['directional_accuracy']:.3f} ({s['direction_p']:.2g})"
        )
        cov = f"{s['coverage']:.3f}/{s['nominal_coverage']:.2f}"
        name = f"[bold]{s['model']}[/bold]" if i == 0 else s["model"]
        mase, mape = _fmt(s["mase"]), _fmt(s["mape"], ".2f")
        pin, dm = _fmt(s["pinball"], ".4f"), _fmt(s["dm_p"], ".3g")
        table.add_row(name, _fmt(s["mae"]), _fmt(s["rmse"]), mape, mase, da, cov, pin, dm)
    return table


def _wide() -> None:
    """Piped or captured output: do not squeeze the tables into 80 columns."""
    if not out.is_terminal:
        out.width = max(out.width, 140)


def _render_forecast(doc: dict[str, Any]) -> None:
    _wide()
    for data, fc in zip(doc["data"], doc["forecasts"], strict=True):
        label = f"[bold yellow]{data['label']}[/bold yellow]" if data["source"] == "sample" else data["label"]
        out.print(f"[bold]{fc['ticker']}[/bold]  {label}  {data['first_date']}..{data['last_date']}")
        table = Table(
            title=f"{doc['model']} forecast from the close of {fc['last_date']} ({fc['last_close']:.2f})"
        )
        table.add_column("date")
        table.add_column("day", justify="right")
        labels = list(fc["rows"][0]["quantiles"])
        for lab in labels:
            table.add_column(lab, justify="right", style="bold" if lab == "p50" else None)
        table.add_column("median change", justify="right")
        others = fc.get("others", {})
        for name in others:
            table.add_column(f"{name} p50", justify="right", style="dim")
        for i, row in enumerate(fc["rows"]):
            qs = [f"{row['quantiles'][lab]:.2f}" for lab in labels]
            alt = [f"{path[i]:.2f}" for path in others.values()]
            table.add_row(row["date"], str(row["step"]), *qs, f"{row['change_pct']:+.2f}%", *alt)
        out.print(table)
        for note in fc["notes"]:
            out.print(f"  note: {note}", style="dim")


def _render_board(board: dict[str, Any] | None, reused: bool) -> None:
    _wide()
    if not board:
        out.print("backtest: not run")
        return
    when = " (from the saved model's training run)" if reused else ""
    title = (
        f"walk-forward backtest{when}: {board['windows']} windows x {board['horizon']} days, "
        f"{board['first_date']}..{board['last_date']}"
    )
    out.print(_scoreboard_table(board, title))
    out.print(
        "MASE = MAE / random walk MAE on the same windows; DM p = one-sided Diebold-Mariano p vs random walk"
    )
    out.print(f"[bold]{board['verdict']}[/bold]")


@app.command()
def forecast(
    tickers: Tickers,
    horizon: Horizon = None,
    quantiles: Quantiles = None,
    arch: Model = None,
    source: Source = None,
    csv: Csv = None,
    start: Start = None,
    end: End = None,
    as_json: AsJson = False,
    plot: Plot = None,
    out_dir: Out = None,
    model_dir: ModelDir = None,
    test_days: TestDays = None,
    refit_every: RefitEvery = None,
    window: Window = None,
    epochs: Epochs = None,
    lookback: Lookback = None,
    hidden_size: Hidden = None,
    conformal: Conformal = None,
    ensemble: Ensemble = None,
    enabled: RunBacktest = None,
    indicators: Indicators = None,
    device: Device = None,
    seed: Seed = None,
    config: ConfigFile = None,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Forecast the next trading days with quantiles, after a walk-forward backtest against baselines."""
    _logging(verbose, quiet)
    opts = dict(locals())
    try:
        from carrousel.finance.pipeline import forecast as run_forecast

        cfg = _config(opts)
        check_folder(out_dir, "--out")
        check_folder(model_dir, "--model-dir")
        check_plot(plot)
        if as_json or quiet:
            result = run_forecast(cfg, model_dir=model_dir, out_dir=out_dir)
        else:
            with err.status("loading data, backtesting and training..."):
                result = run_forecast(cfg, model_dir=model_dir, out_dir=out_dir)
        doc = result.to_dict()
        charts = _plots(result, plot, out_dir)
        doc["plots"] = charts
    except CarrouselError as exc:
        raise _fail(exc) from None
    except OSError as exc:
        raise _fail(os_error(exc)) from None
    if as_json:
        typer.echo(json.dumps(doc, indent=2))
        return
    _render_forecast(doc)
    _render_board(doc["backtest"], doc["reused_bundle"])
    if doc["bundle"]:
        verb = "reused" if doc["reused_bundle"] else "saved to"
        out.print(f"model bundle {verb} {doc['bundle']}")
    for chart in charts:
        out.print(f"fan chart written to {chart}")


def _plots(result: Any, plot: Path | None, out_dir: Path | None) -> list[str]:
    targets = []
    if plot is None and out_dir is None:
        return []
    from carrousel.finance.plot import fan_chart

    for history, fc in zip(result.histories, result.forecasts, strict=True):
        if plot is not None:
            path = (
                plot
                if len(result.forecasts) == 1
                else plot.with_name(f"{plot.stem}_{fc.ticker}{plot.suffix}")
            )
        else:
            assert out_dir is not None
            path = out_dir / f"fan_{fc.ticker}.png"
        targets.append(str(fan_chart(history, fc, path, result.backtest)))
    return targets


@app.command()
def backtest(
    tickers: Tickers,
    horizon: Horizon = None,
    quantiles: Quantiles = None,
    arch: Model = None,
    source: Source = None,
    csv: Csv = None,
    start: Start = None,
    end: End = None,
    as_json: AsJson = False,
    out_dir: BacktestOut = None,
    test_days: TestDays = None,
    refit_every: RefitEvery = None,
    window: Window = None,
    epochs: Epochs = None,
    lookback: Lookback = None,
    hidden_size: Hidden = None,
    conformal: Conformal = None,
    ensemble: Ensemble = None,
    indicators: Indicators = None,
    device: Device = None,
    seed: Seed = None,
    config: ConfigFile = None,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Walk-forward backtest of the network and every baseline on the same windows."""
    _logging(verbose, quiet)
    opts = dict(locals())
    try:
        from carrousel.core.io import atomic_write_text
        from carrousel.finance.pipeline import backtest as run_backtest

        cfg = _config(opts)
        check_folder(out_dir, "--out")
        if as_json or quiet:
            run = run_backtest(cfg)
        else:
            with err.status("backtesting..."):
                run = run_backtest(cfg)
        board = run.scoreboard.to_dict()
        doc = {
            "tickers": [h.ticker for h in run.histories],
            "model": cfg.model.arch,
            "sample_data": any(h.source == "sample" for h in run.histories),
            "data": [h.summary() for h in run.histories],
            "backtest": board,
            "verdict": board["verdict"],
        }
        if out_dir is not None:
            atomic_write_text(out_dir / "run.json", json.dumps(doc, indent=2))
    except CarrouselError as exc:
        raise _fail(exc) from None
    except OSError as exc:
        raise _fail(os_error(exc)) from None
    if as_json:
        typer.echo(json.dumps(doc, indent=2))
        return
    for h in run.histories:
        label = f"[bold yellow]{h.label}[/bold yellow]" if h.source == "sample" else h.label
        out.print(f"[bold]{h.ticker}[/bold]  {label}  {h.start.date()}..{h.end.date()}")
    _render_board(board, False)


@app.command()
def evaluate(
    runs: Annotated[list[Path], typer.Argument(help="Run folders (with run.json) or run.json files.")],
    as_json: AsJson = False,
) -> None:
    """Compare saved runs (written with --out): every model's backtest figures side by side."""
    rows = []
    try:
        for run in runs:
            rows.extend(read_run_rows(run))
    except CarrouselError as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    _wide()
    table = Table(title="saved runs: backtest figures per model")
    for col in ("run", "tickers", "period", "model", "MASE", "MAPE %", "dir. acc", "coverage", "DM p"):
        table.add_column(
            col, justify="right" if col in ("MASE", "MAPE %", "dir. acc", "coverage", "DM p") else "left"
        )
    for r in rows:
        tick = r["tickers"] + (" (sample)" if r["sample_data"] else "")
        cov = f"{r['coverage']:.3f}/{r['nominal_coverage']:.2f}"
        figures = [_fmt(r["mase"]), _fmt(r["mape"], ".2f"), _fmt(r["directional_accuracy"]), cov]
        table.add_row(r["run"], tick, r["period"], r["model"], *figures, _fmt(r["dm_p"], ".3g"))
    out.print(table)
    for verdict in dict.fromkeys(f"{r['run']}: {r['verdict']}" for r in rows):
        out.print(verdict)


def run() -> None:
    """Console entry point: usage errors (a bad or missing option value) are also one line and exit 1."""
    args = sys.argv[1:]
    try:
        code = app(args=args, prog_name="finance", standalone_mode=False)
    except typer.TyperException as exc:  # click's usage errors
        if type(exc).__name__ == "NoArgsIsHelpError":
            app(args=[*args, "--help"], prog_name="finance")  # prints the help and exits 0
        message = (exc.format_message() if hasattr(exc, "format_message") else str(exc)).rstrip(".")
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx is not None else "finance"
        err.print(f"[red]error:[/red] {escape(message)}; see {where} --help", highlight=False, soft_wrap=True)
        raise SystemExit(1) from None
    except typer.Abort:
        raise SystemExit(1) from None
    raise SystemExit(code if isinstance(code, int) else 0)
