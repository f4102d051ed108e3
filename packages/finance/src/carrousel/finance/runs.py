"""Run folders: checks of output paths that fail before any work, and reading ``run.json`` files back.

A run folder (``--out DIR``) holds ``run.json``, the fan charts and the model bundle (``model/``); the
pipeline writes it as a whole with :func:`carrousel.core.io.atomic_dir`. Path problems raise
:class:`~carrousel.finance.errors.OutputPathError`, unreadable run files
:class:`~carrousel.finance.errors.RunFileError`, each one line naming the path and the fix.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from carrousel.finance.errors import OutputPathError, RunFileError

__all__ = ["RUN_FILE", "check_folder", "check_plot", "check_run_folder", "read_run_rows"]

RUN_FILE = "run.json"  # the run document in a run folder (what `finance evaluate` reads)


def check_folder(path: Path | None, flag: str) -> None:
    """Fails before any work when ``path`` can neither be used nor created as a writable folder.

    Args:
        path: the folder (None: nothing to check); it need not exist yet, nothing is created.
        flag: the option that named it, for the message.

    Raises:
        OutputPathError: when ``path`` is a file, or its nearest existing ancestor is not a writable folder.
    """
    if path is None:
        return
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"{flag} {path} is a file, not a folder; pass a folder path")
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.exists() and (not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK)):
        raise OutputPathError(f"{flag} {path}: cannot create or write in {probe}; choose a writable folder")


def check_run_folder(path: Path | None) -> None:
    """Fails before any work when ``--out`` cannot become a run folder.

    The folder is written as a whole and replaces what was there, so an existing folder must be empty or
    an earlier run folder (holding ``run.json``): anything else is refused rather than deleted.

    Raises:
        OutputPathError: naming the problem and the fix.
    """
    check_folder(path, "--out")
    if path is not None and path.is_dir() and any(path.iterdir()) and not (path / RUN_FILE).is_file():
        raise OutputPathError(
            f"--out {path} holds files but is not a run folder (no {RUN_FILE}); its content would be "
            "replaced: give a new or empty folder"
        )


def check_plot(plot: Path | None) -> None:
    """Fails before any work when ``--plot`` is not a ``.png`` file name in a writable folder.

    Raises:
        OutputPathError: naming the problem and the fix.
    """
    if plot is None:
        return
    if plot.suffix.lower() != ".png":
        raise OutputPathError(f"--plot {plot}: the fan chart is a PNG image; give a name ending in .png")
    if plot.is_dir():
        raise OutputPathError(f"--plot {plot} is a folder; give a file name such as {plot / 'fan.png'}")
    check_folder(plot.parent, "--plot")


def read_run_rows(run: Path) -> list[dict[str, Any]]:
    """Reads a run folder (or its ``run.json``) written with ``--out``: one row per model of its backtest.

    Raises:
        RunFileError: when the file is missing, unreadable, not JSON, or not a finance run.
    """
    path = run / RUN_FILE if run.is_dir() else run
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunFileError(f"{path} not found; pass folders written with --out") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise RunFileError(f"{path} is not a run.json file; pass folders written with --out") from None
    except OSError as exc:
        raise RunFileError(f"cannot read {path} ({exc.strerror or exc}); check the path") from None
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
            | {"sample_data": doc.get("sample_data", False), **s, "verdict": board["verdict"]}
            for s in board["scores"]
        ]
        assert all(isinstance(r.get(k), str | int | float | None) for r in rows for k in _SCORE_KEYS)
        assert all(r["model"] and isinstance(r["coverage"], int | float) for r in rows)
    except (AssertionError, KeyError, TypeError):
        raise RunFileError(
            f"{path} is not a finance run file; pass folders written by finance forecast/backtest --out"
        ) from None
    return rows
