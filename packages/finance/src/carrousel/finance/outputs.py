"""Output paths and saved runs: checks that fail before any work, and reading ``run.json`` files back.

Everything here raises :class:`~carrousel.core.errors.ConfigError` with one line naming the path and the fix.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from carrousel.core.errors import ConfigError

__all__ = ["check_folder", "check_plot", "os_error", "read_run_rows"]


def os_error(exc: OSError) -> ConfigError:
    """An OS error while reading or writing outputs, as one line naming the path and the fix."""
    where = f" {exc.filename}" if exc.filename else ""
    return ConfigError(f"cannot write{where} ({exc.strerror or exc}); choose a writable path")


def check_folder(path: Path | None, flag: str) -> None:
    """Fails before any work when ``path`` can neither be used nor created as a writable folder.

    Args:
        path: the folder (None: nothing to check); it need not exist yet, nothing is created.
        flag: the option that named it, for the message.

    Raises:
        ConfigError: when ``path`` is a file, or its nearest existing ancestor is not a writable folder.
    """
    if path is None:
        return
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{flag} {path} is a file, not a folder; pass a folder path")
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.exists() and (not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK)):
        raise ConfigError(f"{flag} {path}: cannot create or write in {probe}; choose a writable folder")


def check_plot(plot: Path | None) -> None:
    """Fails before any work when ``--plot`` is not a ``.png`` file name in a writable folder.

    Raises:
        ConfigError: naming the problem and the fix.
    """
    if plot is None:
        return
    if plot.suffix.lower() != ".png":
        raise ConfigError(f"--plot {plot}: the fan chart is a PNG image; give a name ending in .png")
    if plot.is_dir():
        raise ConfigError(f"--plot {plot} is a folder; give a file name such as {plot / 'fan.png'}")
    check_folder(plot.parent, "--plot")


def read_run_rows(run: Path) -> list[dict[str, Any]]:
    """Reads a run folder (or its ``run.json``) written with ``--out``: one row per model of its backtest.

    Raises:
        ConfigError: when the file is missing, unreadable, not JSON, or not a finance run.
    """
    path = run / "run.json" if run.is_dir() else run
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path} not found; pass folders written with --out") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ConfigError(f"{path} is not a run.json file; pass folders written with --out") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path} ({exc.strerror or exc}); check the path") from None
    return _run_rows(run, path, doc)


_SCORE_KEYS = ("model", "mase", "mape", "directional_accuracy", "coverage", "nominal_coverage", "dm_p")


def _run_rows(run: Path, path: Path, doc: Any) -> list[dict[str, Any]]:
    """One row per model of a saved run; a file of another kind is a clear error, not a KeyError."""
    board = doc.get("backtest") if isinstance(doc, dict) else None
    if isinstance(doc, dict) and "backtest" in doc and not board:
        raise ConfigError(f"{path} holds no backtest; rerun with the backtest enabled")
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
        raise ConfigError(
            f"{path} is not a finance run file; pass folders written by finance forecast/backtest --out"
        ) from None
    return rows
