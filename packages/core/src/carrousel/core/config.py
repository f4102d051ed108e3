"""Configuration helpers for frozen dataclass configs.

Configs are frozen ``@dataclass`` es with one comment per field; override with :func:`dataclasses.replace` or
:func:`override`; read TOML with :func:`load_toml` or lay it over a config with :func:`overlay`; to JSON-able
dicts and back with :func:`to_dict` / :func:`from_dict`. A config built in Python checks its numbers with
:func:`check_numbers` (:mod:`.config_numbers`: an ``int`` field refuses ``5.0``, ``"5"`` and ``True``, a ``bool``
field ``"false"`` and ``0``; a Path in a text field is its text: :mod:`.config_text`), one argument with :func:`as_int` /
:func:`as_bool` (:mod:`carrousel.core.args`, whose ``@check_args`` checks a function's arguments at once).
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import re
import tomllib
import types
import typing
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from carrousel.core.args import as_bool, as_int, check_args
from carrousel.core.config_numbers import check_numbers
from carrousel.core.errors import ConfigError, DataError
from carrousel.core.files import check_input_file
from carrousel.core.files_text import read_failure
from carrousel.core.option_names import file_key, named_path, option
from carrousel.core.paths import user_path

__all__ = [
    "DEVICE_CHOICES",
    "MAX_CONFIG_BYTES",
    "MAX_EPOCHS",
    "MAX_THREADS",
    "TomlDocument",
    "as_bool",
    "as_int",
    "check_config",
    "check_device",
    "check_numbers",
    "dotted_fields",
    "file_values",
    "from_dict",
    "load_toml",
    "naming_file",
    "overlay",
    "override",
    "read_toml",
    "to_dict",
]

C = TypeVar("C")
MAX_CONFIG_BYTES = 16 << 20  # 16 MiB: a settings file, never data
MAX_EPOCHS = 10_000  # the bound of every --epochs option and epochs field (far above any run)
MAX_THREADS = 256  # the bound of every --threads option and config (torch.set_num_threads takes a C int)


DEVICE_CHOICES = "cpu, cuda, cuda:N, mps or auto"
"""The device names a config or ``--device`` takes, as messages and the help list them."""
_DEVICE_NAME = re.compile(r"cpu|cuda(:[0-9]+)?|mps|auto")


def check_device(value: object, error: type[ConfigError] = ConfigError) -> str:
    """Returns ``value`` as a plain device name when it is one of :data:`DEVICE_CHOICES` (an enum member is
    taken by its value, as older configs held ``"cpu"`` / ``"cuda"`` / ``"auto"``); whether this machine has
    the device is :func:`pick_device`'s question.

    Raises:
        ConfigError: (or ``error``) one line naming the value and the choices.
    """
    name = value.value if isinstance(value, enum.Enum) else value
    if not isinstance(name, str) or _DEVICE_NAME.fullmatch(name) is None:
        raise error(f"unknown device {name!r}; use {DEVICE_CHOICES}")
    return str(name)


def check_config(config: object, expected: type, owner: str) -> None:
    """Refuses a config of another class in one line, before a constructor reads its fields.

    Args:
        config: what the caller passed.
        expected: the config class ``owner`` takes.
        owner: the class being built, named in the message.

    Raises:
        ConfigError: ``config`` is not an instance of ``expected`` (e.g. an encoder's config given to a
            classifier, or a dict).
    """
    if not isinstance(config, expected):
        raise ConfigError(
            f"{owner} takes a {expected.__name__}, got a {type(config).__name__}; "
            f"build it as {owner}({expected.__name__}(...))"
        )


def to_dict(cfg: Any) -> dict[str, Any]:
    """Returns a JSON-able dict of a (nested) dataclass config. Tuples become lists."""
    if not dataclasses.is_dataclass(cfg) or isinstance(cfg, type):
        raise ConfigError(f"expected a dataclass instance, got {type(cfg).__name__}")
    return _plain(dataclasses.asdict(cfg))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class TomlDocument(dict[str, Any]):
    """The tables and values of a TOML file (:func:`read_toml`), a ``dict`` that remembers the file, so
    that :func:`from_dict` and :func:`overlay` name the file, the table and the key of a wrong value."""

    def __init__(self, data: Mapping[str, Any] | None = None, source: str = "") -> None:
        super().__init__(data or {})
        self.source = source  # the file as the user named it


@dataclasses.dataclass(frozen=True)
class _Where:
    """Where a value comes from, for messages: ``Cls.key``, or ``[table] key in FILE`` for a file."""

    cls: str
    source: str | None = None  # the file, when the values come from one
    tables: tuple[str, ...] = ()  # the TOML table path within it

    def key(self, key: str) -> str:
        if self.source is None:
            return f"{self.cls}.{key}"
        return file_key(".".join((*self.tables, key)), self.source)

    @property
    def here(self) -> str:
        if self.source is None:
            return self.cls
        return f"[{'.'.join(self.tables)}] in {self.source}" if self.tables else self.source

    def kind(self, tp: type) -> str:
        """How a scalar type is named: its Python name, or in a file's words."""
        return _FILE_WORDS.get(tp, tp.__name__) if self.source is not None else tp.__name__


_FILE_WORDS = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}


def from_dict(
    cls: type[C], data: dict[str, Any], *, source: str | None = None, table: tuple[str, ...] = ()
) -> C:
    """Builds dataclass ``cls`` from ``data``, rebuilding nested dataclasses and tuples.

    Args:
        cls: the dataclass.
        data: its fields by name (nested tables for nested dataclasses).
        source: the file the values come from, for messages (default: the file of a :class:`TomlDocument`
            from :func:`read_toml`); with one, a message names the file, the table and the key
            (``[train] epochs in run.toml: expected an integer, got 'ten'``) instead of ``cls``'s field.
        table: the TOML table path of ``data`` within ``source`` (``("train",)``).

    Raises:
        ConfigError: on an unknown key or a value of the wrong kind.
    """
    where = _where(cls, data, source, table)
    kwargs = file_values(cls, data, source=source, table=table)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where.here}: {exc}") from None


def _where(cls: type, data: Any, source: str | None, table: tuple[str, ...]) -> _Where:
    return _Where(cls.__name__, source or getattr(data, "source", None) or None, tuple(table))


def file_values(
    cls: type, data: Mapping[str, Any], *, source: str | None = None, table: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The fields ``data`` sets for dataclass ``cls``, each checked and converted as :func:`from_dict` does
    (same arguments and messages), without building ``cls``: the checks across its fields wait for the
    values a command line adds (a ``--config`` file's ``distill_filters`` with ``--distill`` typed).

    Raises:
        ConfigError: an unknown key or a value of the wrong kind (a nested table is built whole).
    """
    where = _where(cls, data, source, table)
    if not isinstance(data, dict):
        raise ConfigError(f"{where.here}: expected a table/dict, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(
            f"{where.here}: unknown option(s) {', '.join(unknown)}; valid: {', '.join(sorted(names))}"
        )
    return {k: _coerce(hints[k], v, k, where) for k, v in data.items()}


def dotted_fields(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Every value a TOML document (:func:`read_toml`) sets, by dotted field name: a table's keys under the
    table's name (``[fit]`` ``epochs = 3``: ``{"fit.epochs": 3}``), a table inside a table likewise
    (``"fit.schedule.warmup"``), a top-level value under its own key. The fields of a ``--config`` file
    whose tables are the parts of one config, as the checks across options take them
    (:func:`carrousel.core.cli_merged.merged_settings`); values are not checked (see :func:`file_values`)."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            out.update({f"{key}.{field}": v for field, v in dotted_fields(value).items()})
        else:
            out[key] = value
    return out


_SCALARS = (bool, int, float, str)


def _scalar_ok(tp: type, value: Any) -> bool:
    if tp is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, tp)


def _nested(tp: type[C], value: dict[str, Any], key: str, at: _Where) -> C:
    return from_dict(tp, value, source=at.source, table=(*at.tables, key))


def _coerce(tp: Any, value: Any, key: str, at: _Where) -> Any:
    origin = typing.get_origin(tp)
    where = at.key(key)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if isinstance(value, dict):
            return _nested(tp, value, key, at)
        if not isinstance(value, tp):
            what = (
                f"([{'.'.join((*at.tables, key))}])" if at.source is not None else f"of {tp.__name__} options"
            )
            raise ConfigError(f"{where}: expected a table {what}, got {value!r}")
        return value
    if tp in _SCALARS and not _scalar_ok(tp, value):
        raise ConfigError(f"{where}: expected {at.kind(tp)}, got {value!r}")
    if origin is typing.Literal and value not in typing.get_args(tp):
        choices = ", ".join(repr(a) for a in typing.get_args(tp))
        raise ConfigError(f"{where}: {value!r} is not one of {choices}")
    if origin in (typing.Union, types.UnionType) and value is not None:
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        if all(a in _SCALARS for a in members) and not any(_scalar_ok(a, value) for a in members):
            raise ConfigError(f"{where}: expected {' or '.join(at.kind(a) for a in members)}, got {value!r}")
        if float in members and int not in members and _scalar_ok(float, value):
            return float(value)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(args[0], v, key, at) for v in value)
        if len(args) != len(value):
            raise ConfigError(f"{where}: expected {len(args)} values, got {len(value)}")
        return tuple(_coerce(a, v, key, at) for a, v in zip(args, value, strict=True))
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            if dataclasses.is_dataclass(arg) and isinstance(value, dict):
                return _nested(arg, value, key, at)  # type: ignore[arg-type]
            if typing.get_origin(arg) is tuple and isinstance(value, list):
                return tuple(value)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def override(cfg: C, **changes: Any) -> C:
    """Returns a copy of ``cfg`` with fields changed; unknown fields raise :class:`ConfigError`."""
    names = {f.name for f in dataclasses.fields(cfg)}  # type: ignore[arg-type]
    unknown = sorted(set(changes) - names)
    if unknown:
        raise ConfigError(f"{type(cfg).__name__}: unknown option(s) {', '.join(unknown)}")
    return dataclasses.replace(cfg, **changes)  # type: ignore[type-var]


@check_args
def read_toml(path: str | Path, flag: str | None = None, empty_ok: bool = True) -> TomlDocument:
    """The document of a TOML settings file, read once (a dict that remembers the file, for messages); an
    empty or blank file is a valid document with no settings (``empty_ok`` False: it is refused).

    Args:
        path: the file.
        flag: the option that named it, for messages (:func:`~carrousel.core.option_names.named_path`);
            default: ``--config`` inside a CLI command, ``path`` for a Python caller (``path='x.toml'``).
        empty_ok: accept an empty or blank file.

    Raises:
        ConfigError: the file is missing, a folder, a FIFO or device (which would hang the reader),
            unreadable or too large, or its bytes are not UTF-8 text or not valid TOML.
        OSError: too many open files or out of memory, as it came: not the file's fault (see
            :func:`~carrousel.core.files_text.read_failure`).
    """
    if flag is None:
        flag = option("path", flag="--config")  # the command's --config, or the argument a Python caller gave
    try:
        p = check_input_file(user_path(path), flag, "TOML config", MAX_CONFIG_BYTES, empty_ok=empty_ok)
    except DataError as exc:
        raise ConfigError(str(exc)) from None
    where = named_path(p, flag)  # --config /x.toml, or as a Python caller named it
    try:
        return TomlDocument(tomllib.loads(p.read_bytes().decode("utf-8-sig")), str(path))  # a BOM: Notepad's
    except UnicodeDecodeError:
        raise ConfigError(f"{where} is not UTF-8 text; give a TOML file") from None
    except OSError as exc:
        raise read_failure(exc, where, "check the path", ConfigError) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML ({exc}); fix the syntax") from None


def load_toml(path: str | Path, cls: type[C]) -> C:
    """Reads a TOML file into config class ``cls`` (:func:`read_toml`, then :func:`from_dict`).

    Raises:
        ConfigError: the file is not readable TOML (:func:`read_toml`), or holds unknown options or bad values.
    """
    return from_dict(cls, read_toml(path, "config file"))


def overlay(base: C, doc: Mapping[str, Any], keep: Collection[str] = ()) -> C:
    """``base`` (a frozen, possibly nested, dataclass config) with every field the TOML document ``doc``
    sets, table by table (a table changes only the keys it names), except the fields in ``keep``.

    How a ``--config`` file whose tables are the parts of one config meets the command line: ``base`` is
    the command's defaults (or the config built from its flags) and ``keep`` the flags given, which win
    (dotted for a part: ``"fit.epochs"``).

    Args:
        base: the config the file's values go onto.
        doc: the file's tables and values (:func:`read_toml`).
        keep: fields the file must not change.

    Raises:
        ConfigError: ``doc`` names an unknown option or holds a value of the wrong kind (checked on the
            file alone, :func:`file_values`), or the merged config is invalid (the config's own error,
            its line led by the file's name): a check across fields sees the file's values and the
            flags together, never the file alone (``distill_filters`` there, ``--distill`` typed).
    """
    source = getattr(doc, "source", None)  # a read_toml document names its file in messages
    from_file = file_values(type(base), dict(doc), source=source)  # names and kinds; a part built whole
    with naming_file(source):  # the file's values with the flags
        merged: C = _replace_fields(base, from_file, [f for f in _set_by(doc, from_file) if f not in keep])
    return merged


@contextlib.contextmanager
def naming_file(source: str | None) -> Iterator[None]:
    """A :class:`ConfigError` raised inside (a config's check across fields, on a file's settings merged
    with flags) leads its line with the file's name (``run.toml: ...``), keeping its class; ``source``
    None (no file): unchanged."""
    try:
        yield
    except ConfigError as exc:
        if source and len(exc.args) == 1 and isinstance(exc.args[0], str):
            exc.args = (f"{source}: {exc.args[0]}",)
        raise


def _field(cfg: Any, key: str) -> Any:
    """Field ``key`` of a config, or of :func:`file_values`' dict of one."""
    return cfg[key] if isinstance(cfg, dict) else getattr(cfg, key)


def _set_by(doc: Mapping[str, Any], cfg: Any, prefix: str = "") -> list[str]:
    """The fields a TOML document sets on ``cfg``, dotted for a part (``"fit.epochs"``)."""
    out: list[str] = []
    for key, value in doc.items():
        part = _field(cfg, key)
        nested = isinstance(value, dict) and dataclasses.is_dataclass(part)
        out += _set_by(value, part, f"{prefix}{key}.") if nested else [prefix + key]
    return out


def _replace_fields(base: Any, other: Any, fields: list[str]) -> Any:
    """``base`` with the ``fields`` of ``other`` (a config of the same class, or a dict of its fields),
    dotted for a part."""
    changes: dict[str, Any] = {}
    parts: dict[str, list[str]] = {}
    for name in fields:
        head, _, rest = name.partition(".")
        if rest:
            parts.setdefault(head, []).append(rest)
        else:
            changes[head] = _field(other, head)
    for head, sub in parts.items():
        mine = getattr(base, head)  # None for an optional part the base leaves out: the file's whole part
        whole = mine is None or not dataclasses.is_dataclass(mine)
        changes[head] = _field(other, head) if whole else _replace_fields(mine, _field(other, head), sub)
    return dataclasses.replace(base, **changes)
