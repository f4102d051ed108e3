"""``finance train-global``: one global network over a long table of many series (the work is done by
:mod:`carrousel.finance.multiseries`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from carrousel.core.cli import TrainPrecisionOrConfig, bars_on, command, emit_json, epochs_option, stdout
from carrousel.core.cli_config import settings_block
from carrousel.core.cli_outputs import summary_hidden
from carrousel.core.curves import can_plot, write_report
from carrousel.core.files import check_output_dir
from carrousel.core.text import counted
from carrousel.finance.cli._common import AsJson, CalendarOpt, Data, DeviceOpt, ModelDirReq, Seed, pick
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

__all__ = ["register"]

_D = FinanceConfig()
_GLOBAL = replace(_D, backtest=BacktestConfig(auto_baselines=False))  # train-global's defaults
_LB, _MW = _D.window.lookback, _D.train.max_windows  # defaults shown in --help


def train_global(
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
        typer.Option("--lookback", min=MIN_LOOKBACK, max=MAX_LOOKBACK, help=f"Input days (default {_LB})."),
    ] = None,
    arch: Annotated[Arch | None, typer.Option("--arch", help=f"Encoder (default {_D.model.arch}).")] = None,
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
    device: DeviceOpt = None,
    seed: Seed = None,
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
    bt = replace(base.backtest, auto_baselines=pick(auto_baselines, base.backtest.auto_baselines))
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
            title=f"held-out last {counted(doc['holdout_days'], 'day')}: mean over {len(doc['holdout'])} series"
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


def register(app: typer.Typer) -> None:
    """Adds ``train-global`` to the ``finance`` app."""
    command(app, "train-global", quiet_with="model_dir")(train_global)
