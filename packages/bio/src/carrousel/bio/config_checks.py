"""Field checks the frozen configs of :mod:`carrousel.bio.config` share: a choice turned into its enum member
(:func:`set_choice`), motif specs stored as a tuple (:func:`store_motif_specs`), the JASPAR release in its one
spelling (:func:`store_release`)."""

from __future__ import annotations

import enum
from typing import Any, TypeVar

from carrousel.bio.errors import BioError
from carrousel.bio.jaspar_release import JASPAR_RELEASE, release_name

__all__ = ["set_choice", "store_motif_specs", "store_release"]

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


def store_release(obj: Any, error: type[BioError]) -> None:
    """Stores ``obj.jaspar_release`` as pyjaspar spells it (``jaspar2024`` -> ``JASPAR2024``: one name in a
    model's bundle.json and in ``--json`` output, whether a Python caller, a TOML file or the CLI gave it).
    Whether pyjaspar ships it is checked where motifs are looked up (pyjaspar is an optional extra).

    Raises:
        error: the release is not text, or empty.
    """
    value = obj.jaspar_release
    if not isinstance(value, str) or not value.strip():
        raise error(f"jaspar_release must be a JASPAR release such as {JASPAR_RELEASE}, not {value!r}")
    object.__setattr__(obj, "jaspar_release", release_name(value))
