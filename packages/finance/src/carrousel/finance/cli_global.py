"""``finance train-global`` and ``finance predict``: one global network over a long table of many series.

Part of the command line (with :mod:`carrousel.finance.cli`, which registers these commands through
:func:`register`); the work is done by :mod:`carrousel.finance.multiseries` and :mod:`.frames`.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from carrousel.core.atomic import atomic_path, writes_in_place
from carrousel.core.cli import (
    RunPrecision,
    TrainPrecisionOrConfig,
    bars_on,
    command,
    echo,
    emit_json,
    epochs_option,
    stdout,
)
from carrousel.core.cli_config import settings_block
from carrousel.core.cli_device import device_option
from carrousel.core.cli_outputs import check_plot_option, plots_written, stdout_only, summary_hidden
from carrousel.core.cli_values import OutputFolder
from carrousel.core.curves import can_plot, write_report
from carrousel.core.export.choices import InferencePrecision
from carrousel.core.files import check_output_dir, check_output_file
from carrousel.core.output_stage import staged_outputs
from carrousel.core.provenance import precision_report
from carrousel.finance.calendar_pick import AUTO
from carrousel.finance.config import (
    MAX_HIDDEN,
    MAX_HOLDOUT_DAYS,
    MAX_HORIZON,
    MAX_LOOKBACK,
    MAX_MEMBERS,
    MAX_WINDOWS,
    MIN_LOOKBACK,
    Arch,
    BacktestConfig,
    FinanceConfig,
    Sampling,
    load_config,
)
from carrousel.finance.errors import FinanceConfigError

__all__ = ["CalendarOpt", "PrecisionOpt", "register"]

_D = FinanceConfig()
_GLOBAL = replace(_D, backtest=BacktestConfig(auto_baselines=False))  # train-global's defaults
_LB, _MW = _D.window.lookback, _D.train.max_windows  # defaults shown in --help

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
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON instead of tables.")]


def register(app: typer.Typer) -> None:
    """Adds ``train-global`` and ``predict`` to the ``finance`` app."""

    @command(app, "train-global", quiet_with="model_dir")
    def train_global_cmd(
        data: Data,
        model_dir: ModelDirReq,
        holdout_days: Annotated[
            int,
            typer.Option(
                "--holdout-days",
                min=0,
                max=MAX_HOLDOUT_DAYS,
                help="Last days of each series kept out and scored (0: none).",
            ),
        ] = 0,
        sampling: Annotated[
            Sampling | None,
            typer.Option("--sampling", help=f"Windows across series (default {_D.train.sampling})."),
        ] = None,
        horizon: Annotated[
            int | None,
            typer.Option(
                "--horizon", "-H", min=1, max=MAX_HORIZON, help=f"Days ahead (default {_D.window.horizon})."
            ),
        ] = None,
        lookback: Annotated[
            int | None,
            typer.Option(
                "--lookback", min=MIN_LOOKBACK, max=MAX_LOOKBACK, help=f"Input days (default {_LB})."
            ),
        ] = None,
        arch: Annotated[
            Arch | None, typer.Option("--arch", help=f"Encoder (default {_D.model.arch}).")
        ] = None,
        hidden: Annotated[
            int | None,
            typer.Option(
                "--hidden", min=1, max=MAX_HIDDEN, help=f"Hidden units (default {_D.model.hidden_size})."
            ),
        ] = None,
        members: Annotated[
            int | None,
            typer.Option(
                "--members", min=1, max=MAX_MEMBERS, help=f"Seed ensemble size (default {_D.model.members})."
            ),
        ] = None,
        epochs: Annotated[int | None, epochs_option(f"Epochs (default {_D.train.epochs}).")] = None,
        max_windows: Annotated[
            int | None,
            typer.Option(
                "--max-windows", min=1, max=MAX_WINDOWS, help=f"Latest windows per series (default {_MW})."
            ),
        ] = None,
        device: Annotated[str | None, device_option(_D.train.device)] = None,
        seed: Annotated[
            int | None, typer.Option("--seed", min=0, help=f"Random seed (default {_D.train.seed}).")
        ] = None,
        config: Annotated[
            Path | None,
            typer.Option("--config", help="TOML settings ([window], [model], [train]); flags win."),
        ] = None,
        auto_baselines: Annotated[
            bool | None,
            typer.Option(
                "--auto-baselines/--no-auto-baselines",
                help="Also score AutoETS, Theta, AutoARIMA on the held-out days (a few s per series) "
                "(default: no).",
            ),
        ] = None,
        precision: TrainPrecisionOrConfig = None,
        calendar: CalendarOpt = None,
        as_json: AsJson = False,
    ) -> None:
        """Train ONE global network over every series of a long table (hundreds of tickers)."""
        from carrousel.finance.bundle import KIND
        from carrousel.finance.fitted import check_forecast_precision, check_training_precision
        from carrousel.finance.global_file import global_settings
        from carrousel.finance.multiseries import history_report, train_global
        from carrousel.finance.plot import PLOT_EXTRA

        base = load_config(global_settings(config), _GLOBAL)  # defaults, the file's (unused ones refused)
        w, m, t = base.window, base.model, base.train
        bt = replace(base.backtest, auto_baselines=_pick(auto_baselines, base.backtest.auto_baselines))
        pick = _pick
        cfg = replace(
            base,
            data=replace(base.data, calendar=pick(calendar, base.data.calendar)),
            window=replace(w, horizon=pick(horizon, w.horizon), lookback=pick(lookback, w.lookback)),
            model=replace(
                m, arch=pick(arch, m.arch), hidden_size=pick(hidden, m.hidden_size), members=pick(members, m.members)
            ),
            train=replace(
                t, epochs=pick(epochs, t.epochs), max_windows=pick(max_windows, t.max_windows),
                device=pick(device, t.device), seed=pick(seed, t.seed), sampling=pick(sampling, t.sampling),
                precision=pick(precision, t.precision), progress=bars_on(),
            ),
            backtest=bt,
        )  # fmt: skip
        check_output_dir(model_dir, "--model-dir", "bundle.json", FinanceConfigError, KIND)  # before any work
        plot = can_plot(PLOT_EXTRA)  # the learning curve (training.png), decided before any training
        with settings_block(precision is not None, config, "[train] precision"):
            check_forecast_precision(cfg.train.precision)  # before the table is read (train_global: after)
            check_training_precision(cfg.train)
            result = train_global(data, cfg, holdout_days)  # a bar per epoch (cfg.train.progress)
        doc = result.to_dict() | {"model_dir": str(model_dir), "data": str(data)}
        h = history_report(result, plot)  # history.csv, training.png; report.json: doc, every figure
        result.bundle.save(model_dir, lambda t: (h(t), write_report(t, doc)))  # with its run record
        if as_json:
            emit_json(doc)
        elif not summary_hidden(True):  # -q: the folder's report.json holds every figure printed
            _render_train(doc)

    @command(app, "predict", quiet_with="out")
    def predict_cmd(
        data: Data,
        model_dir: Annotated[
            Path, typer.Option("--model-dir", help="Model folder (train-global or forecast).")
        ],
        out: Annotated[
            Path | None,
            typer.Option(
                "--out", "-o", help="Write the forecasts as CSV (or .parquet; - for CSV on stdout)."
            ),
        ] = None,
        horizon: Annotated[
            int | None,
            typer.Option(
                "--horizon", "-H", min=1, max=MAX_HORIZON, help="Sessions ahead (default: the model's)."
            ),
        ] = None,
        precision: PrecisionOpt = None,
        plot: Annotated[
            Path | None,
            typer.Option(
                "--plot",
                metavar="FILE.png",
                help="Write a PNG of the first 12 series (a grid): recent history, forecast median and "
                "p10-p90 band.",
            ),
        ] = None,
        calendar: CalendarOpt = None,
        as_json: AsJson = False,
    ) -> None:
        """Forecast every series of a long table with a saved model (new series: scaled by their own history;
        series too short for the model are skipped, named in a warning)."""
        from carrousel.finance.frames import Forecaster, read_frame
        from carrousel.finance.predict_plot import PLOT_EXTRA, PLOT_PURPOSE, predict_png

        dash = out is not None and str(out) == "-"  # stdout, as bio scan's -o - (before: refused)
        others = {"--out": None if dash else out}  # png_out: True for the PNG alone on stdout
        png_out = check_plot_option(plot, as_json, PLOT_EXTRA, PLOT_PURPOSE, others=others)
        to_stdout = stdout_only(Path("/dev/stdout") if dash else out, as_json, "--out")  # CSV alone there
        if png_out and to_stdout:
            raise typer.BadParameter("--out names stdout too; give one of them there", param_hint="'--plot'")
        out = None if dash else out
        parquet = out is not None and not writes_in_place(out) and out.suffix.lower() == ".parquet"
        if out is not None and not writes_in_place(out):  # /dev/stdout, a FIFO: CSV written in place
            if out.suffix.lower() not in (".csv", ".parquet"):
                raise FinanceConfigError(
                    f"--out {out}: use a .csv or .parquet file name, or - for CSV on stdout"
                )
            check_output_file(out, "--out", inputs=[data])
        model = Forecaster.from_pretrained(model_dir, _pick(precision, "fp32"), calendar)
        if horizon is not None and horizon > model.horizon:  # a usage error naming -H, not Python's h=
            raise typer.BadParameter(
                f"{horizon} is past this model's horizon of {model.horizon} sessions; use -H {model.horizon} "
                "or less, or train a model with that horizon",
                param_hint="'--horizon' / '-H'",
            )
        frame = read_frame(data)
        pred = model.predict(frame, h=horizon)  # too-short series skipped, named in a warning
        skipped = pred.attrs.get("skipped", [])
        with staged_outputs():  # chart and table: both replaced, or (a full disk) neither
            if plot is not None:
                more = f"; {len(skipped)} series skipped (too short)" if skipped else ""
                predict_png(frame, pred, plot, f"data: {data}; model: {model_dir}{more}")
            if dash:
                echo(pred.assign(ds=pred["ds"].dt.strftime("%Y-%m-%d")).to_csv(index=False), nl=False)
                return
            if out is not None:
                with atomic_path(out) as tmp:
                    _write_table(pred, tmp, parquet)
        if to_stdout or png_out or summary_hidden(out is not None and not as_json):  # -q: the file
            return
        rows = [  # NaN (no ACI state for the series) as null
            {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in r.items()}
            for r in pred.assign(ds=pred["ds"].dt.strftime("%Y-%m-%d")).to_dict(orient="records")
        ]
        aci_cols = [c for c in pred.columns if c.endswith("_aci")]
        continued = sorted({str(r["unique_id"]) for r in rows if aci_cols and r[aci_cols[0]] is not None})
        aci = {"step": model.bundle.config.backtest.aci_gamma, "series": continued} if aci_cols else None
        if as_json:
            emit_json(
                {
                    "model_dir": str(model_dir),
                    **precision_report(
                        model.bundle.trained_precision, model.bundle.fitted.precision, model.bundle.exported
                    ),
                    "rows": rows,
                    "out": None if out is None else str(out),
                    "aci": aci,
                    "skipped": skipped,
                    "plots": plots_written(plot),  # the chart written, the key of every --plot
                }
            )
            return
        more = f" ({len(skipped)} skipped: too short)" if skipped else ""
        table = Table(title=f"forecasts of {pred['unique_id'].nunique()} series{more}")
        for col in pred.columns:  # whole dates, even on an 80-column pipe (as forecast's table)
            left, date = col in ("unique_id", "ds"), col == "ds"
            table.add_column(
                col, justify="left" if left else "right", no_wrap=date, min_width=10 if date else None
            )
        for r in rows:
            table.add_row(
                *(escape(v) if isinstance(v, str) else "-" if v is None else _price(v) for v in r.values())
            )
        stdout.print(table)
        if plot is not None:
            stdout.print(f"forecast chart written to {escape(str(plot))}")
        if aci is not None:
            stdout.print(
                f"*_aci: adaptive conformal interval (step {aci['step']:g}) continued from the state saved with "
                f"the model, for {len(continued)} of {pred['unique_id'].nunique()} series (-: no state, or the "
                "table does not reach its last origin)"
            )


def _price(value: float) -> str:
    """A forecast price for the table: two decimals, as ``finance forecast`` shows them (``.4g`` printed
    BTC-USD's 60123.45 as ``6.012e+04`` and IBM's 173.82 as ``173.8``); 4 significant digits below 1."""
    return f"{value:.2f}" if abs(value) >= 1 else f"{value:.4g}"


def _write_table(pred: Any, path: Path, parquet: bool) -> None:
    """The forecasts as Parquet, or as CSV with plain dates."""
    if parquet:
        pred.to_parquet(path, index=False)
    else:
        pred.assign(ds=pred["ds"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)


def _pick(value: Any, default: Any) -> Any:
    return default if value is None else getattr(value, "value", value)


def _render_train(doc: dict[str, Any]) -> None:
    members = f" (each of {doc['members']} members)" if doc["members"] > 1 else ""
    stdout.print(
        f"global model: {doc['series']} series, {doc['windows']} training windows, {doc['epochs']} epoch(s)"
        f"{members}, "
        f"train loss {doc['first_train_loss']:.4f} -> {doc['last_train_loss']:.4f}, {doc['seconds']:.1f} s; "
        f"window store {doc['store_mb']:.1f} MB (materialised {doc['materialised_mb']:.1f} MB)"
    )
    if doc["skipped"]:
        stdout.print(f"skipped (too short): {escape(', '.join(doc['skipped']))}")
    summary = doc["holdout_summary"]
    if summary:
        table = Table(
            title=f"held-out last {doc['holdout_days']} days: mean over {len(doc['holdout'])} series"
        )
        cols = (
            "model",
            "pinball %",
            "coverage",
            "rel. MAE",
            "lowest pinball (series)",
            "network better / worse",
        )
        for col in cols:
            table.add_column(col, justify="left" if col == "model" else "right")
        for name, s in summary.items():  # a fresh run's summary: every model has both counts
            sig = (
                "-"
                if name == "network"
                else f"{int(s['network_better_series'])} / {int(s['network_worse_series'])}"
            )
            table.add_row(
                name, f"{s['pinball']:.4f}", f"{s['coverage']:.3f}", f"{s['rel_mae']:.3f}",
                f"{int(s['lowest_pinball_series'])}", sig,
            )  # fmt: skip
        stdout.print(table)
        stdout.print(
            "network better / worse: series where the network's pinball loss is lower / higher than that "
            "model's with one-sided Diebold-Mariano p < 0.05 on the series (unadjusted)"
        )
    if doc["aci_series"]:
        where = "validation windows and held-out days" if doc["holdout_days"] else "validation windows"
        stdout.print(
            f"adaptive conformal state of {doc['aci_series']} series saved (run over their {where}); "
            "finance predict continues it (*_aci columns)"
        )
    stdout.print(f"model saved to {escape(doc['model_dir'])}")
