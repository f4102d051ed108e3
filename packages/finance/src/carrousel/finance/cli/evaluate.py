"""``finance evaluate``: saved runs' backtest figures side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from carrousel.core.cli import command, emit_json
from carrousel.core.cli_outputs import check_plot_option, plots_written
from carrousel.finance.cli._common import AsJson
from carrousel.finance.cli._render import fmt, show

__all__ = ["register"]


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
            show(_step_table(steps, runs))
            if plot is not None:
                show(f"per-step chart written to {escape(str(plot))}")
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
        figures = [fmt(rel), fmt(mase), fmt(r["mape"], ".2f"), fmt(r["directional_accuracy"]), cov]
        figures.append(fmt(r.get("pinball"), ".4f"))
        table.add_row(escape(r["run"]), tick, r["period"], r["model"], *figures, fmt(r["dm_p"], ".3g"))
    show(table)
    for verdict in dict.fromkeys(f"{r['run']}: {r['verdict']}" for r in rows):
        show(escape(verdict))
    for verdict in dict.fromkeys(
        f"{r['run']}: {r['interval_verdict']}" for r in rows if r["interval_verdict"]
    ):
        show(escape(verdict))
    if plot is not None:
        show(f"per-step chart written to {escape(str(plot))}")


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
                cells += [fmt(r["mae"]), fmt(r["mase"]), fmt(r["pinball"], ".4f"), fmt(r["coverage"])]
        label = group if members[group] == [group] else f"{group} ({', '.join(members[group])})"
        table.add_row(escape(label), str(step), *cells)
    if labels != short or any(lab != name for lab, name in zip(labels, names, strict=True)):
        table.caption = "; ".join(f"{lab} = {escape(n)}" for lab, n in zip(labels, names, strict=True))
    return table


def register(app: typer.Typer) -> None:
    """Adds ``evaluate`` to the ``finance`` app."""
    command(
        app,
    )(evaluate)
