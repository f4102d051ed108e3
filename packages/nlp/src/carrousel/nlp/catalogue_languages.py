"""Whether a translation catalogue names the language of its translations: ``translate train`` needs ``--tgt``
for one that could but names none, instead of taking its translations for the default target (``de``).

A ``.qm`` names it in its language section, a ``.ts`` in its root's ``language`` attribute, else either in a
tag in its name (``app_de.qm``, ``app_de.ts``); keyed catalogues (:mod:`carrousel.nlp.keyed_catalogues`:
``.properties``, Android ``strings.xml``, JSON i18n, ``.strings``, ``.resx``) only in a tag in the target
file's name or folder (``messages_de.properties``, ``values-de/strings.xml``, ``de.json``, ``de.lproj/``).
Formats that never name it (TSV, plain aligned text) and those that do otherwise (TMX, XLIFF, ``.po``) are
not this module's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from carrousel.core.paths import uncompressed_name, user_path
from carrousel.nlp.keyed_catalogues import keyed_format, name_language
from carrousel.nlp.qt_linguist import qm_language, ts_language

__all__ = ["unnamed_language"]


def unnamed_language(paths: Sequence[str | Path]) -> str | None:
    """``"FILE names no language (what it lacks)"`` for the catalogue of ``paths`` (one file, or two keyed
    catalogues, source first, as :func:`~carrousel.nlp.parallel.read_pairs` takes them) whose translations'
    language could be named but is not; None when it is named, or the files are of another kind, or a keyed
    target is no file (its reader says so: before, a missing one "named no language").

    Raises:
        TextDataError: a ``.qm`` or ``.ts`` that is missing or cannot be read, as its reader says it.
    """
    files = [user_path(p) for p in paths]
    if len(files) == 2 and any(keyed_format(f) for f in files):
        target = files[1]
        if keyed_format(target) and target.is_file() and name_language(target) is None:
            return (
                f"{target} names no language (no language tag in its name or folder such as "
                "messages_fr.properties, values-fr/strings.xml or fr.json)"
            )
        return None
    for f in files:
        inner = uncompressed_name(f).lower()
        if inner.endswith(".qm") and qm_language(f) is None:
            return f"{f} names no language (no language section, no tag in its name such as app_fr.qm)"
        if inner.endswith(".ts") and ts_language(f) is None:
            return (
                f"{f} names no language (no language attribute on <TS>, no tag in its name such as app_fr.ts)"
            )
    return None
