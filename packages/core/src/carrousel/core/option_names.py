"""How an error message names a setting: as a Python caller passes it, or as a CLI user types it.

The same check runs under both: ``Forecaster.fit(df, cfg)`` and ``finance train-global`` raise the same
"one series needs 130 rows at ..." error. A Python caller should read the name it passed
(``lookback=10``), a CLI user the flag it typed (``--lookback 10``). Library code names a setting with
:func:`option` where it builds a message; the CLI helper (:func:`carrousel.core.cli.command`) runs every
command body inside :func:`flags_named`, so the same call gives the flag there. Outside a command (a
script, a notebook, a test calling the pipeline) the Python name is given.

Under a CLI a setting is named ``--`` + its name with dashes (``test_days`` -> ``--test-days``), or by the
``flag`` the call gives when the command's option is spelled otherwise (``option("hidden_size",
flag="--hidden")``).
Torch-free.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator

from carrousel.core.args import check_args

__all__ = [
    "file_key",
    "flags_named",
    "name_flags",
    "named_path",
    "naming_flags",
    "option",
    "settings_from_file",
]

# True inside a CLI command: settings are named by their flags (a context variable: another thread, a
# notebook's Python call beside a running command, keeps the Python names).
_FLAGS: contextvars.ContextVar[bool] = contextvars.ContextVar("carrousel_flags_named", default=False)
# Settings a command took from a file rather than a flag, by Python name: how a message names them there.
_FROM_FILE: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "carrousel_settings_from_file", default=None
)
_NO_VALUE = object()


@contextlib.contextmanager
def flags_named() -> Iterator[None]:
    """Within the body, :func:`option` names settings by their command-line flags (a CLI command's body)."""
    token = _FLAGS.set(True)
    try:
        yield
    finally:
        _FLAGS.reset(token)


@contextlib.contextmanager
def settings_from_file(names: dict[str, str]) -> Iterator[None]:
    """Within the body, inside a CLI command, :func:`option` names each setting of ``names`` (Python name ->
    how its file holds it) as that file does, not by the flag the user did not type: a command whose
    ``[data] files`` came from ``--config run.toml`` runs ``settings_from_file({"data.files": "[data] files
    in run.toml:"})``, so a bad file among them reads ``[data] files in run.toml: a.txt is not UTF-8...``,
    not ``--text a.txt ...``. A Python caller's messages keep the Python names.
    """
    token = _FROM_FILE.set({**(_FROM_FILE.get() or {}), **names})
    try:
        yield
    finally:
        _FROM_FILE.reset(token)


def file_key(name: str, source: str | os.PathLike[str]) -> str:
    """How a message names the setting ``name`` where a config file gave it (for :func:`settings_from_file`
    and a config's checks): ``file_key("fit.lr", "run.toml")`` is ``[fit] lr in run.toml``, a nested table
    ``[a.b] c in run.toml``, a top-level key ``lr in run.toml``.

    Args:
        name: the setting's Python name, dotted by its TOML tables (``"data.files"``, ``"fit.lr"``).
        source: the file as the user named it.
    """
    table, _, key = name.rpartition(".")
    return f"[{table}] {key} in {os.fspath(source)}" if table else f"{key} in {os.fspath(source)}"


@check_args
def name_flags(flags: bool) -> None:
    """From here on in the current context, settings are named by their flags (``flags``) or their Python
    names: for a worker process, which starts without its parent's context (a spawned member's messages
    would give Python names inside a command): ``ProcessPoolExecutor(..., initializer=name_flags,
    initargs=(naming_flags(),))``.
    """
    _FLAGS.set(flags)


def naming_flags() -> bool:
    """True inside :func:`flags_named`: messages name command-line flags, not Python names."""
    return _FLAGS.get()


def option(name: str, value: object = _NO_VALUE, flag: str | None = None, metavar: str = "") -> str:
    """The setting ``name`` (a config field or argument), with ``value`` when given, as a message names it.

    Args:
        name: the Python name (``"lookback"``, ``"test_days"``; a part's field dotted where the name alone
            would not say which: ``"backtest.enabled"``).
        value: the value to show with it (none: the name alone); a list or tuple (files, corpora) is shown
            as each caller gives it: joined with ``", "`` after the flag, a tuple to a Python caller (a path
            in it as its string: ``unlabelled=('a.txt', 'b.txt')``).
        flag: the CLI's flag when it is not ``--`` + ``name`` with dashes (``"--hidden"``); a bool ``value``
            with a ``flag`` (``option("backtest.enabled", False, "--no-backtest")``) shows the flag alone.
        metavar: the placeholder the CLI's help shows after the flag (``"FILE"``), given with no ``value``:
            ``--train-positives FILE`` inside a command, the name alone for a Python caller.

    Returns:
        For a Python caller ``lookback`` / ``lookback=10`` (a str value quoted: ``source='csv'``); inside a
        CLI command (:func:`flags_named`) ``--lookback`` / ``--lookback 10`` (a list:
        ``--unlabelled a.txt, b.txt``).
    """
    if isinstance(value, list | tuple):  # --unlabelled a.txt, b.txt / unlabelled=('a.txt', 'b.txt')
        items = tuple(os.fspath(v) if isinstance(v, os.PathLike) else v for v in value)
        value = ", ".join(map(str, items)) if naming_flags() else items
    if naming_flags():
        held = (_FROM_FILE.get() or {}).get(name)  # from a file: named as it holds it (settings_from_file)
        named = held or flag or "--" + name.rpartition(".")[2].replace("_", "-")
        # --no-backtest says its value itself
        on_off = not held and flag is not None and isinstance(value, bool)
        if value is _NO_VALUE:
            return f"{named} {metavar}" if metavar else named
        return named if on_off else f"{named} {value}"
    if value is _NO_VALUE:
        return name
    return f"{name}={value!r}" if isinstance(value, str) else f"{name}={value}"


def named_path(path: object, flag: str | None) -> str:
    """``path`` with the option that named it (``flag``, an :func:`option` without value), as a message shows
    a file or folder: a flag as typed (``--out /tmp/x``), a Python name as set (``out='/tmp/x'``,
    ``data.source='/x.csv'``); a description with a space (``"BED file"``) or a CLI argument's upper-case
    name (``"TARGETS"``) as typed (``BED file /tmp/x``); no ``flag``: the path alone.
    """
    if not flag:
        return str(path)
    as_typed = flag.startswith("-") or " " in flag or flag.isupper()
    return f"{flag} {path}" if as_typed else f"{flag}={str(path)!r}"
