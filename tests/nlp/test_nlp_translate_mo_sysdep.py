"""The system-dependent messages of a ``.mo`` (format revision 1): read, their ``<inttypes.h>`` macros expanded.

msgfmt stores a C-format message using ``%<PRIuMAX>`` (or a translation using the ``I`` flag) in a second
table, as literal pieces joined by named segments; before it was read, those messages were silently lost
(41 of git's German ones). The catalogues here are written byte by byte, so msgfmt is not needed.
"""

from __future__ import annotations

import logging
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from carrousel.nlp.errors import TextDataError
from carrousel.nlp.gettext_mo import mo_catalogue, sysdep_segment
from carrousel.nlp.gettext_pairs import read_mo, read_po

GIT_MO = Path("/usr/share/locale/de/LC_MESSAGES/git.mo")
_END = 0xFFFFFFFF
_SEGMENT = re.compile(rb"<(\w+)>")
HEADER = "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=2; plural=(n != 1);\n"


def write_sysdep_mo(
    path: Path, static: dict[str, str], sysdep: list[tuple[str, str]], order: str = "<"
) -> Path:
    """A revision-1 ``.mo`` as msgfmt writes it: ``static`` messages in the first table, ``sysdep`` ones in
    the second, each ``<NAME>`` in their msgid (before a plural's NUL) and translations a named segment."""
    keys = sorted(static)
    n, nsd = len(keys), len(sysdep)
    names: list[bytes] = []
    structures: list[tuple[bytes, list[tuple[int, int]]]] = []  # (literal text, (size, segment) pieces)
    for key, value in sysdep:
        for text, plural in (key.encode().partition(b"\0")[::2], (value.encode(), b"")):
            parts = _SEGMENT.split(text)
            refs = []
            for name in parts[1::2]:
                if name not in names:
                    names.append(name)
                refs.append(names.index(name))
            literals = parts[0::2]
            literals[-1] += (b"\0" + plural if plural else b"") + b"\0"
            structures.append((b"".join(literals), [*zip(map(len, literals), [*refs, _END], strict=True)]))
    tables_at = 48
    segments_at = tables_at + 16 * n
    sysdep_at = segments_at + 8 * len(names)
    structures_at = sysdep_at + 8 * nsd
    data_at = structures_at + sum(4 + 8 * len(pieces) for _, pieces in structures)
    data = bytearray()

    def put(blob: bytes) -> tuple[int, int]:
        data.extend(blob + b"\0")
        return len(blob), data_at + len(data) - len(blob) - 1

    ids = [put(k.encode()) for k in keys]
    strs = [put(static[k].encode()) for k in keys]
    segments = [put(name) for name in names]
    body = bytearray()
    struct_offsets = []
    for text, pieces in structures:
        struct_offsets.append(structures_at + len(body))
        body += struct.pack(f"{order}I", data_at + len(data))
        data.extend(text)
        for size, ref in pieces:
            body += struct.pack(f"{order}2I", size, ref)
    head = struct.pack(
        f"{order}12I", 0x950412DE, 1, n, tables_at, tables_at + 8 * n, 0, 0,
        len(names), segments_at, nsd, sysdep_at, sysdep_at + 4 * nsd,
    )  # fmt: skip
    tables = b"".join(struct.pack(f"{order}2I", *x) for x in ids + strs + segments)
    tables += b"".join(struct.pack(f"{order}I", o) for o in struct_offsets[0::2] + struct_offsets[1::2])
    path.write_bytes(head + tables + bytes(body) + bytes(data))
    return path


STATIC = {"": HEADER, "could not open '%s'": "konnte '%s' nicht öffnen", "file\0files": "Datei\0Dateien"}
SYSDEP = [
    ("offset %<PRIuMAX> too large", "Versatz %<PRIuMAX> zu groß"),
    ("pack\x04object %<PRIx64> at %<PRIu32>", "Objekt %<PRIx64> bei %<PRIu32> (%<I>d)"),  # a context, I flag
    ("%<PRIuMAX> byte missing\0%<PRIuMAX> bytes missing", "%<PRIuMAX> Byte fehlt\0%<PRIuMAX> Bytes fehlen"),
]


@pytest.mark.parametrize("order", ["<", ">"])
def test_system_dependent_messages_are_read_expanded(tmp_path: Path, order: str) -> None:
    """Before: only the static message was read. The plural form is skipped, as the static table's is."""
    mo = write_sysdep_mo(tmp_path / "x.mo", STATIC, SYSDEP, order)
    assert read_mo(mo) == [
        ("could not open '%s'", "konnte '%s' nicht öffnen"),
        ("offset %lu too large", "Versatz %lu zu groß"),
        ("object %lx at %u", "Objekt %lx bei %u (%Id)"),
    ]


def test_unknown_macros_leave_their_messages_out_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    unknown = [("size %<PRIfoo> here", "Größe %<PRIfoo> hier"), ("read %<SCNd64>", "lies %<SCNd64>")]
    mo = write_sysdep_mo(tmp_path / "x.mo", STATIC, [*unknown, SYSDEP[0], unknown[0]])
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        messages, _, _ = mo_catalogue(mo.read_bytes())
    assert messages == [
        ("could not open '%s'", "konnte '%s' nicht öffnen"),
        ("offset %lu too large", "Versatz %lu zu groß"),
    ]
    assert len(caplog.records) == 1
    assert "3 system-dependent messages left out" in caplog.text and "PRIfoo, SCNd64" in caplog.text


def test_damaged_system_dependent_tables_are_one_line_errors(tmp_path: Path) -> None:
    good = write_sysdep_mo(tmp_path / "good.mo", STATIC, SYSDEP).read_bytes()
    n_static = len(STATIC)
    damaged = {
        "segments_at": good[:32] + struct.pack("<I", len(good) + 8) + good[36:],
        "strings_at": good[:40] + struct.pack("<I", len(good)) + good[44:],
        "cut": good[: 48 + 16 * n_static + 20],
    }
    string_at = struct.unpack_from("<I", good, 40)[0]
    structure_at = struct.unpack_from("<I", good, string_at)[0]
    damaged["text_at"] = good[:structure_at] + struct.pack("<I", len(good) - 2) + good[structure_at + 4 :]
    damaged["segment"] = good[: structure_at + 8] + struct.pack("<I", 99) + good[structure_at + 12 :]
    for name, raw in damaged.items():
        bad = tmp_path / f"{name}.mo"
        bad.write_bytes(raw)
        with pytest.raises(
            TextDataError, match=r"not a gettext \.mo catalogue \(.*(outside|truncated|segment 99)"
        ):
            read_mo(bad)


def test_po_expands_macros_as_the_mo_does(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    po = tmp_path / "x.po"
    po.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#, c-format\nmsgid "size %<PRIfoo> here"\nmsgstr "Größe %<PRIfoo> hier"\n\n'
        '#, c-format\nmsgctxt "pack"\nmsgid "object %<PRIx64> at %<PRIu32>"\nmsgstr "Objekt %<PRIx64> bei %<PRIu32> (%Id)"\n\n'
        'msgid "could not open"\nmsgstr "konnte nicht öffnen"\n',
        encoding="utf-8",
    )
    with caplog.at_level(logging.INFO, logger="carrousel"):
        assert read_po(po) == [
            ("could not open", "konnte nicht öffnen"),
            ("object %lx at %u", "Objekt %lx bei %u (%Id)"),
        ]
    assert "1 unknown macro" in caplog.text


def test_segment_expansions_as_on_lp64_glibc() -> None:
    expected = {
        "PRIuMAX": "lu",
        "PRId64": "ld",
        "PRIxPTR": "lx",
        "PRIXFAST32": "lX",
        "PRId32": "d",
        "PRIoLEAST8": "o",
    }
    assert {name: sysdep_segment(name) for name in expected} == expected
    assert sysdep_segment("I") == "I"
    assert [sysdep_segment(name) for name in ("PRIfoo", "SCNd64", "PRIq64", "")] == [None] * 4


@pytest.mark.skipif(not GIT_MO.exists(), reason="no German git catalogue in /usr/share/locale")
def test_real_git_catalogue_has_its_system_dependent_messages() -> None:
    """git's German catalogue stores 41 messages apart (15 of them plural forms): before, none was read."""
    raw = GIT_MO.read_bytes()
    static_only = raw[:4] + struct.pack("<I", 0) + raw[8:]  # revision 0: the static table alone
    before, _, _ = mo_catalogue(static_only)
    after, _, _ = mo_catalogue(raw)
    assert after[: len(before)] == before
    added = after[len(before) :]
    assert ("timestamp too large for this system: %lu", "Timestamp zu groß für dieses System: %lu") in added
    assert ("pack version %u unsupported", "Paketversion %u nicht unterstützt") in read_mo(GIT_MO)
    assert not any("<PRI" in s or "<PRI" in t for s, t in added)
    if shutil.which("msgunfmt"):  # its .po holds them as %<PRIuMAX>: one singular message each
        po = subprocess.run(["msgunfmt", str(GIT_MO)], check=True, capture_output=True, text=True).stdout
        blocks = [b for b in po.split("\n\n") if "%<" in b.split("msgstr")[0] and "msgid_plural" not in b]
        assert len(added) == len(blocks) > 20
