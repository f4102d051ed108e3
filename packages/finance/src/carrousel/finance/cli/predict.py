"""``finance predict``: forecasts of every series of a long table with a saved model (the work is done by
:mod:`carrousel.finance.frames`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.markup import escape
from rich.table import Table

from carrousel.core.atomic import atomic_path, writes_in_place
from carrousel.core.cli import command, echo, emit_json, stdout
from carrousel.core.cli_outputs import (
    check_plot_option,
    plots_written,
    summary_hidden,
    table_on_stdout,
)
from carrousel.core.files import check_output_file
from carrousel.core.output_stage import staged_outputs
from carrousel.core.provenance import precision_report
from carrousel.finance.cli._common import AsJson, CalendarOpt, Data, PrecisionOpt, pick
from carrousel.finance.cli._render import price_spec
from carrousel.finance.config import MAX_HORIZON
from carrousel.finance.errors import FinanceConfigError

__all__ = ["register"]


def predict(
    data: Data,
    model_dir: Annotated[Path, typer.Option("--model-dir", help="Model folder (train-global or forecast).")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the forecasts as CSV (or .parquet; - for CSV on stdout)."),
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

    to_stdout = table_on_stdout(out, plot, as_json)  # -, /dev/stdout...: the CSV alone there, as scan's -o -
    out = None if to_stdout else out
    png_out = check_plot_option(plot, as_json, PLOT_EXTRA, PLOT_PURPOSE, others={"--out": out})
    parquet = out is not None and not writes_in_place(out) and out.suffix.lower() == ".parquet"
    if out is not None and not writes_in_place(out):  # /dev/null, a FIFO: CSV written in place
        if out.suffix.lower() not in (".csv", ".parquet"):
            raise FinanceConfigError(f"--out {out}: use a .csv or .parquet file name, or - for CSV on stdout")
        check_output_file(out, "--out", inputs=[data])
    model = Forecaster.from_pretrained(model_dir, pick(precision, "fp32"), calendar)
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
        if to_stdout:
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
    specs = _price_specs(rows)
    for r in rows:
        spec = specs[r["unique_id"]]
        table.add_row(
            *(escape(v) if isinstance(v, str) else "-" if v is None else format(v, spec) for v in r.values())
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


def _price_specs(rows: list[dict[str, Any]]) -> dict[Any, str]:
    """Each series' price format, as ``finance forecast`` shows a series' prices (``_render.price_spec`` of
    its median forecast: two decimals from 1 up, 4 significant digits below, the same for every figure of a
    series; before, ``.2f``/``.4g`` per figure printed a 0.99..1.01 band as ``0.9912`` and ``1.01``)."""
    values: dict[Any, list[float]] = {}
    for r in rows:
        cells = [v for k, v in r.items() if k != "unique_id" and isinstance(v, float)]
        values.setdefault(r["unique_id"], []).extend(cells)
    return {uid: price_spec(float(np.median(np.abs(v))) if v else 1.0) for uid, v in values.items()}


def _write_table(pred: Any, path: Path, parquet: bool) -> None:
    """The forecasts as Parquet, or as CSV with plain dates."""
    if parquet:
        pred.to_parquet(path, index=False)
    else:
        pred.assign(ds=pred["ds"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)


def register(app: typer.Typer) -> None:
    """Adds ``predict`` to the ``finance`` app."""
    command(app, "predict", quiet_with="out")(predict)
