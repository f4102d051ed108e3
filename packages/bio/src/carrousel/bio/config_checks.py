"""Field checks the frozen configs of :mod:`carrousel.bio.config` share: a choice turned into its enum member
(:func:`set_choice`), motif specs stored as a tuple (:func:`store_motif_specs`)."""

from __future__ import annotations

import enum
from typing import Any, TypeVar

from carrousel.bio.errors import BioError

__all__ = ["set_choice", "store_motif_specs"]

E = TypeVar("E", bound=enum.Enum)


def set_choice(obj: Any, name: str, kind: type[E], error: type[BioError]) -> None:
    """Turns field ``name`` of frozen ``obj`` into a member of ``kind`` (accepting its value)."""
    value = getattr(obj, name)
    try:
        member = kind(value.value if isinstance(value, enum.Enum) else value)
    except ValueError:
        options = ", ".join(m.value for m in kind)
        raise error(f"{name.replace('_', ' ')} must be one of {options}, not {value!r}") from None
    object.__setattr__(obj, name, member)


def store_motif_specs(obj: Any) -> None:
    """Stores ``obj.motifs`` as a tuple: one spec as a plain string (``motifs="CTCF"``, else read letter by
    letter), or a list of them."""
    specs = obj.motifs
    object.__setattr__(obj, "motifs", (specs,) if isinstance(specs, str) else tuple(specs))
