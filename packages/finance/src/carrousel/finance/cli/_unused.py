"""The ``finance forecast`` / ``finance backtest`` refusal of an option beside another that makes it do
nothing (:func:`refuse_unused`), on the flags and the ``--config`` file merged, and their tickers: typed, or the
file's ``[data] tickers`` (:func:`typed_tickers`). Part of the command line (:mod:`carrousel.finance.cli.forecast`
and :mod:`~carrousel.finance.cli.backtest` call them before any prices are read)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from functools import partial
from pathlib import Path

import typer

from carrousel.core.args import check_args
from carrousel.core.cli import Merged, merged_settings, refuse_merged, typed
from carrousel.core.cli_config import flag_or_file, settings_block
from carrousel.core.config import TomlDocument, dotted_fields
from carrousel.core.option_names import file_key
from carrousel.core.text import counted, name_some
from carrousel.finance.config import BacktestConfig, FinanceConfig, Source
from carrousel.finance.errors import FinanceError
from carrousel.finance.price_files import read_price_csv

__all__ = ["refuse_unused", "run_block", "typed_tickers"]


# forecast options that only the backtest reads, and those a reused --model-dir ignores (nothing is trained):
# --window (the rolling training window), --conformal and --ensemble shape the final fit and its forecast;
# --table-format is the format of the backtest's forecasts table
_BACKTEST_ONLY = ("test_days", "refit_every", "table_format")
_TRAINING_ONLY = ("epochs", "seed", "device", "conformal", "ensemble", "window", *_BACKTEST_ONLY)


def _flag(ctx: typer.Context, name: str) -> str:
    """The flag the user typed for parameter ``name`` (``--no-conformal`` for a switch turned off)."""
    param = next(p for p in ctx.command.params if p.name == name)
    if ctx.params.get(name) is False and param.secondary_opts:
        return str(param.secondary_opts[0])
    return str(max(param.opts, key=len))


# each option those checks read -> its field in a --config file (the file may set any of them but
# --table-format, the command line's alone)
_FIELDS = {
    "source": "data.source",
    "csv": "data.csv_path",
    "enabled": "backtest.enabled",
    "epochs": "train.epochs",
    "seed": "train.seed",
    "device": "train.device",
}
_FIELDS |= {name: f"backtest.{name}" for name in ("conformal", "ensemble", "window", *_BACKTEST_ONLY)}
# the backtest-only settings' defaults: what a run without the backtest records in its run.json's config
_UNUSED = {
    _FIELDS[name]: getattr(BacktestConfig(), name) for name in _BACKTEST_ONLY if name != "table_format"
}


@check_args
def refuse_unused(
    ctx: typer.Context,
    reused: Path | None,
    out_dir: Path | None,
    doc: TomlDocument | None = None,
    backtests: bool = False,
    saved: FinanceConfig | None = None,
) -> None:
    """Refuses an option beside another that makes it do nothing: ``--table-format`` without ``--out``
    (``out_dir``); a CSV file (``--csv``) with another ``--source``; ``--test-days``/``--refit-every``/
    ``--table-format`` with ``--no-backtest``; a training option with a ``--model-dir`` holding a model
    (``reused``), which forecasts without retraining (it was ignored without a word); for ``finance
    backtest`` (``backtests``), ``[backtest] enabled = false``. All but the first read the flags and the
    ``--config`` file (``doc``, merged in already: its values are checked) together: a usage error naming
    both when the command line typed them, one line naming the file when it sets one (core's
    ``refuse_merged``). A file's training setting equal to the reused model's (``saved``: its config) is
    what that run's run.json records, not a request: taken back unchanged. Called before any prices are
    read."""
    if out_dir is None and typed(ctx, "table_format"):  # forecast and backtest
        raise typer.BadParameter(
            "not used without --out (the backtest's forecasts table is written only into a run folder); "
            "add --out DIR, or drop --table-format",
            param_hint="'--table-format'",
        )
    file = dotted_fields(doc) if doc is not None else None
    if file is not None and typed(ctx, "csv"):  # --csv is --source csv: it wins over the file's source
        file.pop("data.source", None)
    flags = {
        field: getattr(ctx.params.get(name), "value", ctx.params.get(name)) for name, field in _FIELDS.items()
    }
    settings = merged_settings(ctx, flags, _FIELDS, file, getattr(doc, "source", None))
    refuse_merged(partial(_check, ctx=ctx, reused=reused, backtests=backtests, saved=saved), settings)


def _named(ctx: typer.Context, given: Merged, name: str) -> str:
    """The option ``name`` as the user set it: the flag as typed, or the ``--config`` file's line."""
    field = _FIELDS[name]
    if field in given.typed:
        return f"--source {given[field]}" if name == "source" else _flag(ctx, name)
    table, key = field.split(".")
    return f"[{table}] {key} = {json.dumps(given[field])}"


def _check(
    given: Merged,
    error: Callable[..., Exception],
    *,
    ctx: typer.Context,
    reused: Path | None,
    backtests: bool,
    saved: FinanceConfig | None = None,
) -> None:
    """:func:`refuse_unused`'s checks of the merged settings (core's ``refuse_merged`` runs them on the
    flags and file together, then on the flags alone): raises ``error`` with one line and its param hint."""
    named = partial(_named, ctx, given)  # an option as the user set it
    if backtests and given["backtest.enabled"] is False:  # the command is a backtest
        raise error(
            "finance backtest always runs the backtest; drop the setting, or run finance forecast to "
            "forecast without one",
            param_hint=f"'{named('enabled')}'",
        )
    source = given["data.source"] if given.given("data.source") else None
    if given.given("data.csv_path") and source not in (None, Source.auto.value, Source.csv.value):
        raise error(
            f"not used with {named('source')} (a CSV file is read only with --source csv); drop "
            f"{named('source')} to read it, or drop {named('csv')}",
            param_hint=f"'{named('csv')}'",
        )
    if given["backtest.enabled"] is False:
        for name in filter(partial(_changed, given), _BACKTEST_ONLY):
            raise error(
                f"not used with {named('enabled')} (no backtest is run); drop {named(name)}, or drop "
                f"{named('enabled')} to run the backtest with it",
                param_hint=f"'{named(name)}'",
            )
    asked = partial(_asked, given, saved)  # set, and not to the reused model's own value
    for name in filter(asked, _TRAINING_ONLY if reused is not None else ()):
        raise error(
            f"not used with --model-dir {reused}, which holds a saved model (it is reused: nothing is "
            f"trained or backtested); drop {named(name)}, or pick another --model-dir to train a new model "
            "with it",
            param_hint=f"'{named(name)}'",
        )


def _changed(given: Merged, name: str) -> bool:
    """Whether option ``name`` is typed, or set by the ``--config`` file to another value than its default. A
    run without the backtest records the backtest-only settings at their defaults in run.json's ``config``
    (``[backtest] refit_every = 250``), which do nothing there either: that file is taken back unchanged
    (before, it was refused: "not used with [backtest] enabled = false")."""
    field = _FIELDS[name]
    if field in given.typed:
        return True
    return field in given.file and not (field in _UNUSED and given.file[field] == _UNUSED[field])


def _asked(given: Merged, saved: FinanceConfig | None, name: str) -> bool:
    """Whether option ``name`` is typed, or set by the ``--config`` file to another value than the reused
    model's (``saved``). A reuse's run.json records the model's training settings (``[train] epochs = 2``,
    ``[backtest] refit_every = 250``), which that file given back with the same ``--model-dir`` sets again:
    taken back unchanged (before, refused: "[train] epochs = 2: not used with --model-dir ...")."""
    field = _FIELDS[name]
    table, key = field.split(".")
    if field in given.typed or saved is None or not hasattr(part := getattr(saved, table), key):
        return given.given(field)  # typed, no model, or --table-format (the command line's alone)
    held, value = getattr(part, key), given.file.get(field)
    return field in given.file and getattr(value, "value", value) != getattr(held, "value", held)


def typed_tickers(
    tickers: list[str] | None,
    config: Path | TomlDocument | None,
    merged: tuple[str, ...],
    csv: str | None = None,
) -> tuple[str, ...]:
    """The run's symbols: those typed (upper case; ``AAPL,MSFT`` is two), else the ``--config`` file's ``[data]
    tickers`` (``merged``: the file's settings over the defaults), so that the file's value reaches the run
    rather than being always overridden by a required argument. ``config`` is the file's document (the
    command line reads it once) or, from Python, the file itself (core's ``flag_or_file`` reads it).
    ``csv``: the run's price file; when no symbol is given, the refusal names the tickers it holds.

    Raises:
        typer.BadParameter: no symbol typed and none in the file (a usage error, exit 2).
    """
    symbols = tuple(s.strip().upper() for item in tickers or () for s in item.split(",") if s.strip())
    message = "give one or more TICKERS (AAPL MSFT), or [data] tickers in the --config file"
    try:
        from_file = flag_or_file(bool(symbols), config, "data.tickers", message, typer.BadParameter)
    except typer.BadParameter as refused:
        raise typer.BadParameter(f"{refused.message}{_held(csv)}") from None
    return merged if from_file else symbols


def _held(csv: str | None) -> str:
    """What the price file holds, for the refusal without tickers (``""``: no file, or one not read)."""
    if csv is None:
        return ""
    try:
        table = read_price_csv(csv)
    except (FinanceError, OSError, ValueError):  # the run itself reports an unreadable file, once named
        return ""
    if "ticker" not in table:
        return f"; {csv} holds one series (no ticker column): name it with any symbol, e.g. SERIES"
    held = sorted(table["ticker"].astype(str).str.upper().unique())
    return f"; {csv} holds {counted(len(held), 'ticker')}: {name_some(held)}"


@check_args
def run_block(
    precision_typed: bool, doc: TomlDocument | None, csv: Path | None
) -> contextlib.AbstractContextManager[None]:
    """The block ``finance forecast`` / ``backtest`` run in: the training arithmetic typed
    (``precision_typed``) or the ``--config`` file's (``doc``, the file read; None: no file), and a CSV file
    the file names (``[data] csv_path``, no ``--csv`` typed) named as the file holds it (``[data] csv_path in
    run.toml: prices.csv not found``), not by a ``--csv`` flag never typed (core's ``settings_block``). A file
    that names no CSV leaves ``--csv`` to the messages that suggest it (before: "use --source csv [data]
    csv_path in run.toml: PATH for your own file")."""
    if doc is None:
        return settings_block(precision_typed, None, "[train] precision")
    named = csv is None and bool((doc.get("data") or {}).get("csv_path"))
    held = {"csv_path": file_key("data.csv_path", doc.source) + ":"} if named else {}
    return settings_block(precision_typed, doc.source, "[train] precision", held)
