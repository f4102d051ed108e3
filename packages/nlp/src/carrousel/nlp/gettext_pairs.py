"""Translation pairs from gettext catalogues: compiled ``.mo`` files and their ``.po`` sources, one set of rules.

A ``.mo`` is read by :mod:`carrousel.nlp.gettext_mo`; a ``.po`` by :mod:`carrousel.nlp.gettext_po`, which
gives the entries msgfmt would compile from it (fuzzy drafts, obsolete and untranslated entries left out),
so that a ``.po`` and the ``.mo`` compiled from it give the same pairs in the same order (tested on real
catalogues). Both keep English ``msgid`` (its ``msgctxt`` context removed) -> translated ``msgstr``:
single-line, non-empty messages with a translation; they drop the header, plural forms, messages with
line breaks, and messages without a letter outside printf placeholders (``%s``, ``%s: %s``...). A file is
read whole, so it must be a regular file within :data:`CATALOGUE_MAX_BYTES`.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from carrousel.core.errors import DataError
from carrousel.core.files import check_input_file
from carrousel.core.files_text import read_failure
from carrousel.core.option_names import option
from carrousel.core.paths import user_path
from carrousel.nlp.errors import TextDataError
from carrousel.nlp.gettext_mo import is_mo, mo_catalogue
from carrousel.nlp.gettext_po import po_catalogue

__all__ = [
    "CATALOGUE_MAX_BYTES",
    "catalogue_bytes",
    "message_problem",
    "pair_problem",
    "po_bytes",
    "read_mo",
    "read_po",
]

logger = logging.getLogger(__name__)

# a .mo or .po over 256 MiB is no software catalogue (git's German .po: 0.7 MB)
CATALOGUE_MAX_BYTES = 256 << 20
Pair = tuple[str, str]
_LETTER = re.compile(r"[^\W\d_]")
_PRINTF = re.compile(
    r"%(?:\d+\$)?[-+ #0'I]*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?:hh|h|ll|l|L|q|j|z|t)?[a-zA-Z%]|%<\w+>"
)


def read_mo(path: str | Path, tgt: str | None = None, *, model_tgt: str | None = None) -> list[Pair]:
    """``(msgid, msgstr)`` pairs of a gettext ``.mo`` catalogue (see the module docstring for what is kept).

    With ``tgt``, a catalogue whose header declares another language (``Language: fr`` for ``tgt="de"``)
    is logged as a warning: the pairs are read all the same (a few real headers disagree with their
    folder: Norwegian ``nb`` catalogues that say ``no``), but it is mostly a forgotten ``--tgt``. With
    ``model_tgt`` (the language a trained model translates into: ``evaluate``, which has no ``--tgt``)
    the warning names it instead, and the fix is a catalogue in that language.

    Raises:
        TextDataError: a missing file or one that is not a ``.mo`` catalogue.
    """
    p = user_path(path)
    raw = catalogue_bytes(p, "gettext .mo catalogue")
    try:
        messages, language, left_out = mo_catalogue(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise TextDataError(f"{p} is not a gettext .mo catalogue ({exc}); give a compiled .mo file") from None
    return _catalogue_pairs(p, messages, language, left_out, tgt, model_tgt)


def read_po(path: str | Path, tgt: str | None = None, *, model_tgt: str | None = None) -> list[Pair]:
    """``(msgid, msgstr)`` pairs of a gettext ``.po`` source: the pairs :func:`read_mo` reads from the
    ``.mo`` msgfmt compiles from it, in the same order (:mod:`carrousel.nlp.gettext_po`: fuzzy, obsolete
    and untranslated entries left out, counted in the log). ``tgt`` and ``model_tgt`` as :func:`read_mo`.

    Raises:
        TextDataError: a missing or oversized file, a template (``.pot``), or a line msgfmt would refuse.
    """
    p = user_path(path)
    if p.suffix.lower() == ".pot":
        raise TextDataError(
            f"{p} is a gettext template: its messages have no translations; give a translated .po (or .mo)"
        )
    raw = po_bytes(p, "name it .mo: the suffix says how --pairs reads a file")
    try:
        messages, language, left_out = po_catalogue(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise TextDataError(f"{p}: {exc} (msgfmt --check {p.name} shows the same)") from None
    return _catalogue_pairs(p, messages, language, left_out, tgt, model_tgt)


def catalogue_bytes(p: Path, what: str) -> bytes:
    """The bytes of a catalogue: a regular file within :data:`CATALOGUE_MAX_BYTES`.

    Raises:
        TextDataError: a missing, special, oversized or unreadable file.
        OSError: too many open files or out of memory, as it came: not the file's fault (see
            :func:`~carrousel.core.files_text.read_failure`).
    """
    if not p.exists() and not p.is_symlink():
        raise TextDataError(f"{p}: no such file; check the path")
    try:
        check_input_file(p, None, what, CATALOGUE_MAX_BYTES)
    except DataError as exc:
        raise TextDataError(str(exc)) from None
    try:
        return p.read_bytes()
    except OSError as exc:
        raise read_failure(
            exc, str(p), "give a readable file", TextDataError, reason=str(exc), sep=" "
        ) from None


def po_bytes(p: Path, fix: str) -> bytes:
    """The bytes of a ``.po`` catalogue (:func:`catalogue_bytes`), refusing a compiled ``.mo`` given in its
    place, whose bytes the ``.po`` parser would only call an unknown keyword on line 1.

    Args:
        p: the file.
        fix: what to do with a ``.mo``, for the message.

    Raises:
        TextDataError: as :func:`catalogue_bytes`, or a ``.mo`` catalogue (``fix`` named).
    """
    raw = catalogue_bytes(p, "gettext .po catalogue")
    if is_mo(raw):
        raise TextDataError(f"{p} is a compiled gettext .mo catalogue, not a .po source; {fix}")
    return raw


def message_problem(msgid: str) -> str:
    """Why a singular message is no translation pair ("" when it is one): "multi-line" (a line break inside
    it; one at either end is kept), "no letter" (only printf placeholders, digits, punctuation)."""
    if "\n" in msgid.strip():
        return "multi-line"
    if not _LETTER.search(_PRINTF.sub("", msgid)):
        return "no letter"
    return ""


def pair_problem(source: str, target: str) -> str:
    """Why a translated message is no translation pair ("" when it is one), as every catalogue reader
    rules (gettext, Qt, keyed): :func:`message_problem`'s reasons of the source, or "multi-line" (a line
    break inside the target)."""
    return message_problem(source) or ("multi-line" if "\n" in target.strip() else "")


def _catalogue_pairs(
    p: Path,
    messages: list[Pair],
    language: str | None,
    left_out: dict[str, int],
    tgt: str | None,
    model_tgt: str | None,
) -> list[Pair]:
    """The pairs kept of a catalogue's messages (one set of rules for ``.mo`` and ``.po``), after the check of
    the header's language against the target."""
    want = (model_tgt or tgt or "").lower().replace("-", "_").split("_")[0]
    if language and want and language != want and model_tgt:
        logger.warning(
            "%s declares Language: %s in its header, but the model translates into %s: its translations are "
            "scored against references in %s; give a catalogue in %s",
            p,
            language,
            model_tgt,
            language,
            model_tgt,
        )
    elif language and want and language != want:
        logger.warning(
            "%s declares Language: %s in its header, but the target language is %s; pass %s if it "
            "is the catalogue's language",
            p,
            language,
            tgt,
            option("tgt", language),
        )
    pairs = []
    for key, value in messages:
        if not key or not value:
            continue  # untranslated entries
        if pair_problem(key, value):
            continue
        pairs.append((key, value))
    if not pairs and left_out.get("fuzzy"):
        raise TextDataError(
            f"{p} holds no translation pair but {left_out['fuzzy']} fuzzy drafts, which msgfmt leaves out too; "
            "review them (remove their fuzzy flag) or give a reviewed catalogue"
        )
    drafts = ", ".join(f"{n} {why}" for why, n in left_out.items() if n and why != "plural")
    if not pairs:  # read_pairs' "holds no translation pair; check the file" said nothing of what was there
        some = (
            f"none of its {len(messages)} singular messages is a translated one-line one" if messages else ""
        )
        raise TextDataError(
            f"{p} holds no translation pair: {some or 'no singular message'} (its header and plural forms,"
            f" msgid_plural, are not read{'; left out: ' + drafts if drafts else ''}); give a translated catalogue"
        )
    counts = ", ".join(f"{n} {why}" for why, n in left_out.items() if n)  # plural messages first
    logger.info(
        "%s: %d pairs of %d singular messages%s",
        p,
        len(pairs),
        len(messages),
        counts and f" (left out: {counts})",
    )
    return pairs
