"""``nlp translate --po``: a catalogue's untranslated messages filled as fuzzy machine translations, every other
line written back byte for byte; msgfmt accepts the output and compiles the same ``.mo`` as from the input
(fuzzy entries are left out of it), and the pairs reader reads the same pairs. Before, ``translate`` read
plain text lines only (no ``--po``)."""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from carrousel.nlp.gettext_po import po_layout
from carrousel.nlp.parallel import read_pairs
from carrousel.nlp.pipeline.translate_po import fill_po
from tests.nlp.conftest import Run

GETTEXT = shutil.which("msgfmt") is not None and shutil.which("msgunfmt") is not None
needs_gettext = pytest.mark.skipif(not GETTEXT, reason="GNU gettext (msgfmt, msgunfmt) is not installed")
GREP_MO = Path("/usr/share/locale/de/LC_MESSAGES/grep.mo")

HAND = r"""# German translations of a toy program.
msgid ""
msgstr ""
"Project-Id-Version: toy 1.0\n"
"Language: de\n"
"MIME-Version: 1.0\n"
"Content-Type: text/plain; charset=UTF-8\n"
"Content-Transfer-Encoding: 8bit\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

#: src/main.c:10
msgid "read the file"
msgstr "lies die Datei"

#: src/main.c:12
#, c-format
msgid "open the file %s"
msgstr ""

#. no flags at all
msgid "show the list"
msgstr ""

#, fuzzy
msgid "copy the old name"
msgstr "kopiere alten Namen"

msgctxt "menu"
msgid "copy the name"
msgstr ""

msgid "read "
"all"
msgstr ""
""

msgid "new file"
msgid_plural "new files"
msgstr[0] ""
msgstr[1] ""

msgid "show the file\nnow"
msgstr ""

#, c-format
msgid "%s: %s"
msgstr ""

msgctxt "button"
msgid "open"
msgstr "öffnen"

#~ msgid "old list"
#~ msgstr ""
"""
FILLED = ["open the file %s", "show the list", "copy the name", "read all"]
LEFT = {"plural": 1, "multi-line": 1, "no letter": 1}


def msgfmt(po: Path, *args: str) -> bytes:
    """The ``.mo`` msgfmt compiles from ``po`` (fuzzy entries left out), with ``--check`` and ``args``."""
    mo = po.with_suffix(".mo")
    done = subprocess.run(["msgfmt", *args, str(po), "-o", str(mo)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return mo.read_bytes()


def check_only_fills(before: bytes, after: bytes, filled: int) -> None:
    """Every line of ``before`` is in ``after`` unchanged, but the empty msgstr of ``filled`` entries (now a
    translation) and their flags (one ``fuzzy`` more each)."""
    removed, added = [], []
    for line in difflib.ndiff(before.decode("utf-8").split("\n"), after.decode("utf-8").split("\n")):
        if line[:2] == "- ":
            removed.append(line[2:])
        elif line[:2] == "+ ":
            added.append(line[2:])
    msgstrs = [x for x in added if re.fullmatch(r'msgstr "(?:[^"\\]|\\.)+"', x)]
    flags = [x for x in added if x.startswith("#,")]
    assert len(msgstrs) == filled and len(flags) == filled and len(added) == 2 * filled
    assert all(x.startswith("#, fuzzy") for x in flags)
    assert sorted(x.replace(" fuzzy,", "") for x in flags if x != "#, fuzzy") == sorted(
        x for x in removed if x.startswith("#,")
    )
    assert {x for x in removed if not x.startswith("#,")} <= {'msgstr ""', '""'}
    assert sum(1 for x in after.split(b"\n") if b"fuzzy" in x) == before.count(b"fuzzy") + filled


def test_a_hand_written_po_filled_with_a_toy_model(tmp_path: Path, undertrained: Path) -> None:
    from carrousel.nlp.config import DecodeConfig
    from carrousel.nlp.pipeline.translate import Translator
    from carrousel.nlp.pipeline.translate_po import fill_po_file

    po = tmp_path / "de.po"
    po.write_text(HAND, encoding="utf-8")
    r = fill_po_file(po, Translator.from_pretrained(undertrained), DecodeConfig(beam=2))
    assert (r.filled, r.left, r.translated, r.drafts) == (len(FILLED), LEFT, 3, 1)
    check_only_fills(HAND.encode("utf-8"), r.data, len(FILLED))
    out = tmp_path / "filled.po"
    out.write_bytes(r.data)
    filled = {m.msgid: m for m in po_layout(r.data).messages if m.msgstr and "fuzzy" in m.flags}
    assert sorted(filled) == sorted([*FILLED, "copy the old name"])
    assert filled["open the file %s"].flags == {"fuzzy", "c-format"}
    assert filled["copy the name"].context == "menu"
    assert read_pairs([out]) == read_pairs([po])
    if GETTEXT:
        assert msgfmt(out, "--check") == msgfmt(po, "--check")


def fake(texts: list[str]) -> list[str]:
    """Translations that test the writing: a quote, a backslash, a tab, a euro sign and text around them."""
    return [
        {"save": 'speichere "alles" in C:\\temp\tjetzt', "euro": "Preis in €"}.get(t, t.upper())
        for t in texts
    ]


LATIN1 = (
    '# Latin-1, CRLF\r\nmsgid ""\r\nmsgstr ""\r\n"Language: de\\n"\r\n'
    '"Content-Type: text/plain; charset=ISO-8859-1\\n"\r\n\r\n'
    '#: a.c:1\r\nmsgid "Grüße"\r\nmsgstr "Grüße"\r\n\r\n'
    'msgid "save"\r\nmsgstr ""\r\n\r\nmsgid "euro"\r\nmsgstr ""\r\n\r\n'
    '#, c-format\r\nmsgid "usage: %s\\n"\r\nmsgstr ""\r\n'
)


def test_charset_escapes_and_line_endings_are_the_files(tmp_path: Path) -> None:
    raw = LATIN1.encode("latin-1")
    r = fill_po(raw, fake)
    assert (r.filled, r.left, r.translated) == (2, {"unencodable": 1}, 1)
    expected = (
        LATIN1.replace(
            'msgid "save"\r\nmsgstr ""',
            '#, fuzzy\r\nmsgid "save"\r\nmsgstr "speichere \\"alles\\" in C:\\\\temp\\tjetzt"',
        ).replace(
            '#, c-format\r\nmsgid "usage: %s\\n"\r\nmsgstr ""',
            '#, fuzzy, c-format\r\nmsgid "usage: %s\\n"\r\nmsgstr "USAGE: %S\\n"',
        )
    ).encode("latin-1")
    assert r.data == expected
    messages = {m.msgid: m.msgstr for m in po_layout(r.data).messages}
    assert messages["save"] == 'speichere "alles" in C:\\temp\tjetzt'
    if GETTEXT:
        (tmp_path / "x.po").write_bytes(r.data)
        msgfmt(tmp_path / "x.po", "--check")


def test_a_template_gets_a_charset_and_the_models_language(tmp_path: Path) -> None:
    pot = (
        '#, fuzzy\nmsgid ""\nmsgstr ""\n"Project-Id-Version: PACKAGE VERSION\\n"\n"Language: \\n"\n'
        '"Content-Type: text/plain; charset=CHARSET\\n"\n"Plural-Forms: nplurals=INTEGER; plural=EXPRESSION;\\n"\n\n'
        'msgid "euro"\nmsgstr ""\n\nmsgid "show all"\nmsgstr ""\n'
    )
    r = fill_po(pot.encode("ascii"), fake, "de")
    assert r.template and r.filled == 2 and r.left == {}
    assert r.data.decode("utf-8") == (
        pot.replace("CHARSET", "UTF-8")
        .replace('"Language: \\n"', '"Language: de\\n"')
        .replace('msgid "euro"\nmsgstr ""', '#, fuzzy\nmsgid "euro"\nmsgstr "Preis in €"')
        .replace('msgid "show all"\nmsgstr ""', '#, fuzzy\nmsgid "show all"\nmsgstr "SHOW ALL"')
    )


@needs_gettext
@pytest.mark.skipif(not GREP_MO.is_file(), reason=f"{GREP_MO} is not installed")
def test_a_real_catalogue_with_blanked_messages(tmp_path: Path, undertrained: Path) -> None:
    """grep's German catalogue (msgunfmt), every third translatable singular message blanked, filled."""
    from carrousel.nlp.config import DecodeConfig
    from carrousel.nlp.pipeline.translate import Translator
    from carrousel.nlp.pipeline.translate_po import fill_po_file

    full = tmp_path / "full.po"
    subprocess.run(["msgunfmt", str(GREP_MO), "-o", str(full)], check=True, capture_output=True)
    raw = full.read_bytes()
    lines = raw.split(b"\n")
    singular = [
        m for m in po_layout(raw).messages if m.msgid and not m.plural and "\n" not in m.msgid.strip()
    ]
    blanked = singular[::3]
    for m in reversed(blanked):
        first, last = m.msgstr_lines
        lines[first - 1 : last] = [b'msgstr ""']
    po = tmp_path / "blanked.po"
    po.write_bytes(b"\n".join(lines))
    r = fill_po_file(po, Translator.from_pretrained(undertrained), DecodeConfig(beam=1, mbr=False))
    assert r.filled + sum(r.left.values()) == len(blanked) and r.filled > 0.9 * len(blanked)
    check_only_fills(po.read_bytes(), r.data, r.filled)
    out = tmp_path / "filled.po"
    out.write_bytes(r.data)
    assert msgfmt(out, "--check") == msgfmt(po, "--check")


def test_cli_fills_reports_and_refuses(tmp_path: Path, undertrained: Path, nlp: Callable[..., Run]) -> None:
    po, out = tmp_path / "de.po", tmp_path / "filled.po"
    po.write_text(HAND, encoding="utf-8")
    done = nlp("translate", "--model", str(undertrained), "--po", str(po), "-o", str(out), "--beam", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "filled 4 (fuzzy), left untranslated 3 (1 plural, 1 multi-line, 1 no letter), already translated 3 "
        f"(1 fuzzy); written to {out}"
    )
    check_only_fills(HAND.encode("utf-8"), out.read_bytes(), 4)
    done = nlp("translate", "--model", str(undertrained), "--po", str(po), "-o", str(out), "--json")
    assert json.loads(done.stdout)["left_reasons"] == LEFT
    done = nlp("translate", "--model", str(undertrained), "--po", str(po))  # the catalogue on stdout
    assert done.returncode == 0 and done.stdout.count("#, fuzzy") == 5 and "filled 4" in done.stderr
    bad, never = tmp_path / "bad.po", tmp_path / "never.po"
    bad.write_text('msgid "a"\nmsgstr "b\n', encoding="utf-8")
    done = nlp("translate", "--model", str(undertrained), "--po", str(bad), "-o", str(never))
    assert done.returncode == 1 and "line 2" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr and not never.exists()
    assert nlp("translate", "--model", str(undertrained), "-o", str(never), "hello").returncode == 2
    assert nlp("translate", "--model", str(undertrained), "--po", str(po), "-o", str(po)).returncode == 1


def test_a_compiled_mo_is_named_with_the_command_that_decompiles_it(
    tmp_path: Path, undertrained: Path, nlp: Callable[..., Run]
) -> None:
    """``--po grep.mo`` (the compiled catalogue under /usr/share/locale, the one a user finds first) and a
    ``.mo`` named ``.po`` given to ``--pairs``: one line saying it is a ``.mo`` and what to do. Before, the
    .po parser's "line 1: unknown keyword 'Þ\\x12\\x04\\x95\\x00...'; a .po entry holds msgctxt, msgid,
    msgstr"."""
    mo, out = tmp_path / "grep.mo", tmp_path / "filled.po"
    mo.write_bytes(b"\xde\x12\x04\x95" + bytes(24))  # a .mo's magic number (little-endian) and an empty table
    done = nlp("translate", "--model", str(undertrained), "--po", str(mo), "-o", str(out))
    assert done.returncode == 1 and "Traceback" not in done.stderr and not out.exists()
    assert done.stderr.strip() == (
        f"error: {mo} is a compiled gettext .mo catalogue, not a .po source; fill its .po source "
        "(msgunfmt grep.mo -o grep.po writes one)"
    )
    named_po = tmp_path / "de.po"
    named_po.write_bytes(b"\x95\x04\x12\xde" + bytes(24))  # big-endian
    done = nlp("translate", "evaluate", "--model", str(undertrained), "--pairs", str(named_po))
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1
    assert "is a compiled gettext .mo catalogue, not a .po source; name it .mo" in done.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_the_catalogue_on_a_full_stdout_names_standard_output(tmp_path: Path, undertrained: Path) -> None:
    """``nlp translate --po de.po > /dev/full``: main wrote the catalogue with typer.echo outside core's
    writing_stdout() and said 'error: No space left on device; ...' (no path named); now the one line of the
    other commands' results (core's writing_stdout()), exit 1."""
    po = tmp_path / "de.po"
    po.write_text(HAND, encoding="utf-8")
    cmd = "from carrousel.nlp.cli import main; main()"
    with open("/dev/full", "w") as full:
        r = subprocess.run(
            [sys.executable, "-c", cmd, "translate", "--model", str(undertrained), "--po", str(po)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert r.returncode == 1, r.stderr
    assert r.stderr.strip().splitlines() == [
        "error: cannot write standard output (No space left on device); "
        "send it to a writable file with free space, or to a pipe"
    ], r.stderr
