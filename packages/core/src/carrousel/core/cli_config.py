"""``--config FILE.toml``, the same way in every domain CLI: the file gives defaults, the flags given win.

The file is read once (:func:`carrousel.core.config.read_toml`): a missing file, a folder, a FIFO or device (which would hang
the reader), bytes that are not UTF-8 and TOML syntax errors are each one :class:`ConfigError` line naming
the option and the file. A command whose config has one table per part (``[model]``, ``[fit]``...) reads
them with :func:`read_tables`, which refuses a table (or a top-level value) the command does not read and
an option or value its config class does not take. Then, per field, the flag when given, else the
file's value when the table sets it, else the *command's* default (:func:`pick`, :func:`merged`):

    tables = read_tables(config, {"model": NetConfig, "fit": FitConfig})
    fit = merged(tables["fit"], FitConfig(epochs=32, lr=3e-3), epochs=epochs_flag, lr=lr_flag)

A table that sets some fields leaves the others at the command's defaults (which may differ from the
config class's), and every field it sets reaches the run, also those no flag maps to. Flags are passed
as ``None`` when not given, so a flag's default never hides the file's value.

A setting a run cannot go without (input files, say) is typed, or set by the file: :func:`flag_or_file`
says which one the run takes, or raises the command's one line naming both ways to give it:

    from_file = flag_or_file(bool(files), config, "data.files", "give --text FILE, or [data] files ...")

A train command runs inside :func:`settings_block` once it knows where its settings came from: its
precision checks name ``--precision`` or the file's key, and a setting the file gave names the file, not a flag
never typed (one block for every domain: before, bio, finance and nlp each wrote it).

Plain Python (no command-line library): the domains' ``cli`` modules use it, and so can a notebook.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Generic, TypeVar

from carrousel.core.args import check_args
from carrousel.core.config import TomlDocument, from_dict, read_toml
from carrousel.core.errors import ConfigError
from carrousel.core.export.choices import PrecisionSource, precision_from
from carrousel.core.option_names import named_path, option, settings_from_file

__all__ = ["Table", "flag_or_file", "merged", "pick", "read_tables", "settings_block"]

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Table(Generic[T]):
    """One table of a ``--config`` file: the keys it sets (validated as fields of its config class); the
    other fields keep the command's own defaults, which may differ from the config class's."""

    value: T  # the table (with any ``extra`` fields) as its config class
    given: dict[str, Any]  # the fields the file sets, validated and converted


def read_tables(
    path: str | Path | TomlDocument | None,
    classes: Mapping[str, type[Any]],
    extra: Mapping[str, Mapping[str, Any]] | None = None,
    flag: str | None = None,
) -> dict[str, Table[Any] | None]:
    """Each table ``classes`` names, from the TOML file at ``path`` (None for a table the file lacks, and
    for every table without a file).

    Args:
        path: the ``--config`` file, or None; or the file's document already read (:func:`read_toml`), for a
            command that looks at it first (``nlp generate train``: ``[data] files`` instead of ``--text``).
        classes: table name -> its config class (``{"fit": FitConfig}``).
        extra: table name -> fields the command line fixes (required fields such as input files); they
            complete the table for validation and win over it.
        flag: the option that named the file, for messages; default: ``--config`` inside a CLI command,
            ``path`` for a Python caller (``path='run.toml': unknown table(s) ...``).

    Raises:
        ConfigError: the file cannot be read as TOML (see :func:`read_toml`), holds a table or value
            outside ``classes``, or a table sets an unknown option or a value of the wrong kind.
    """
    if path is None:
        return dict.fromkeys(classes)
    if flag is None:
        flag = option("path", flag="--config")  # the command's --config, or the argument a Python caller gave
    if isinstance(path, TomlDocument):  # read already: named as the file it came from
        doc, path = path, path.source
    else:
        doc = read_toml(path, flag)
    where = named_path(path, flag)  # --config run.toml / path='run.toml'
    stray = sorted(set(doc) - set(classes))
    if stray:
        raise ConfigError(
            f"{where}: unknown table(s) {', '.join(stray)}; valid: {', '.join(sorted(classes))}"
        )
    out: dict[str, Table[Any] | None] = {}
    for name, cls in classes.items():
        table = doc.get(name)
        if table is not None and not isinstance(table, dict):
            raise ConfigError(f"{where}: {name} must be a table ([{name}]), not {table!r}")
        out[name] = (
            None if table is None else _table(table, cls, dict((extra or {}).get(name, {})), path, name)
        )
    return out


def _table(
    table: dict[str, Any], cls: type[T], extra: dict[str, Any], path: str | Path, name: str
) -> Table[T]:
    # from_dict's messages name the file, the table and the key: "[fit] epochs in run.toml: expected ..."
    value = from_dict(cls, {**table, **extra}, source=str(path), table=(name,))
    return Table(value, {key: getattr(value, key) for key in table})


def _flag(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def pick(flag: Any, base: Table[Any] | None, field: str, default: Any) -> Any:
    """The flag's value when given (not None), else the field when the table sets it, else ``default``
    (the command's)."""
    if flag is not None:
        return _flag(flag)
    if base is not None and field in base.given:
        return base.given[field]
    return default


def merged(base: Table[Any] | None, defaults: T, **flags: Any) -> T:
    """The command's ``defaults`` with every field the table sets, then every flag given (not None)."""
    over = dict(base.given) if base is not None else {}
    over.update({key: _flag(value) for key, value in flags.items() if value is not None})
    return dataclasses.replace(defaults, **over)  # type: ignore[type-var]


@check_args
def flag_or_file(
    typed: bool,
    config: str | Path | Mapping[str, Any] | None,
    field: str,
    message: str,
    error: type[Exception] = ConfigError,
) -> bool:
    """Where a setting that the run needs comes from: the flag when the command line ``typed`` it (it wins
    over the file, as every flag), else the ``--config`` file when it sets ``field``; neither is an error.

    Args:
        typed: whether the command line gave the setting (a non-empty value).
        config: the ``--config`` file (read here), its document already read (:func:`read_toml`), or a
            plain mapping of its settings; None: no file.
        field: the setting in the file, dotted through its tables (``"data.files"``: ``[data] files``;
            ``"data"``: a top-level ``data``).
        message: the command's one line naming both ways to give it.
        error: raised with ``message`` (a command passes its usage error: exit 2).

    Returns:
        True when the run takes the file's value (the flag was not typed), False when it takes the flag's.

    Raises:
        error: the flag was not typed and the file does not set ``field`` (or there is no file).
        ConfigError: ``config`` is a file that cannot be read as TOML (see :func:`read_toml`).
    """
    if typed:
        return False
    doc: Any = read_toml(config) if isinstance(config, str | Path) else config
    for key in field.split("."):
        if not isinstance(doc, Mapping) or key not in doc:
            raise error(message)
        doc = doc[key]
    return True


@check_args
@contextlib.contextmanager
def settings_block(
    precision_typed: bool,
    config: str | Path | None,
    precision_key: str,
    held: Mapping[str, str] | None = None,
) -> Iterator[None]:
    """The block a command runs in once it knows which settings its ``--config`` file gave.

    Precision checks (:func:`carrousel.core.device.check_precision`, a domain's own) name the
    ``--precision`` flag when it was typed or no file was given, else ``precision_key`` in ``config``
    (:func:`~carrousel.core.export.choices.precision_from`); and each setting of ``held`` is named as the
    file holds it (:func:`~carrousel.core.option_names.settings_from_file`).

    Args:
        precision_typed: whether ``--precision`` was typed (it wins over the file).
        config: the ``--config`` file, or None.
        precision_key: the file's precision key as messages name it (``"[fit] precision"``).
        held: Python name -> how the file holds it (``{"data.files": "[data] files in run.toml:"}``);
            settings the file did not give are left out.
    """
    with (
        precision_from(PrecisionSource.of(precision_typed, config, precision_key)),
        settings_from_file(dict(held or {})),
    ):
        yield
