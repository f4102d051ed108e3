"""Tables of ``finance forecast``, ``backtest`` and ``evaluate`` on stdout: the forecasts, the backtest's
scoreboard and the lines around them."""

from __future__ import annotations

import math
from typing import Any

from rich.markup import escape
from rich.table import Table

from carrousel.core.cli import stdout

__all__ = ["data_line", "fmt", "price_spec", "render_board", "render_forecast", "show"]


def fmt(value: float | None, spec: str = ".3f") -> str:
    return "n/a" if value is None else format(value, spec)


def price_spec(scale: float, places: int = 2) -> str:
    """The format of a series' prices (or errors): ``places`` decimals from 1 up, else 4 significant digits
    of ``scale`` for every figure of it (a 0.0418 close's band was '0.04..0.04', every MAE '0.001')."""
    if not math.isfinite(scale) or abs(scale) >= 1 or scale == 0:
        return f".{places}f"
    return f".{max(places, 3 - math.floor(math.log10(abs(scale))))}f"


def show(renderable: Any) -> None:
    """Tables on stdout; piped or captured output is not squeezed into 80 columns."""
    if not stdout.is_terminal:
        stdout.width = max(stdout.width, 140)
    stdout.print(renderable)


def _scoreboard_table(board: dict[str, Any], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    cols = ("model", "MAE", "RMSE", "MAPE %", "rel. MAE", "MASE", "dir. acc (p)", "coverage", "pinball %")
    for col in (*cols, "Winkler %", "CRPS %", "DM p"):
        table.add_column(col, justify="left" if col == "model" else "right")
    maes = [abs(s["mae"]) for s in board["scores"] if s["mae"] is not None and math.isfinite(s["mae"])]
    err = price_spec(max(maes, default=1.0), 3)
    for i, s in enumerate(board["scores"]):
        da = (
            "n/a"
            if s["directional_accuracy"] is None
            else f"{s['directional_accuracy']:.3f} ({s['direction_p']:.2g}; {fmt(s.get('direction_vs_drift_p'), '.2g')})"
        )
        cov = f"{s['coverage']:.3f}/{s['nominal_coverage']:.2f}"
        name = f"[bold]{s['model']}[/bold]" if i == 0 else s["model"]
        rel, mase, mape = fmt(s["rel_mae"]), fmt(s.get("mase")), fmt(s["mape"], ".2f")
        pin, dm = fmt(s["pinball"], ".4f"), fmt(s["dm_p"], ".3g")
        wink, crps = fmt(s.get("winkler"), ".3f"), fmt(s.get("crps"), ".4f")
        table.add_row(
            name, fmt(s["mae"], err), fmt(s["rmse"], err), mape, rel, mase, da, cov, pin, wink, crps, dm
        )
    return table


def data_line(ticker: str, data: dict[str, Any]) -> None:
    label = escape(data["label"])
    label = f"[bold yellow]{label}[/bold yellow]" if data["source"] == "sample" else label
    show(f"[bold]{ticker}[/bold]  {label}  {data['first_date']}..{data['last_date']}")


def render_forecast(doc: dict[str, Any]) -> None:
    for data, fc in zip(doc["data"], doc["forecasts"], strict=True):
        data_line(fc["ticker"], data)
        px = price_spec(fc["last_close"])
        table = Table(
            title=f"{doc['model']} forecast from the close of {fc['last_date']} ({fc['last_close']:{px}})"
            + ("" if fc.get("calendar", "XNYS") == "XNYS" else f", {fc['calendar']} sessions")
        )
        table.add_column("date", no_wrap=True, min_width=10)  # whole dates, even on an 80-column pipe
        table.add_column("day", justify="right", min_width=3)
        labels = list(fc["rows"][0]["quantiles"])
        for lab in labels:  # whole numbers: only the baselines' columns give way on a narrow screen
            wide = max(len(f"{row['quantiles'][lab]:{px}}") for row in fc["rows"])
            table.add_column(lab, justify="right", style="bold" if lab == "p50" else None, min_width=wide)
        change = max(len(f"{row['change_pct']:+.2f}%") for row in fc["rows"])
        table.add_column("median change", justify="right", min_width=change)
        others = fc.get("others", {})
        for name in others:
            table.add_column(f"{name} p50", justify="right", style="dim")
        for i, row in enumerate(fc["rows"]):
            qs = [f"{row['quantiles'][lab]:{px}}" for lab in labels]
            alt = [f"{path[i]:{px}}" for path in others.values()]
            table.add_row(row["date"], str(row["step"]), *qs, f"{row['change_pct']:+.2f}%", *alt)
        show(table)
        if aci := fc.get("aci"):  # the backtest's adaptive conformal state, continued to this origin
            lo, hi = labels[0], labels[-1]
            spans = ", ".join(f"day {i + 1} {q[lo]:{px}}..{q[hi]:{px}}" for i, q in enumerate(aci))
            run = "the saved model's backtest" if doc["reused_bundle"] else "the backtest"
            show(f"  {doc['model']}_aci {lo}-{hi} (adaptive conformal, continued from {run}): {spans}")
        for note in fc["notes"]:
            stdout.print(f"  note: {escape(note)}", style="dim")


def render_board(board: dict[str, Any] | None, saved: str | None = None, asked: bool = True) -> None:
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
        show(f"backtest: not run{none}{left}")
        return
    when = f" (from the saved model's training run, {saved}; not rerun)" if saved else ""
    title = (
        f"walk-forward backtest{when}: {board['windows']} windows x {board['horizon']} days, "
        f"{board['first_date']}..{board['last_date']}"
    )
    show(_scoreboard_table(board, title))
    net = board["scores"][0]
    err = price_spec(max((abs(p["mae"]) for p in net.get("per_step", [])), default=1.0), 3)
    steps = "  ".join(
        f"h{p['step']} MAE {p['mae']:{err}} pinball {p['pinball']:.3f} cov {p['coverage']:.2f}"
        + (f" CRPS {p['crps']:.3f}" if p.get("crps") is not None else "")
        + (f" dir {p['directional_accuracy']:.3f}" if p.get("directional_accuracy") is not None else "")
        for p in net.get("per_step", [])
    )
    if steps:
        show(f"{net['model']} per step: {steps}")
    show(
        "rel. MAE = MAE / random walk MAE on the same windows; MASE = MAE / in-sample one-step naive MAE; "
        f"dir. acc (p; p) vs always calling the majority direction (up on {board.get('up_rate', 0.5):.3f} of "
        "days); vs drift's calls on the same days (exact McNemar); "
        "DM p = one-sided Diebold-Mariano p vs random walk (unadjusted); the verdict tests the network "
        "against every baseline, Holm-adjusted"
    )
    spread = board.get("member_spread") or {}
    if spread:
        show(
            f"{len(board.get('members', []))} seed members (min-max, std): "
            + "; ".join(f"{k} {v['min']:.4g}-{v['max']:.4g} ({v['std']:.2g})" for k, v in spread.items())
        )
    fits = board.get("baseline_fits") or []
    if fits:
        show(
            "automatic baselines picked: "
            + "; ".join(
                f"{f['ticker']} to {f['fitted_to']}: ETS {f.get('auto_ets')}, {f.get('theta')}, {f.get('auto_arima')}"
                for f in fits
            )
        )
    show(f"[bold]{board['verdict']}[/bold]")
    if board.get("interval_verdict"):  # runs saved before it have none
        show(escape(board["interval_verdict"]))
