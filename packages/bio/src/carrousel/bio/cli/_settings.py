"""The ``--config`` file of bio's commands (a part of :mod:`carrousel.bio.cli`, which they import): read
once (:func:`config_file`), merged with the flags into the command's config (:func:`with_flags`), and the
flags and the file's settings that the checks across options read (:func:`merged`, core's
``refuse_merged``) and the command's config built from them (:func:`config_of`); ``bio train``'s merged config, refused as a usage error without training data
(:func:`train_settings`).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import typer

from carrousel.bio.config import TrainConfig
from carrousel.bio.config_checks import refuse_no_training_source
from carrousel.bio.errors import JasparReleaseError
from carrousel.bio.jaspar_release import check_release
from carrousel.core import cli
from carrousel.core.cli_config import settings_block
from carrousel.core.config import TomlDocument, file_values, from_dict, naming_file, overlay, read_toml
from carrousel.core.errors import ConfigError, MissingExtraError
from carrousel.core.option_names import file_key

__all__ = ["config_file", "config_of", "merged", "train_block", "train_settings", "with_flags"]

C = TypeVar("C")


def config_file(config: Path | None, release: tuple[str, ...] = ("jaspar_release",)) -> TomlDocument | None:
    """The settings of the ``--config`` file, read once per command (None: no file); bio refuses an empty one,
    and a JASPAR release pyjaspar does not ship (``release``: the key's table path, ``("data",
    "jaspar_release")`` for ``bio train``) as it refuses a typed ``--jaspar-release``, naming the file."""
    if config is None:
        return None
    doc = read_toml(config, "--config", empty_ok=False)
    *tables, key = release
    part: Any = doc
    for table in tables:
        part = part.get(table) if isinstance(part, dict) else None
    value = part.get(key) if isinstance(part, dict) else None
    if isinstance(value, str) and value.strip():  # another kind, or blank: the config's own message
        try:
            check_release(value)
        except JasparReleaseError as exc:
            where = f"[{'.'.join(tables)}] {key}" if tables else key
            raise ConfigError(f"{where} in {doc.source}: {exc}") from None
        except MissingExtraError:  # the lookup itself says so, where a motif needs JASPAR
            pass
    return doc


def with_flags(
    ctx: typer.Context,
    doc: TomlDocument | None,
    flags: C,
    table: dict[str, str],
    derived: dict[str, Callable[[C], Any]] | None = None,
) -> C:
    """``flags`` (the config built from the command line, with the command's defaults), or with a ``--config``
    file's settings (``doc``, :func:`config_file`) that config with every field the file sets, except the
    fields of the flags that were given (``table``: each CLI parameter -> its config field, dotted for a part:
    ``"fit.epochs"``). ``derived``: field -> its command default from the merged config, where neither sets it."""
    if doc is None:
        return flags
    given = {field for param, field in table.items() if cli.typed(ctx, param)}
    cfg = overlay(flags, doc, keep=given)
    late = {k: rule(cfg) for k, rule in (derived or {}).items() if k not in given and k not in doc}
    try:  # a default derived from the merged settings meets the file's
        return dataclasses.replace(cfg, **late)  # type: ignore[type-var]
    except ConfigError as exc:
        alone = {k: rule(flags) for k, rule in (derived or {}).items() if k not in given}
        if _refusal(lambda: dataclasses.replace(flags, **alone)) == str(exc):  # type: ignore[type-var]
            raise  # the command line alone is refused alike: the file plays no part, and is not named
        with naming_file(doc.source):
            raise


def _refusal(build: Callable[[], object]) -> str | None:
    """The line of the :class:`ConfigError` that ``build`` raises, or None."""
    try:
        build()
    except ConfigError as exc:
        return str(exc)
    return None


def merged(
    ctx: typer.Context, doc: TomlDocument | None, flags: Mapping[str, Any], table: dict[str, str], of: Any
) -> cli.Merged:
    """The :class:`~carrousel.core.cli.Merged` settings that a check across options reads (core's
    ``refuse_merged``): ``flags`` (config field -> the command line's value; ``table``: CLI parameter ->
    field) and the ``--config`` file's settings (``doc``, :func:`config_file`; None: no file).

    ``of``: the command's config class, by whose kinds the file's values are read and checked (a command
    that builds its config from these settings: the checks across fields need the flags), or the config
    the flags and the file were already merged into (:func:`with_flags`), which the file's settings are
    taken from. Either way the file is read and merged once."""
    if doc is None:
        file = None
    elif isinstance(of, type):
        file = file_values(of, doc)
    else:
        file = {f: getattr(of, f) for f in flags if f in doc}
    return cli.merged_settings(ctx, flags, table, file, None if doc is None else doc.source)


def config_of(settings: cli.Merged, cls: type[C]) -> C:
    """The command's config ``cls`` of the :func:`merged` settings: built from the flags alone, or, with a
    ``--config`` file, read as the file's (a bad value named with the file)."""
    values = settings.values()
    return cls(**values) if settings.source is None else from_dict(cls, values, source=settings.source)


def train_settings(
    ctx: typer.Context, doc: TomlDocument | None, flags: TrainConfig, table: dict[str, str]
) -> TrainConfig:
    """``bio train``'s config: ``flags`` with the ``--config`` file's settings (:func:`with_flags`; its ``[data]
    jaspar_release`` checked by :func:`config_file`), refused as a usage error (exit 2) when neither names
    training data (no ``--motif``, ``--positives`` or ``--peaks``), before any data is read."""
    cfg = with_flags(ctx, doc, flags, table)
    refuse_no_training_source(cfg.data, typer.BadParameter)
    return cfg


_TRAIN_FILES = ("positives", "negatives", "peaks", "genome")  # bio train's [data] files


def train_block(ctx: typer.Context, doc: TomlDocument | None) -> contextlib.AbstractContextManager[None]:
    """The block ``bio train`` trains in (core's ``settings_block``): the training arithmetic typed or the
    ``--config`` file's (``doc``, :func:`config_file`; None: no file), and each data file the file gave rather
    than a flag named as the file holds it (``[data] positives in run.toml: pos.fa not found``), not by a flag
    never typed; so is the learning rate a diverged training tells to lower, when the file set it
    (``lower [fit] lr in run.toml (now 1e+38)``, not ``--lr``)."""
    if doc is None:
        return settings_block(cli.typed(ctx, "precision"), None, "[fit] precision")
    held = {n: file_key(f"data.{n}", doc.source) + ":" for n in _TRAIN_FILES if not cli.typed(ctx, n)}
    fit = doc.get("fit")
    if isinstance(fit, dict) and "lr" in fit and not cli.typed(ctx, "lr"):
        held["fit.lr"] = file_key("fit.lr", doc.source)
    return settings_block(cli.typed(ctx, "precision"), doc.source, "[fit] precision", held)
