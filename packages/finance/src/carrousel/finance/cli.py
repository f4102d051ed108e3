"""The ``finance`` command line: flags -> :class:`FinanceConfig` -> :mod:`carrousel.finance.pipeline` -> tables
or JSON on stdout. The only module of carrousel.finance importing typer or rich.

It follows the conventions of :mod:`carrousel.core.cli` (``-h``, ``--version``, ``-v/--verbose``,
``-q/--quiet``, choices as enums, exit codes 0 ok / 1 runtime or data error / 2 usage error, one-line
errors, strict JSON). Each command builds its configuration once, explicitly: defaults (or, when
``--model-dir`` holds a model, that model's window and network settings), then the ``--config`` TOML
file, then the flags given. Every file a run writes is written by the pipeline. The pipeline (torch,
pandas, statsmodels) is imported inside the commands, so ``--help`` and usage errors answer at once.
"""

from __future__ import annotations

if __name__ == "__main__":  # python -m carrousel.finance.cli: signals caught before the imports
    from carrousel.core.cli_start import launch

    launch("carrousel.finance.cli")  # imports this module under its own name, runs main() and exits

import enum
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from carrousel.core.cli import (
    DistillHidden,
    ExportPrecision,
    ExportWith,
    FinetuneEpochs,
    PruneShare,
    TrainPrecisionOrConfig,
    command,
    create_app,
    emit_json,
    epochs_option,
    print_deployment,
    progress,
    refuse_idle_finetune,
    run,
    stdout,
)
from carrousel.core.cli_device import device_option
from carrousel.core.cli_outputs import check_plot_option, plots_written, summary_hidden
from carrousel.core.cli_samples import add_sample_commands
from carrousel.core.cli_values import OutputFolder
from carrousel.core.config import TomlDocument, read_toml
from carrousel.core.export import DeployPrecision, Exporter, InferencePrecision
from carrousel.core.option_names import option
from carrousel.finance import __version__
from carrousel.finance.cli_global import CalendarOpt, register
from carrousel.finance.cli_unused import refuse_unused, run_block, typed_tickers
from carrousel.finance.config import (
    MAX_HIDDEN,
    MAX_HORIZON,
    MAX_LOOKBACK,
    MAX_MEMBERS,
    MAX_TEST_DAYS,
    MIN_LOOKBACK,
    MIN_TEST_DAYS,
    Arch,
    ExportConfig,
    FinanceConfig,
    Source,
    TrainWindow,
    load_config,
)
from carrousel.finance.export_config import MAX_EVAL_DAYS, MIN_EVAL_DAYS
from carrousel.finance.samples import SAMPLES

__all__ = ["app", "main"]

app = create_app(
    "finance",
    "carrousel-finance: Stock forecasting with LSTMs, honest baselines and walk-forward backtests.",
    f"carrousel-finance {__version__}",
)
add_sample_commands(app, "finance", SAMPLES)  # samples list / samples place (core.cli_samples)

register(app)  # train-global, predict (cli_global.py)
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
    "CSV in yfinance layout, or as Stooq, Nasdaq, Investing.com, MarketWatch or Google Sheets export it; "
    "several tickers: a Ticker column, yf.download([...]).to_csv(), or a wide table (Date + a close column "
    "per ticker)"
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


def main() -> None:
    """Console entry point (``finance``)."""
    run(app, "finance")


def _quantiles(values: list[str] | None) -> tuple[float, ...] | None:
    if not values:
        return None
    try:
        return tuple(float(v) for item in values for v in item.replace(" ", ",").split(",") if v)
    except ValueError:
        raise typer.BadParameter(
            f"{' '.join(values)} is not a list of numbers; use e.g. 0.1,0.5,0.9", param_hint="'--quantiles'"
        ) from None


def _pick(value: Any, default: Any) -> Any:
    """A flag's value when given, else ``default`` (from the TOML file, the saved model or the defaults)."""
    return default if value is None else getattr(value, "value", value)


def _config(
    tickers: list[str] | None,
    *,
    source: Source | None = None,
    csv: Path | None = None,
    start: str | None = None,
    end: str | None = None,
    lookback: int | None = None,
    horizon: int | None = None,
    indicators: bool | None = None,
    arch: Arch | None = None,
    quantiles: list[str] | None = None,
    hidden: int | None = None,
    members: int | None = None,
    epochs: int | None = None,
    device: str | None = None,
    precision: InferencePrecision | None = None,
    seed: int | None = None,
    test_days: int | None = None,
    refit_every: int | None = None,
    window: TrainWindow | None = None,
    conformal: bool | None = None,
    ensemble: bool | None = None,
    enabled: bool | None = None,
    config: Path | TomlDocument | None = None,
    saved: FinanceConfig | None = None,
    calendar: str | None = None,
) -> FinanceConfig:
    """The run's configuration, built once: base (defaults or the saved model's settings) <- TOML <- flags.
    A CSV file (``--csv``, or the file's ``[data] csv_path``) with the source ``auto`` makes it ``csv``, as
    ``--csv`` implies ``--source csv``; beside another source,
    :func:`~carrousel.finance.cli_unused.refuse_unused` refuses it."""
    base = FinanceConfig()
    if saved is not None:  # reusing a model: its window and network are the defaults
        base = replace(base, window=saved.window, model=saved.model)
    if csv is not None:  # completes a file's [data] source = "csv" that names no csv_path
        base = replace(base, data=replace(base.data, csv_path=str(csv)))
    base = load_config(config, base)
    d, w, m, t, b = base.data, base.window, base.model, base.train, base.backtest
    symbols = typed_tickers(tickers, config, d.tickers)  # none typed: the --config file's, or a usage error
    csv_path = str(csv) if csv is not None else d.csv_path
    read = "csv" if csv is not None and source in (None, Source.auto) else _pick(source, d.source)
    return FinanceConfig(
        data=replace(
            d,
            tickers=symbols,
            source="csv" if read == Source.auto.value and csv_path else read,
            csv_path=csv_path,
            start=_pick(start, d.start),
            end=_pick(end, d.end),
            calendar=_pick(calendar, d.calendar),
        ),
        window=replace(
            w,
            lookback=_pick(lookback, w.lookback),
            horizon=_pick(horizon, w.horizon),
            indicators=_pick(indicators, w.indicators),
        ),
        model=replace(
            m,
            arch=_pick(arch, m.arch),
            quantiles=_pick(_quantiles(quantiles), m.quantiles),
            hidden_size=_pick(hidden, m.hidden_size),
            members=_pick(members, m.members),
        ),
        train=replace(
            t,
            epochs=_pick(epochs, t.epochs),
            device=_pick(device, t.device),
            seed=_pick(seed, t.seed),
            precision=_pick(precision, t.precision),
        ),
        backtest=replace(
            b,
            test_days=_pick(test_days, b.test_days),
            refit_every=_pick(refit_every, b.refit_every),
            window=_pick(window, b.window),
            conformal=_pick(conformal, b.conformal),
            ensemble=_pick(ensemble, b.ensemble),
            enabled=_pick(enabled, b.enabled),
        ),
    )


def _fmt(value: float | None, spec: str = ".3f") -> str:
    return "n/a" if value is None else format(value, spec)


def _print(renderable: Any) -> None:
    """Tables on stdout; piped or captured output is not squeezed into 80 columns."""
    if not stdout.is_terminal:
        stdout.width = max(stdout.width, 140)
    stdout.print(renderable)


def _scoreboard_table(board: dict[str, Any], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    cols = ("model", "MAE", "RMSE", "MAPE %", "rel. MAE", "MASE", "dir. acc (p)", "coverage", "pinball %")
    for col in (*cols, "Winkler %", "CRPS %", "DM p"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for i, s in enumerate(board["scores"]):
        da = (
            "n/a"
            if s["directional_accuracy"] is None
            else f"{s['directional_accuracy']:.3f} ({s['direction_p']:.2g}; {_fmt(s.get('direction_vs_drift_p'), '.2g')})"
        )
        cov = f"{s['coverage']:.3f}/{s['nominal_coverage']:.2f}"
        name = f"[bold]{s['model']}[/bold]" if i == 0 else s["model"]
        rel, mase, mape = _fmt(s["rel_mae"]), _fmt(s.get("mase")), _fmt(s["mape"], ".2f")
        pin, dm = _fmt(s["pinball"], ".4f"), _fmt(s["dm_p"], ".3g")
        wink, crps = _fmt(s.get("winkler"), ".3f"), _fmt(s.get("crps"), ".4f")
        table.add_row(name, _fmt(s["mae"]), _fmt(s["rmse"]), mape, rel, mase, da, cov, pin, wink, crps, dm)
    return table


def _data_line(ticker: str, data: dict[str, Any]) -> None:
    label = escape(data["label"])
    label = f"[bold yellow]{label}[/bold yellow]" if data["source"] == "sample" else label
    _print(f"[bold]{ticker}[/bold]  {label}  {data['first_date']}..{data['last_date']}")


def _render_forecast(doc: dict[str, Any]) -> None:
    for data, fc in zip(doc["data"], doc["forecasts"], strict=True):
        _data_line(fc["ticker"], data)
        table = Table(
            title=f"{doc['model']} forecast from the close of {fc['last_date']} ({fc['last_close']:.2f})"
            + ("" if fc.get("calendar", "XNYS") == "XNYS" else f", {fc['calendar']} sessions")
        )
        table.add_column("date", no_wrap=True, min_width=10)  # whole dates, even on an 80-column pipe
        table.add_column("day", justify="right", min_width=3)
        labels = list(fc["rows"][0]["quantiles"])
        for lab in labels:  # whole numbers: only the baselines' columns give way on a narrow screen
            wide = max(len(f"{row['quantiles'][lab]:.2f}") for row in fc["rows"])
            table.add_column(lab, justify="right", style="bold" if lab == "p50" else None, min_width=wide)
        change = max(len(f"{row['change_pct']:+.2f}%") for row in fc["rows"])
        table.add_column("median change", justify="right", min_width=change)
        others = fc.get("others", {})
        for name in others:
            table.add_column(f"{name} p50", justify="right", style="dim")
        for i, row in enumerate(fc["rows"]):
            qs = [f"{row['quantiles'][lab]:.2f}" for lab in labels]
            alt = [f"{path[i]:.2f}" for path in others.values()]
            table.add_row(row["date"], str(row["step"]), *qs, f"{row['change_pct']:+.2f}%", *alt)
        _print(table)
        if aci := fc.get("aci"):  # the backtest's adaptive conformal state, continued to this origin
            lo, hi = labels[0], labels[-1]
            spans = ", ".join(f"day {i + 1} {q[lo]:.2f}..{q[hi]:.2f}" for i, q in enumerate(aci))
            run = "the saved model's backtest" if doc["reused_bundle"] else "the backtest"
            _print(f"  {doc['model']}_aci {lo}-{hi} (adaptive conformal, continued from {run}): {spans}")
        for note in fc["notes"]:
            stdout.print(f"  note: {escape(note)}", style="dim")


def _render_board(board: dict[str, Any] | None, saved: str | None = None, asked: bool = True) -> None:
    """The backtest's scoreboard, or a line saying there is none.

    Args:
        board: the scoreboard (``--json``'s ``backtest``), None when no backtest was run or saved.
        saved: a reused model's training date: ``board`` is the one saved then (a reuse runs no backtest).
        asked: False under ``--no-backtest``: a saved scoreboard is named (with its date), not shown.
    """
    if not board or not asked:
        left = (
            f"; the reused model's saved backtest (its training run, {saved}) is not shown" if board else ""
        )
        none = " (the reused model was saved without one; a reuse runs none)" if saved and asked else ""
        _print(f"backtest: not run{none}{left}")
        return
    when = f" (from the saved model's training run, {saved}; not rerun)" if saved else ""
    title = (
        f"walk-forward backtest{when}: {board['windows']} windows x {board['horizon']} days, "
        f"{board['first_date']}..{board['last_date']}"
    )
    _print(_scoreboard_table(board, title))
    net = board["scores"][0]
    steps = "  ".join(
        f"h{p['step']} MAE {p['mae']:.3f} pinball {p['pinball']:.3f} cov {p['coverage']:.2f}"
        + (f" CRPS {p['crps']:.3f}" if p.get("crps") is not None else "")
        + (f" dir {p['directional_accuracy']:.3f}" if p.get("directional_accuracy") is not None else "")
        for p in net.get("per_step", [])
    )
    if steps:
        _print(f"{net['model']} per step: {steps}")
    _print(
        "rel. MAE = MAE / random walk MAE on the same windows; MASE = MAE / in-sample one-step naive MAE; "
        f"dir. acc (p; p) vs always calling the majority direction (up on {board.get('up_rate', 0.5):.3f} of "
        "days); vs drift's calls on the same days (exact McNemar); "
        "DM p = one-sided Diebold-Mariano p vs random walk (unadjusted); the verdict tests the network "
        "against every baseline, Holm-adjusted"
    )
    spread = board.get("member_spread") or {}
    if spread:
        _print(
            f"{len(board.get('members', []))} seed members (min-max, std): "
            + "; ".join(f"{k} {v['min']:.4g}-{v['max']:.4g} ({v['std']:.2g})" for k, v in spread.items())
        )
    fits = board.get("baseline_fits") or []
    if fits:
        _print(
            "automatic baselines picked: "
            + "; ".join(
                f"{f['ticker']} to {f['fitted_to']}: ETS {f.get('auto_ets')}, {f.get('theta')}, {f.get('auto_arima')}"
                for f in fits
            )
        )
    _print(f"[bold]{board['verdict']}[/bold]")
    if board.get("interval_verdict"):  # runs saved before it have none
        _print(escape(board["interval_verdict"]))


@command(app, quiet_with="out_dir")
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
    cfg = _config(
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
    _render_forecast(doc)
    saved_on = (result.saved_at[:10] if result.saved_at else "an unrecorded date") if result.reused else None
    _render_board(doc["backtest"], saved_on, cfg.backtest.enabled)  # a reuse's board: the saved one, dated
    if doc["bundle"]:
        trained, run = doc["trained_precision"] or "an unrecorded precision", doc["precision"]
        arithmetic = (
            f" (trained in {trained}, forecasting in {run})"
            if doc["reused_bundle"] and trained != run
            else ""
        )
        _print(
            f"model bundle {'reused' if doc['reused_bundle'] else 'saved to'} {escape(doc['bundle'])}{arithmetic}"
        )
    for chart in doc["plots"]:
        _print(f"fan chart written to {escape(chart)}")


@command(app, name="export", quiet_with="out")
def export_(
    ctx: typer.Context,
    model_dir: Annotated[
        Path, typer.Option("--model-dir", help="Forecaster folder (or run folder) to export.")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder of the exported forecaster to write."), OutputFolder()
    ],
    precision: ExportPrecision = DeployPrecision.INT8,
    exporter: ExportWith = Exporter.TORCHSCRIPT,
    source: Annotated[
        Source | None,
        typer.Option("--source", help="Prices of the scored stretch (default: the model's own)."),
    ] = None,
    eval_days: Annotated[
        int,
        typer.Option(
            "--eval-days",
            min=MIN_EVAL_DAYS,
            max=MAX_EVAL_DAYS,
            help="Forecast origins scored before and after.",
        ),
    ] = 250,
    prune: PruneShare = 0.0,
    finetune_epochs: FinetuneEpochs = 5,
    distill: DistillHidden = 0,
    as_json: AsJson = False,
) -> None:
    """Forecaster with its ensemble as ONNX (fp32/int8), optionally pruned and fine-tuned or distilled into a
    smaller student first; prints size, latency, pinball loss."""
    from carrousel.finance.pipeline import export_forecaster

    refuse_idle_finetune(ctx, prune, distill)
    cfg = ExportConfig(
        model_dir=str(model_dir),
        precision=precision,
        exporter=exporter,
        source=source.value if source is not None else None,
        eval_days=eval_days,
        prune=prune,
        finetune_epochs=finetune_epochs,
        distill=distill,
    )
    with progress("exporting and measuring"):
        report = export_forecaster(cfg, out)
    doc = report.summary()
    if as_json:
        emit_json(doc)
        return
    mae = f"MAE of the median: {doc['extra']['mae_before']:.6f} -> {doc['extra']['mae_after']:.6f}"
    print_deployment(doc, mae)  # -q: nothing (the folder's report.json holds it)


@command(app, quiet_with="out_dir")
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
    cfg = _config(
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
            _data_line(data["ticker"], data)
        _render_board(doc["backtest"])


@command(app)
def evaluate(
    runs: Annotated[list[Path], typer.Argument(help="Run folders (with run.json) or run.json files.")],
    as_json: AsJson = False,
    per_step: Annotated[
        bool,
        typer.Option(
            "--per-step",
            help="Per horizon step: each model's MAE, MASE, pinball, coverage; runs side by side (--json adds "
            "Winkler, CRPS and direction).",
        ),
    ] = False,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            metavar="FILE.png",
            help="Write a PNG of every run's models per horizon step (the --per-step MAE, MASE, pinball and "
            "coverage, nominal coverage dashed), one line per run and model.",
        ),
    ] = None,
) -> None:
    """Compare saved runs (written with --out): every model's backtest figures side by side."""
    from carrousel.finance.evaluate_plot import PLOT_EXTRA, PLOT_PURPOSE, step_png
    from carrousel.finance.runs import read_run_rows, step_rows, unique_runs, warn_different_windows

    to_stdout = check_plot_option(plot, as_json, PLOT_EXTRA, PLOT_PURPOSE)  # True: the PNG alone on stdout
    runs = unique_runs(runs)
    warn_different_windows(runs)
    steps = step_rows(runs) if per_step or plot is not None else []
    if plot is not None:
        step_png(steps, runs, plot)
    if to_stdout:
        return
    if per_step:
        if as_json:  # an object, as every --json: the rows and the chart written (plots)
            emit_json({"steps": steps, "plots": plots_written(plot)})
        else:
            _print(_step_table(steps, runs))
            if plot is not None:
                _print(f"per-step chart written to {escape(str(plot))}")
        return
    rows = [row for folder in runs for row in read_run_rows(folder)]
    if as_json:
        emit_json({"runs": rows, "plots": plots_written(plot)})  # was the list of rows
        return
    table = Table(title="saved runs: backtest figures per model")
    figure_cols = ("rel. MAE", "MASE", "MAPE %", "dir. acc", "coverage", "pinball %", "DM p")
    for col in ("run", "tickers", "period", "model", *figure_cols):
        table.add_column(col, justify="right" if col in figure_cols else "left")
    for r in rows:
        tick = r["tickers"] + (" (sample)" if r["sample_data"] else "")
        cov = f"{r['coverage']:.3f}/{r['nominal_coverage']:.2f}"
        rel = r.get("rel_mae", r.get("mase"))  # runs written before rel_mae named it mase
        mase = r.get("mase") if "rel_mae" in r else None
        figures = [_fmt(rel), _fmt(mase), _fmt(r["mape"], ".2f"), _fmt(r["directional_accuracy"]), cov]
        figures.append(_fmt(r.get("pinball"), ".4f"))
        table.add_row(escape(r["run"]), tick, r["period"], r["model"], *figures, _fmt(r["dm_p"], ".3g"))
    _print(table)
    for verdict in dict.fromkeys(f"{r['run']}: {r['verdict']}" for r in rows):
        _print(escape(verdict))
    for verdict in dict.fromkeys(
        f"{r['run']}: {r['interval_verdict']}" for r in rows if r["interval_verdict"]
    ):
        _print(escape(verdict))
    if plot is not None:
        _print(f"per-step chart written to {escape(str(plot))}")


def _step_table(rows: list[dict[str, Any]], runs: list[Path]) -> Table:
    """Models x horizon steps down, each run's MAE, MASE, pinball and coverage across (n/a where absent).

    The runs' networks share one row group (``network (lstm, gru)``), so different networks line up.
    """
    from carrousel.finance.evaluate_plot import run_labels

    names, labels = run_labels(runs)
    short = [Path(n).name or n for n in names]
    table = Table(title="saved runs: backtest figures per horizon step", title_justify="left")
    table.add_column("model")
    table.add_column("step", justify="right")
    for label in labels:
        for fig in ("MAE", "MASE", "pinball %", "coverage"):
            table.add_column(f"{escape(label)} {fig}", justify="right")
    found = {(r["run"], r["group"], r["step"]): r for r in rows}
    groups = list(dict.fromkeys(r["group"] for r in rows))
    members = {g: list(dict.fromkeys(r["model"] for r in rows if r["group"] == g)) for g in groups}
    keys = sorted(
        dict.fromkeys((r["group"], r["step"]) for r in rows), key=lambda k: (groups.index(k[0]), k[1])
    )
    for group, step in keys:
        cells: list[str] = []
        for name in names:
            r = found.get((name, group, step))
            if r is None:
                cells += ["n/a"] * 4
            else:
                cells += [_fmt(r["mae"]), _fmt(r["mase"]), _fmt(r["pinball"], ".4f"), _fmt(r["coverage"])]
        label = group if members[group] == [group] else f"{group} ({', '.join(members[group])})"
        table.add_row(escape(label), str(step), *cells)
    if labels != short or any(lab != name for lab, name in zip(labels, names, strict=True)):
        table.caption = "; ".join(f"{lab} = {escape(n)}" for lab, n in zip(labels, names, strict=True))
    return table
