"""The messages of a compiled gettext catalogue (``.mo``), read from its bytes.

:class:`gettext.GNUTranslations` decodes the header as UTF-8 before it knows the catalogue's charset, so
a Latin-1 catalogue whose header holds a non-ASCII name (net-tools' German one) cannot be read with it,
and it keeps a message's context in its key (``"architecture\\x04<none>"``). This reader follows the
format (GNU gettext manual, "The Format of GNU MO Files"): each message is decoded with the charset its
header declares (UTF-8 when none), contexts are dropped from the message, and plural forms are skipped.
:func:`catalogue_messages` applies those rules to a catalogue's raw ``(msgid, msgstr)`` entries, read here
or from a ``.po`` source (:mod:`carrousel.nlp.gettext_po`), so that both give the same messages.

A message whose C format uses an ``<inttypes.h>`` macro (``%<PRIuMAX>``: 41 of git's German messages) or
the ``I`` flag is stored by msgfmt in a second table, of system-dependent strings (file format revision 1);
it is read too, each macro expanded as glibc expands it on LP64 Linux (x86_64, aarch64: ``PRIuMAX`` ->
``lu``, ``PRId32`` -> ``d``; :func:`sysdep_segment`), after the static table's messages, as GNU gettext's
``loadmsgcat.c`` appends them. A message using a macro that is not known is left out, as gettext leaves it
out, and counted in one warning per catalogue.
"""

from __future__ import annotations

import codecs
import logging
import re
import struct

__all__ = [
    "catalogue_messages",
    "header_charset",
    "is_mo",
    "mo_catalogue",
    "mo_language",
    "plural_messages",
    "sysdep_segment",
]

logger = logging.getLogger(__name__)

_MAGIC = {b"\xde\x12\x04\x95": "<", b"\x95\x04\x12\xde": ">"}  # little- and big-endian
_CHARSET = re.compile(rb"charset=\s*([-\w.:]+)", re.IGNORECASE)
# a language code at the start of the header's Language field (de, de_DE, pt-BR, sr@latin; not "German")
_LANGUAGE = re.compile(
    rb"^Language:[ \t]*([a-z]{2,3})(?:[_\-@.][^\n]*)?[ \t]*$", re.IGNORECASE | re.MULTILINE
)
_END = 0xFFFFFFFF  # the segment reference that ends a system-dependent string
# <inttypes.h> PRI macros by their size part: glibc on LP64 Linux prefixes these conversions with "l"
_PRI_LONG = {"64", "LEAST64", "FAST16", "FAST32", "FAST64", "MAX", "PTR"}
_PRI_PLAIN = {"8", "16", "32", "LEAST8", "LEAST16", "LEAST32", "FAST8"}
_PRI = re.compile(r"PRI([diouxX])(\w+)")


def header_charset(header: bytes) -> str:
    """The Python codec of the charset a catalogue's header declares (``charset=ISO-8859-1`` ->
    ``"iso8859-1"``); UTF-8 when it names none.

    Raises:
        ValueError: an unknown charset, or the template's placeholder ``CHARSET``.
    """
    found = _CHARSET.search(header)
    name = found.group(1).decode("ascii") if found else "utf-8"
    if name == "CHARSET":
        raise ValueError("the header declares the template's placeholder charset=CHARSET; set charset=UTF-8")
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise ValueError(f"unknown charset {name!r} in the header") from None


def is_mo(raw: bytes) -> bool:
    """True when ``raw`` starts with a compiled ``.mo`` catalogue's magic number (either byte order)."""
    return raw[:4] in _MAGIC


def mo_language(raw: bytes) -> str | None:
    """The language code the header declares (``Language: de_DE`` -> ``"de"``); None when it names none.

    Raises:
        ValueError: as :func:`mo_catalogue`.
    """
    return _language(_header(_entries(raw)))


def mo_catalogue(raw: bytes) -> tuple[list[tuple[str, str]], str | None, dict[str, int]]:
    """``(msgid, msgstr)`` of every singular message with its context removed, the header left out, and the
    language the header declares (:func:`mo_language`), from one pass over the file's tables: the static
    messages, then the system-dependent ones with their macros expanded (see the module docstring); and the
    messages left out, as :func:`~carrousel.nlp.gettext_po.po_catalogue` counts them: the plural ones
    (``{"plural": n}``, :func:`plural_messages`).

    Raises:
        ValueError: not a ``.mo`` file, a table pointing outside the file, or text not in the declared charset.
    """
    unknown: list[set[str]] = []
    entries = _entries(raw, unknown)
    messages, language = catalogue_messages(entries)
    if unknown:
        logger.warning(
            "%d system-dependent messages left out: they use macros not known here (%s), as gettext leaves them out",
            len(unknown),
            ", ".join(sorted(set().union(*unknown))),
        )
    return messages, language, {"plural": plural_messages(entries)}


def sysdep_segment(name: str) -> str | None:
    """What a system-dependent segment of a ``.mo`` (a macro name) expands to, as glibc expands it on LP64
    Linux: ``PRIuMAX`` -> ``"lu"``, ``PRId64`` -> ``"ld"``, ``PRIxPTR`` -> ``"lx"``, ``PRId32`` -> ``"d"``,
    the ``I`` flag -> ``"I"``; None for a name gettext does not know."""
    if name == "I":
        return "I"
    found = _PRI.fullmatch(name)
    if found is None or found.group(2) not in _PRI_LONG | _PRI_PLAIN:
        return None
    return ("l" if found.group(2) in _PRI_LONG else "") + found.group(1)


def catalogue_messages(entries: list[tuple[bytes, bytes]]) -> tuple[list[tuple[str, str]], str | None]:
    """The messages of a catalogue's raw entries, as a ``.mo`` file stores them (``msgctxt\\x04msgid`` keys,
    plural forms joined by NUL bytes, the header under the empty key): ``(msgid, msgstr)`` of every
    singular message with its context removed, in the header's charset, and the header's language.

    Raises:
        ValueError: an unknown charset, or text not in it.
    """
    header = _header(entries)
    charset = header_charset(header)
    messages = []
    for key, value in entries:
        if not key or b"\x00" in key:
            continue  # the header, plural forms
        messages.append((key.split(b"\x04")[-1].decode(charset), value.decode(charset)))
    return messages, _language(header)


def plural_messages(entries: list[tuple[bytes, bytes]]) -> int:
    """How many of a catalogue's raw entries (as :func:`catalogue_messages` takes them) are plural messages
    (``msgid\\x00msgid_plural`` keys), which :func:`catalogue_messages` skips."""
    return sum(1 for key, _ in entries if b"\x00" in key)


def _header(entries: list[tuple[bytes, bytes]]) -> bytes:
    return next((value for key, value in entries if key == b""), b"")


def _language(header: bytes) -> str | None:
    found = _LANGUAGE.search(header)
    return found.group(1).decode("ascii").lower() if found else None


def _entries(raw: bytes, unknown: list[set[str]] | None = None) -> list[tuple[bytes, bytes]]:
    """Every ``(msgid, msgstr)`` of the file as bytes, the header's (empty msgid) included, the static ones
    first; a system-dependent message left out for unknown macros adds their names to ``unknown``."""
    order = _MAGIC.get(raw[:4])
    if order is None:
        raise ValueError("bad magic number")
    try:
        revision, count, ids_at, strs_at = struct.unpack(f"{order}4I", raw[4:20])
        spans = [
            (
                struct.unpack_from(f"{order}2I", raw, ids_at + 8 * i),
                struct.unpack_from(f"{order}2I", raw, strs_at + 8 * i),
            )
            for i in range(count)
        ]
    except struct.error:
        raise ValueError("truncated file") from None
    entries = []
    for (id_len, id_at), (str_len, str_at) in spans:
        if id_at + id_len > len(raw) or str_at + str_len > len(raw):
            raise ValueError("a message points outside the file")
        entries.append((raw[id_at : id_at + id_len], raw[str_at : str_at + str_len]))
    if revision & 0xFFFF:  # minor revision 1: the header goes on with the system-dependent tables
        entries += _sysdep_entries(raw, order, [] if unknown is None else unknown)
    return entries


def _sysdep_entries(raw: bytes, order: str, unknown: list[set[str]]) -> list[tuple[bytes, bytes]]:
    """The system-dependent ``(msgid, msgstr)`` of a revision-1 file, their segments expanded."""
    try:
        n_segments, segments_at, count, ids_at, strs_at = struct.unpack_from(f"{order}5I", raw, 28)
        names = []
        for i in range(n_segments):
            length, at = struct.unpack_from(f"{order}2I", raw, segments_at + 8 * i)
            if at + length > len(raw):
                raise ValueError("a system-dependent segment points outside the file")
            names.append(raw[at : at + length].split(b"\x00")[0].decode("ascii", errors="replace"))
        values = [sysdep_segment(name) for name in names]
        entries = []
        for i in range(count):
            pair = [
                _sysdep_string(raw, order, struct.unpack_from(f"{order}I", raw, table + 4 * i)[0], values)
                for table in (ids_at, strs_at)
            ]
            missing = {names[ref] for ref in pair[0][1] + pair[1][1]}
            if missing:
                unknown.append(missing)
            else:
                entries.append((pair[0][0], pair[1][0]))
    except struct.error:
        raise ValueError("truncated file (its system-dependent tables)") from None
    return entries


def _sysdep_string(raw: bytes, order: str, at: int, values: list[str | None]) -> tuple[bytes, list[int]]:
    """One system-dependent string at ``at``: its literal pieces joined by the expanded segments (the final
    NUL removed), and the references of the segments with no known expansion."""
    (text_at,) = struct.unpack_from(f"{order}I", raw, at)
    pieces, missing = [], []
    while True:  # (size of a literal piece, the segment after it) pairs, up to _END
        at += 8
        size, ref = struct.unpack_from(f"{order}2I", raw, at - 4)
        if text_at + size > len(raw):
            raise ValueError("a system-dependent message points outside the file")
        pieces.append(raw[text_at : text_at + size])
        text_at += size
        if ref == _END:
            break
        if ref >= len(values):
            raise ValueError(f"a system-dependent message names segment {ref} of {len(values)}")
        value = values[ref]
        if value is None:
            missing.append(ref)
        else:
            pieces.append(value.encode("ascii"))
    return b"".join(pieces).removesuffix(b"\x00"), missing
