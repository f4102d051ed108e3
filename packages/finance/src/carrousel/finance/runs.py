"""Run folders: checks of output paths that fail before any work, the forecasts table, reading runs back.

A run folder (``--out DIR``) holds ``run.json``, the per-origin backtest forecasts (``forecasts.csv`` or
``forecasts.parquet``, see :func:`write_table`), the fan charts and the model bundle (``model/``); the
pipeline writes it as a whole with :func:`carrousel.core.atomic.atomic_dir`. :func:`step_rows` lines up the
per-horizon-step scores of several runs for ``finance evaluate --per-step``. Path problems raise
:class:`~carrousel.finance.errors.OutputPathError`, unreadable run files
:class:`~carrousel.finance.errors.RunFileError`, each one line naming the path and the fix.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from carrousel.core.args import check_args
from carrousel.core.atomic import atomic_path, writes_in_place
from carrousel.core.errors import ConfigError
from carrousel.core.files import check_output_dir
from carrousel.core.files_text import read_failure
from carrousel.core.json_finite import loads_finite
from carrousel.core.option_names import naming_flags, option
from carrousel.core.optional import require
from carrousel.core.paths import user_path
from carrousel.core.plots import check_png
from carrousel.finance.errors import FinanceConfigError, FinanceError, OutputPathError, RunFileError
from carrousel.finance.plot import PLOT_EXTRA, PLOT_PURPOSE

__all__ = [
    "RUN_FILE",
    "TABLE_FORMATS",
    "check_plot",
    "check_run_folder",
    "check_table_format",
    "read_run_rows",
    "step_rows",
    "table_name",
    "unique_runs",
    "warn_different_windows",
    "write_table",
]

logger = logging.getLogger(__name__)

RUN_FILE = "run.json"  # the run document in a run folder (what `finance evaluate` reads)
TABLE_FORMATS = {".csv": "csv", ".parquet": "parquet"}  # file extension -> format of the forecasts table
_PARQUET = "carrousel-finance[parquet]"  # the extra that installs pyarrow


def table_name(fmt: str) -> str:
    """The run folder's forecasts table for a format: ``forecasts.csv`` or ``forecasts.parquet``."""
    return f"forecasts.{fmt}"


def check_table_format(fmt: str) -> None:
    """Fails before any work when ``fmt`` is not a table format, or is Parquet without pyarrow.

    Raises:
        FinanceConfigError: an unknown format.
        MissingExtraError: Parquet asked for without pyarrow (the message names the extra).
    """
    if fmt not in TABLE_FORMATS.values():
        raise FinanceConfigError(
            f"table format {fmt!r} is unknown; use one of {', '.join(TABLE_FORMATS.values())}"
        )
    if fmt == "parquet":  # table_format='parquet' from Python, --table-format parquet in a command
        require("pyarrow", _PARQUET, f"Parquet tables ({option('table_format', 'parquet')})")


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Writes a forecasts table atomically; the extension picks the format (``.csv`` or ``.parquet``).

    CSV holds dates as ``YYYY-MM-DD`` text; Parquet (pyarrow, the ``[parquet]`` extra) as timestamps.

    Raises:
        FinanceConfigError: an extension other than ``.csv`` or ``.parquet``.
        FinanceError: a non-finite number in the table (it is not written).
        MissingExtraError: Parquet without pyarrow.
    """
    out = user_path(path)
    fmt = TABLE_FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise FinanceConfigError(f"{out}: a forecasts table ends in .csv or .parquet; rename it")
    numbers = table.select_dtypes("number").to_numpy(np.float64)
    if not np.isfinite(numbers).all():
        raise FinanceError(
            f"the forecasts table holds a non-finite number, so {out} is not written; report it"
        )
    if fmt == "csv":
        with atomic_path(out) as tmp:
            tmp.write_text(table.to_csv(index=False), encoding="utf-8")
        return out
    require("pyarrow", _PARQUET, f"Parquet tables ({out.name})")  # the extension picked the format
    frame = table.copy()
    for col in ("cutoff", "ds"):
        if col in frame:
            frame[col] = pd.to_datetime(frame[col])
    with atomic_path(out) as tmp:
        frame.to_parquet(tmp, engine="pyarrow", index=False)
    return out


def check_run_folder(path: Path | None) -> None:
    """Fails before any work when ``--out`` cannot become a run folder.

    The folder is written as a whole and replaces what was there, so an existing folder must be empty or
    an earlier run folder (holding ``run.json``): anything else is refused rather than deleted.

    Raises:
        OutputPathError: naming the problem and the fix.
    """
    if path is not None:
        check_output_dir(path, _out(), RUN_FILE, OutputPathError)


@check_args
def check_plot(plot: Path | None, charts: int = 1) -> None:
    """Fails before any work when ``plot`` (``--plot``) cannot take the fan charts: core's check of a chart option
    (:func:`carrousel.core.plots.check_png`: a ``.png`` file name in a writable folder, or a special
    file such as ``/dev/null`` or ``/dev/stdout`` written in place; matplotlib installed), plus finance's
    own rule: a special file takes the PNG of one chart only (several tickers draw one chart each).

    Raises:
        OutputPathError: naming the problem and the fix (core's wording).
        MissingExtraError: matplotlib is not installed.
    """
    if plot is None:
        return
    if charts > 1 and writes_in_place(plot):
        raise OutputPathError(
            f"{option('plot', str(plot))} takes one chart, not {charts}; give a name such as fan.png"
        )
    try:
        check_png(plot, option("plot"), PLOT_EXTRA, PLOT_PURPOSE)  # plot='x.txt' to Python, --plot x.txt
    except ConfigError as exc:  # finance's path errors keep their type (what the pipeline documents)
        raise OutputPathError(str(exc)) from None


def _out() -> str:
    """The run folder's option as a message names it: ``out_dir`` (Python) / ``--out`` (CLI)."""
    return option("out_dir", flag="--out")


def _writer(commands: str) -> str:
    """What writes a run folder, as a message names it: ``finance backtest --out`` to a CLI user,
    ``backtest(..., out_dir=...)`` to a Python caller (``commands``: ``"backtest"``, ``"forecast/backtest"``)."""
    if naming_flags():
        return f"finance {commands} {_out()}"
    return " or ".join(f"{name}(..., out_dir=...)" for name in commands.split("/"))


def read_run_rows(run: Path) -> list[dict[str, Any]]:
    """Reads a run folder (or its ``run.json``) written with ``--out``: one row per model of its backtest.

    Raises:
        RunFileError: when the file is missing, a FIFO or device, unreadable, not JSON, or not a finance run.
        OSError: too many open files or out of memory, as it came: not the file's fault (see
            :func:`~carrousel.core.files_text.read_failure`).
    """
    path = run / RUN_FILE if run.is_dir() else run
    if path.exists() and not path.is_file():  # a FIFO would block, a device such as /dev/zero never ends
        raise RunFileError(
            f"{path} is a FIFO or device, not a run.json file; pass folders written with {_out()}"
        )
    try:
        doc = loads_finite(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunFileError(f"{path} not found; pass folders written with {_out()}") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise RunFileError(f"{path} is not a run.json file; pass folders written with {_out()}") from None
    except OSError as exc:
        raise read_failure(exc, str(path), "check the path", RunFileError) from None
    except ValueError as exc:  # NaN, Infinity, 1e999 (loads_finite): finance never writes one
        raise RunFileError(
            f"{path} holds a non-finite number ({exc}), which finance never writes; "
            f"write the run again with '{_writer('backtest')}'"
        ) from None
    return _run_rows(run, path, doc)


_SCORE_KEYS = (
    "model",
    "rel_mae",
    "mase",
    "mape",
    "directional_accuracy",
    "coverage",
    "nominal_coverage",
    "dm_p",
)


def _run_rows(run: Path, path: Path, doc: Any) -> list[dict[str, Any]]:
    """One row per model of a saved run; a file of another kind is a clear error, not a KeyError."""
    board = doc.get("backtest") if isinstance(doc, dict) else None
    if isinstance(doc, dict) and "backtest" in doc and not board:
        raise RunFileError(f"{path} holds no backtest; rerun with the backtest enabled")
    try:
        assert isinstance(board, dict)
        period = f"{board['first_date']}..{board['last_date']}"
        rows = [
            {"run": str(run), "tickers": ",".join(doc.get("tickers", [])), "period": period}
            | {"horizon": board.get("horizon")}  # None: a run saved before it was recorded
            | {"sample_data": doc.get("sample_data", False), **s, "verdict": board["verdict"]}
            | {"interval_verdict": board.get("interval_verdict", "")}  # "": a run saved before it
            for s in board["scores"]
        ]
        assert all(isinstance(r.get(k), str | int | float | None) for r in rows for k in _SCORE_KEYS)
        assert all(r["model"] and isinstance(r["coverage"], int | float) for r in rows)
    except (AssertionError, KeyError, TypeError):
        raise RunFileError(
            f"{path} is not a finance run file; pass folders written by {_writer('forecast/backtest')}"
        ) from None
    return rows


def unique_runs(runs: list[Path]) -> list[Path]:
    """``runs`` with each run once: a run given twice (the same folder, or the folder and its ``run.json``,
    under any spelling) is kept where it first appears, with one warning naming it; before, ``finance
    evaluate RUN RUN`` showed every row of RUN twice and compared it with itself."""
    seen: dict[Path, Path] = {}
    repeats: list[str] = []
    for run in runs:
        key = (run / RUN_FILE if run.is_dir() else run).resolve()
        if key in seen:
            repeats.append(f"{run} (the same run as {seen[key]})")
        else:
            seen[key] = run
    if repeats:
        logger.warning("run given more than once, shown once: %s", "; ".join(repeats))
    return list(seen.values())


def warn_different_windows(runs: list[Path]) -> None:
    """One warning naming the runs scored on other windows than the first (tickers, test period or horizon
    differ), whose figures ``finance evaluate`` lines up side by side; unreadable runs are left to the
    readers' own errors."""
    seen: list[tuple[str, dict[str, Any]]] = []
    for run in runs:
        try:
            rows = read_run_rows(run)
        except RunFileError:
            return
        if rows:
            seen.append((str(run), rows[0]))
    if len(seen) < 2:
        return
    (name0, first), parts = seen[0], []
    labels = {"tickers": "tickers", "period": "test period", "horizon": "horizon"}
    for name, row in seen[1:]:
        diff = [
            f"{label} ({row[key]} vs {first[key]})"
            for key, label in labels.items()
            if None not in (row[key], first[key]) and _window_key(key, row) != _window_key(key, first)
        ]
        if diff:
            parts.append(f"{name} differs from {name0} in " + ", ".join(diff))
    if parts:
        logger.warning(
            "runs not scored on the same windows, so their figures do not compare one to one: %s",
            "; ".join(parts),
        )


def _window_key(key: str, row: dict[str, Any]) -> object:
    """What :func:`warn_different_windows` compares of a run's ``key``: its tickers as a set (``MSFT AAPL``
    and ``AAPL MSFT`` score the same windows; before, a warning said they did not), else the value."""
    return sorted(str(row[key]).split(",")) if key == "tickers" else row[key]


_STEP_KEYS = ("mae", "mase", "pinball", "coverage", "winkler", "crps", "directional_accuracy")  # per-step
# figures compared by `evaluate --per-step` (the last three None in runs written before they were recorded)


def step_rows(runs: list[Path]) -> list[dict[str, Any]]:
    """Per-horizon-step scores of every model of every run, as a long list (what ``--per-step`` shows).

    Args:
        runs: run folders (or ``run.json`` files) written with ``--out``.

    Returns:
        One row per run, model and step, in the order given (runs, then models, then steps): ``run``,
        ``model``, ``group`` (``network`` for the run's network, ``network_aci`` for it with adaptive
        conformal intervals, else the model name: what lines up across runs of different networks),
        ``step``, ``mae`` (price MAE at that step), ``mase`` (the same scaled by the in-sample one-step
        naive MAE; None when unknown or written before it was recorded), ``pinball`` (percent log return),
        ``coverage`` (outermost interval), ``winkler`` and ``crps`` (percent log return) and
        ``directional_accuracy`` (up/down calls of the move to that step); these three are None in runs
        written before they were recorded, or, for the last, for a model that never calls a direction.

    Raises:
        RunFileError: a file that is not a run, or a run without per-step scores.
    """
    out: list[dict[str, Any]] = []
    for run in runs:
        rows = read_run_rows(run)
        network = rows[0]["model"]  # a scoreboard lists the network first
        groups = {network: "network", f"{network}_aci": "network_aci"}
        for row in rows:
            steps = row.get("per_step")
            if not isinstance(steps, list) or not steps:
                raise RunFileError(
                    f"{run} holds no per-step scores (written by an older version); rerun it with {_out()}"
                )
            for p in steps:
                entry = {k: p.get(k) for k in _STEP_KEYS} if isinstance(p, dict) else {}
                ok = isinstance(p, dict) and isinstance(p.get("step"), int)
                ok = ok and all(v is None or _finite(v) for v in entry.values()) and entry["mae"] is not None
                if not ok:
                    raise RunFileError(f"{run}: a per-step score of {row['model']} is malformed; rerun it")
                group = groups.get(row["model"], row["model"])
                out.append(
                    {"run": row["run"], "model": row["model"], "group": group, "step": p["step"], **entry}
                )
    return out


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
