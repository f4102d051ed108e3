"""gettext ``.po`` sources as translation pairs: the pairs of the ``.mo`` msgfmt compiles from them, in its order.

Real catalogues round-trip through GNU gettext (msgunfmt writes the ``.po`` of a system ``.mo``); a
hand-written Latin-1 ``.po`` holds what only a source has (fuzzy drafts, obsolete entries, ``#|``
previous msgids, C escapes, strings over several lines) with its exact pairs; malformed files are one
line naming the line, through the CLI too.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from carrousel.nlp.errors import TextDataError
from carrousel.nlp.gettext_pairs import read_mo, read_po
from carrousel.nlp.parallel import read_pairs
from tests.nlp.conftest import Run

LOCALE = Path("/usr/share/locale/de/LC_MESSAGES")
GETTEXT = shutil.which("msgfmt") is not None and shutil.which("msgunfmt") is not None
needs_gettext = pytest.mark.skipif(not GETTEXT, reason="GNU gettext (msgfmt, msgunfmt) is not installed")

HAND = r"""# German translations of a made-up program.
# The header is fuzzy, as a fresh msginit leaves it: msgfmt reads it all the same.
#, fuzzy
msgid ""
msgstr ""
"Project-Id-Version: demo 1.0\n"
"Last-Translator: Jürgen Müller <jm@example.org>\n"
"Language: de\n"
"Content-Type: text/plain; charset=ISO-8859-1\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

#: src/main.c:10
#, c-format
msgid "could not open '%s'"
msgstr "konnte '%s' nicht öffnen"

#. a translator's note, and the msgid it had before
#, fuzzy
#| msgid "cannot read file"
msgid "cannot read the file"
msgstr "Datei nicht lesbar"

msgid "untranslated message"
msgstr ""

msgid "file"
msgid_plural "files"
msgstr[0] "Datei"
msgstr[1] "Dateien"

msgctxt "menu"
msgid "Open"
msgstr "Öffnen"

msgid ""
"a message written "
"over three "
"lines"
msgstr ""
"eine Nachricht über "
"drei Zeilen"

msgid "say \"yes\"\tor \\no\\"
msgstr "sag \"ja\"\toder \\nein\\"

msgid "octal \101 and hex \x42"
msgstr "oktal \101 und hex \x42 \374ber"

msgid "two\nlines"
msgstr "zwei\nZeilen"

#, c-format
msgid "offset %<PRIuMAX> too large"
msgstr "Versatz %<PRIuMAX> zu groß"

#~ msgid "an old message"
#~ msgstr "eine alte Nachricht"

#, fuzzy
#~| msgid "an older one"
#~ msgid "an obsolete draft"
#~ msgstr "ein veralteter Entwurf"

msgid "Zebra comes last"
msgstr "Zebra kommt zuletzt"
"""

# in msgfmt's order, by key bytes: capitals first, a message by its context ("menu\x04Open" under m); then
# the system-dependent ones in the file's order, their <inttypes.h> macros expanded as on LP64 glibc
HAND_PAIRS = [
    ("Zebra comes last", "Zebra kommt zuletzt"),
    ("a message written over three lines", "eine Nachricht über drei Zeilen"),
    ("could not open '%s'", "konnte '%s' nicht öffnen"),
    ("Open", "Öffnen"),
    ("octal A and hex B", "oktal A und hex B über"),
    ('say "yes"\tor \\no\\', 'sag "ja"\toder \\nein\\'),
    ("offset %lu too large", "Versatz %lu zu groß"),  # system-dependent: after the others, expanded
]


def write_po(path: Path, text: str, charset: str = "latin-1") -> Path:
    path.write_bytes(text.encode(charset))
    return path


def msgfmt(po: Path) -> Path:
    """The ``.mo`` GNU msgfmt compiles from ``po`` (no fuzzy entries: its default)."""
    mo = po.with_suffix(".mo")
    subprocess.run(["msgfmt", str(po), "-o", str(mo)], check=True, capture_output=True)
    return mo


@needs_gettext
@pytest.mark.parametrize("name", ["apt", "dpkg", "bash", "gnupg2", "git"])
def test_real_catalogue_as_po_gives_the_pairs_of_its_mo(name: str, tmp_path: Path) -> None:
    """Before .po files were read this was 'unknown pairs format'; git's holds 41 messages msgfmt stores apart
    as system-dependent (%<PRIuMAX>), read from both with their macros expanded (%lu), after the others."""
    mo = LOCALE / f"{name}.mo"
    if not mo.exists():
        pytest.skip(f"no German {name} catalogue in {LOCALE}")
    po = tmp_path / f"{name}.po"
    subprocess.run(["msgunfmt", str(mo), "-o", str(po)], check=True, capture_output=True)
    pairs = read_pairs([po])
    assert pairs == read_pairs([mo])
    assert len(pairs) > 300


def test_hand_written_latin1_po(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    po = write_po(tmp_path / "demo.po", HAND)
    with caplog.at_level(logging.INFO, logger="carrousel.nlp.gettext_pairs"):
        assert read_pairs([po], "en", "de") == HAND_PAIRS
    assert "2 obsolete" in caplog.text and "1 fuzzy" in caplog.text and "system-dependent" not in caplog.text
    assert "1 untranslated" in caplog.text


def test_plural_messages_are_counted_in_left_out(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A catalogue that yields pairs named what it left out but not its plural messages (msgid_plural)."""
    po = write_po(tmp_path / "demo.po", HAND)
    with caplog.at_level(logging.INFO, logger="carrousel.nlp.gettext_pairs"):
        read_po(po)
    assert "(left out: 1 plural, 1 fuzzy, 2 obsolete, 1 untranslated)" in caplog.text
    if GETTEXT:
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="carrousel.nlp.gettext_pairs"):
            read_mo(msgfmt(po))
        assert "(left out: 1 plural)" in caplog.text


@needs_gettext
def test_hand_written_po_as_msgfmt_compiles_it(tmp_path: Path) -> None:
    po = write_po(tmp_path / "demo.po", HAND)
    assert read_po(po) == read_mo(msgfmt(po)) == HAND_PAIRS


def test_multibyte_charset_with_a_backslash_byte(tmp_path: Path) -> None:
    """In Shift_JIS the second byte of 表 (0x95 0x5C) is ASCII's backslash: read as characters, not as an escape."""
    text = '\nmsgid ""\nmsgstr "Content-Type: text/plain; charset=Shift_JIS\\n"\n\nmsgid "show table"\nmsgstr "表示"\n'
    po = write_po(tmp_path / "ja.po", text, "shift_jis")
    assert read_po(po) == [("show table", "表示")]
    if GETTEXT:
        assert read_mo(msgfmt(po)) == [("show table", "表示")]


def test_po_of_fuzzy_drafts_alone_says_so(tmp_path: Path) -> None:
    po = write_po(
        tmp_path / "drafts.po", '#, fuzzy\nmsgid "open the file"\nmsgstr "öffne die Datei"\n', "utf-8"
    )
    with pytest.raises(
        TextDataError, match=r"no translation pair but 1 fuzzy drafts.*remove their fuzzy flag"
    ):
        read_pairs([po])


def test_po_language_is_checked_against_the_target(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    po = write_po(tmp_path / "demo.po", HAND)
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        read_pairs([po], "en", "fr")
    assert "declares Language: de" in caplog.text and "pass tgt='de'" in caplog.text


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ('msgid "a"\nmsgstr "b\n', 2, "a quote left open"),
        ('msgid "a"\n\nmsgid "b"\nmsgstr "c"\n', 1, "msgid without a msgstr"),
        ('msgid "a"\nmsgstr "b"\nmsgstr "c"\n', 3, "a second msgstr"),
        ('msgstr "b"\n', 1, "msgstr without a msgid"),
        ('msgid "a\\q"\nmsgstr "b"\n', 1, "invalid escape \\q"),
        (
            'msgid "a"\nmsgstr "b"\n\nmsgid "a"\nmsgstr "c"\n',
            4,
            "second definition of a message (the first at line 1)",
        ),
        ('#, fuzzy\nmsgid "a"\nmsgstr "b"\n\nmsgid "a"\nmsgstr "c"\n', 5, "(the first at line 2)"),
        ('msgid "a"\nmsgstr[0] "b"\n', 1, "msgstr[N] without a msgid_plural"),
        ('msgid "a"\nmsgtxt "b"\n', 2, "unknown keyword 'msgtxt'"),
        ('msgid "a"\nmsgstr "\xff"\n', 2, "not utf-8 text"),
    ],
)
def test_malformed_po_names_its_line(tmp_path: Path, text: str, line: int, says: str) -> None:
    po = write_po(tmp_path / "bad.po", text)
    with pytest.raises(TextDataError) as err:
        read_pairs([po])
    message = str(err.value)
    assert f"{po}: line {line}" in message and says in message and "\n" not in message


def test_template_and_oversized_catalogues_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pot = write_po(tmp_path / "demo.pot", 'msgid ""\nmsgstr "Content-Type: text/plain; charset=CHARSET\\n"\n')
    with pytest.raises(TextDataError, match=r"demo\.pot is a gettext template.*give a translated \.po"):
        read_pairs([pot])
    renamed = write_po(tmp_path / "template.po", pot.read_text())
    with pytest.raises(TextDataError, match="placeholder charset=CHARSET; set charset=UTF-8"):
        read_pairs([renamed])
    monkeypatch.setattr("carrousel.nlp.gettext_pairs.CATALOGUE_MAX_BYTES", 100)
    with pytest.raises(TextDataError, match=r"over the .* limit"):
        read_pairs([write_po(tmp_path / "demo.po", HAND)])
    with pytest.raises(TextDataError, match="no such file"):
        read_pairs([tmp_path / "missing.po"])


def test_evaluate_scores_a_po_as_its_mo(
    nlp: Callable[..., Run],
    undertrained: Path,
    toy_pairs: Callable[[int, int], set[tuple[str, str]]],
    tmp_path: Path,
) -> None:
    """The cheapest command reading --pairs: the toy translator scored on 40 unseen pairs, once from a .po
    and once from a .mo holding the same messages (compiled by msgfmt where it is installed)."""
    pairs = sorted(toy_pairs(40, 7))
    body = "".join(f'msgid "{s}"\nmsgstr "{t}"\n\n' for s, t in pairs)
    header = 'msgid ""\nmsgstr "Language: de\\nContent-Type: text/plain; charset=UTF-8\\n"\n\n'
    po = write_po(
        tmp_path / "toy.po", header + body + '#, fuzzy\nmsgid "read the manual"\nmsgstr "falsch"\n', "utf-8"
    )
    if GETTEXT:
        mo = msgfmt(po)
    else:
        from tests.nlp.test_nlp_translate_data import write_mo

        mo = write_mo(tmp_path / "toy.mo", {"": "Content-Type: text/plain; charset=UTF-8\n", **dict(pairs)})
    scores = []
    for source in (po, mo):
        run = nlp("translate", "evaluate", "--model", str(undertrained), "--pairs", str(source), "--json")
        assert run.returncode == 0, run.stderr
        scores.append(json.loads(run.stdout))
    assert scores[0]["pairs"] == scores[1]["pairs"] == len(pairs)
    assert scores[0]["bleu"] == scores[1]["bleu"] and scores[0]["chrf"] == scores[1]["chrf"]
    assert scores[0]["examples"] == scores[1]["examples"]


def test_malformed_po_through_the_cli(nlp: Callable[..., Run], undertrained: Path, tmp_path: Path) -> None:
    po = write_po(tmp_path / "bad.po", 'msgid "open"\nmsgstr "öffne\n', "utf-8")
    run = nlp("translate", "evaluate", "--model", str(undertrained), "--pairs", str(po))
    assert run.returncode == 1
    assert f"{po}: line 2" in run.stderr and "Traceback" not in run.stderr
    assert "a quote left open" in run.stderr
