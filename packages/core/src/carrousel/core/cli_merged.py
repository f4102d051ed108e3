"""A command's checks across options (``--distill-filters`` needs ``--distill``) on the settings its run
sees: a ``--config`` file's and the command line's together, the flags typed winning (needs the
``carrousel-core[cli]`` extra; re-exported by :mod:`carrousel.core.cli`).

A check that read the flags alone refused ``--config c.toml --distill-filters 4`` although ``c.toml`` sets
``distill = 8``, and let the file set ``distill_filters`` alone without a word. :func:`refuse_merged` runs
one check (the same function, the same wording as the config class's) on :class:`Merged` settings:

- the combination the command line typed alone: a usage error (``typer.BadParameter``, exit 2);
- one the file takes part in: one :class:`~carrousel.core.errors.ConfigError` line naming the file
  (exit 1, as every other bad value of a ``--config`` file);
- a default is never refused (:meth:`Merged.given` is false for it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from carrousel.core.cli_options import typed
from carrousel.core.errors import ConfigError
from carrousel.core.option_names import named_path
from carrousel.core.optional import missing_extra

try:  # the carrousel-core[cli] extra
    import typer
except ImportError as e:
    raise missing_extra(
        e, "typer", "carrousel-core[cli]", "the merged settings checks (carrousel.core.cli_merged)"
    ) from None

__all__ = ["Merged", "merged_settings", "refuse_merged"]


@dataclasses.dataclass(frozen=True)
class Merged:
    """A command's settings as its run sees them, by config field: the command line's value where its flag
    was typed, else the ``--config`` file's where the file sets it, else the command's default."""

    flags: Mapping[str, Any]  # field -> the command line's value (typed, or the command's default)
    typed: frozenset[str]  # the fields whose flag the command line typed
    file: Mapping[str, Any]  # field -> the --config file's value (checked by kind), where it sets one
    source: str | None = None  # the --config file as the user named it (None: no file)

    def __getitem__(self, field: str) -> Any:
        return self.file[field] if field in self.file and field not in self.typed else self.flags[field]

    def given(self, field: str) -> bool:
        """Whether the command line typed ``field`` or the file sets it (never for a default)."""
        return field in self.typed or field in self.file

    def values(self) -> dict[str, Any]:
        """Every field the flags or the file give, merged (the keyword arguments of the command's config)."""
        return {field: self[field] for field in {**self.flags, **self.file}}

    def typed_alone(self) -> Merged:
        """The same command line without the file."""
        return dataclasses.replace(self, file={}, source=None)


def merged_settings(
    ctx: typer.Context,
    flags: Mapping[str, Any],
    params: Mapping[str, str],
    file: Mapping[str, Any] | None = None,
    source: str | None = None,
) -> Merged:
    """The :class:`Merged` settings of a command.

    Args:
        ctx: the command's context (which parameters the command line typed).
        flags: config field -> the flag's value (typed or default).
        params: CLI parameter -> its config field (``{"motif": "motifs"}``).
        file: the ``--config`` file's fields, checked by kind
            (:func:`carrousel.core.config.file_values`); None: no file.
        source: that file as the user named it.
    """
    given = frozenset(field for param, field in params.items() if typed(ctx, param))
    return Merged(dict(flags), given, dict(file or {}), source if file is not None else None)


class _RefusedError(Exception):
    """A check's one line, before it is known whether the command line alone makes it; ``param_hint``: the
    setting it is about, as ``typer.BadParameter`` takes it (``"'--test-days'"``)."""

    def __init__(self, message: str, param_hint: str | None = None) -> None:
        super().__init__(message)
        self.param_hint = param_hint


def refuse_merged(check: Callable[[Merged, type[Exception]], None], settings: Merged) -> None:
    """Runs ``check`` on the merged ``settings``; it raises its second argument with one line (and, as
    ``typer.BadParameter`` takes it, an optional ``param_hint``: the setting refused).

    Raises:
        typer.BadParameter: the command line typed the refused combination itself (the same line
            without the file): a usage error, exit 2.
        ConfigError: the file takes part in it: ``--config FILE: <the setting>: <the line>``, exit 1.
    """
    try:
        check(settings, _RefusedError)
    except _RefusedError as merged:
        line, hint = str(merged), merged.param_hint
        if settings.source is not None and _refusal(check, settings.typed_alone()) != line:
            what = f"{hint.strip(chr(39))}: " if hint else ""
            raise ConfigError(f"{named_path(settings.source, '--config')}: {what}{line}") from None
        raise typer.BadParameter(line, param_hint=hint) from None


def _refusal(check: Callable[[Merged, type[Exception]], None], settings: Merged) -> str | None:
    try:
        check(settings, _RefusedError)
    except _RefusedError as refused:
        return str(refused)
    return None
