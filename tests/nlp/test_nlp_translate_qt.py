"""Qt Linguist catalogues (``.ts`` and ``.qm``) and gzip-compressed TSV/JSONL/text pairs for ``read_pairs`` and
``nlp translate --pairs`` (before: ``.ts``/``.qm`` refused as an unknown pairs format, ``.tsv.gz`` read as
gzip bytes): the pairs of a ``.ts`` and of the ``.qm`` lrelease compiled from it, Qt's own German catalogue,
languages checked, damaged files one line each."""

from __future__ import annotations

import gzip
import json
import shutil
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from carrousel.nlp.errors import TextDataError
from carrousel.nlp.parallel import read_pairs
from carrousel.nlp.qt_linguist import qm_language
from tests.nlp.conftest import Run

DATA = Path(__file__).parent / "data"
QM = DATA / "qt_toy_de.qm"  # `lrelease -nounfinished toy_de.ts -qm qt_toy_de.qm` (Qt 5.15.8) of toy_ts()
QTBASE_DE = Path("/usr/share/qt5/translations/qtbase_de.qm")  # Debian's qttranslations5-l10n
Pair = tuple[str, str]

# (context, source, <translation> XML, comment): the catalogue of toy_ts()
MESSAGES: list[tuple[str, str, str, str]] = [
    ("QDialogButtonBox", "&Cancel", "<translation>&amp;Abbrechen</translation>", ""),
    ("QDialogButtonBox", "&Yes", "<translation>&amp;Ja</translation>", ""),
    ("QDialogButtonBox", "Save", "<translation>Speichern</translation>", ""),
    ("QFileDialog", "Save", "<translation>Sichern</translation>", ""),  # one source, two contexts
    (
        "QFileDialog",
        "Could not delete directory.",
        "<translation>Konnte Verzeichnis nicht löschen.</translation>",
        "",
    ),
    ("QFileDialog", "Tab & <Escape>", "<translation>Tabulator &amp; &lt;Escape&gt;</translation>", ""),
    (
        "QFileDialog",
        "%n file(s)",
        "<translation><numerusform>%n Datei</numerusform><numerusform>%n Dateien</numerusform></translation>",
        "",
    ),
    (
        "QFileDialog",
        "Delete the selected file",
        '<translation variants="yes"><lengthvariant>Die ausgewählte Datei löschen</lengthvariant>'
        "<lengthvariant>Datei löschen</lengthvariant></translation>",
        "",
    ),
    ("QPrintDialog", "Print", "<translation>Drucken</translation>", "verb"),
    ("QFileDialog", "Open", '<translation type="unfinished">Öffnen</translation>', ""),
    ("QFileDialog", "Rename", '<translation type="unfinished"></translation>', ""),
    ("QFileDialog", "Old", '<translation type="vanished">Alt</translation>', ""),
    ("QFileDialog", "Older", '<translation type="obsolete">Älter</translation>', ""),
    (
        "QFileDialog",
        "%1 already exists.\nReplace it?",
        "<translation>%1 existiert.\nErsetzen?</translation>",
        "",
    ),
    ("QFileDialog", "%1: %2", "<translation>%1: %2</translation>", ""),
]
PAIRS: list[Pair] = [
    ("&Cancel", "&Abbrechen"),
    ("&Yes", "&Ja"),
    ("Save", "Speichern"),
    ("Save", "Sichern"),
    ("Could not delete directory.", "Konnte Verzeichnis nicht löschen."),
    ("Tab & <Escape>", "Tabulator & <Escape>"),
    ("%n file(s)", "%n Datei"),  # the first plural form
    ("Delete the selected file", "Die ausgewählte Datei löschen"),  # the first length variant
    ("Print", "Drucken"),
]


def toy_ts(path: Path, language: str = "de_DE", source_language: str = "en") -> Path:
    """A TS 2.1 file of :data:`MESSAGES`, one ``<context>`` per run of messages of one context."""
    body, last = [], None
    for context, source, translation, comment in MESSAGES:
        if context != last:
            body.append(("</context>\n" if last else "") + f"<context>\n    <name>{context}</name>\n")
            last = context
        numerus = ' numerus="yes"' if "numerusform" in translation else ""
        note = f"\n        <comment>{comment}</comment>" if comment else ""
        body.append(
            f"    <message{numerus}>\n        <source>{escape(source)}</source>{note}\n"
            f"        {translation}\n    </message>\n"
        )
    languages = f' language="{language}"' * bool(language) + f' sourcelanguage="{source_language}"' * bool(
        source_language
    )
    path.write_text(
        f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n<TS version="2.1"{languages}>\n'
        + "".join(body)
        + "</context>\n</TS>\n",
        encoding="utf-8",
    )
    return path


def test_a_ts_gives_its_finished_messages_in_order(tmp_path: Path) -> None:
    path = toy_ts(tmp_path / "toy_de.ts")
    assert read_pairs([path], "en", "de") == PAIRS
    assert read_pairs([path], "de", "en") == [(t, s) for s, t in PAIRS]  # a reversed direction reads swapped
    packed = tmp_path / "toy_de.ts.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    assert read_pairs([packed], "EN", "de-DE") == PAIRS
    bare = toy_ts(tmp_path / "bare.ts", language="", source_language="")  # TS 2.0 names no language
    assert read_pairs([bare], "en", "fr") == PAIRS


def test_the_qm_lrelease_compiled_gives_the_same_pairs(tmp_path: Path) -> None:
    pairs = read_pairs([QM], "en", "de")
    assert sorted(pairs) == sorted(PAIRS)  # lrelease sorts messages by context and source
    packed = tmp_path / "qt_toy_de.qm.gz"
    packed.write_bytes(gzip.compress(QM.read_bytes()))
    assert read_pairs([packed], "en", "de") == pairs


@pytest.mark.skipif(shutil.which("lrelease") is None, reason="no lrelease (Debian's qttools5-dev-tools)")
def test_the_fixture_is_what_lrelease_makes_of_the_test_ts(tmp_path: Path) -> None:
    source = toy_ts(tmp_path / "toy_de.ts")
    out = tmp_path / "toy.qm"
    subprocess.run(
        ["lrelease", "-nounfinished", str(source), "-qm", str(out)], check=True, capture_output=True
    )
    assert out.read_bytes() == QM.read_bytes()


def _sections(raw: bytes) -> list[tuple[int, bytes]]:
    out, at = [], 16
    while at < len(raw):
        size = struct.unpack_from(">I", raw, at + 1)[0]
        out.append((raw[at], raw[at + 5 : at + 5 + size]))
        at += 5 + size
    return out


def _qm(sections: list[tuple[int, bytes]]) -> bytes:
    return QM.read_bytes()[:16] + b"".join(bytes([t]) + struct.pack(">I", len(d)) + d for t, d in sections)


def test_qm_language_from_its_section_else_its_name(tmp_path: Path) -> None:
    assert _sections(QM.read_bytes())[0][0] == 0xA7  # lrelease wrote the language: de_DE
    with pytest.raises(TextDataError, match=r"translates \? -> de_DE, not en -> fr; pass --tgt de_DE"):
        read_pairs([QM], "en", "fr")
    unnamed = [(t, d) for t, d in _sections(QM.read_bytes()) if t != 0xA7]
    (tmp_path / "app_fr_FR.qm").write_bytes(_qm(unnamed))
    with pytest.raises(
        TextDataError, match=r"app_fr_FR.qm translates \? -> fr, not en -> de"
    ):  # its primary tag
        read_pairs([tmp_path / "app_fr_FR.qm"], "en", "de")
    (tmp_path / "app.qm").write_bytes(_qm(unnamed))  # no language anywhere: accepted
    assert sorted(read_pairs([tmp_path / "app.qm"], "en", "fr")) == sorted(PAIRS)


def test_ts_of_other_languages_is_one_line(tmp_path: Path, nlp: Callable[..., Run]) -> None:
    path = toy_ts(tmp_path / "toy_ru.ts", language="ru_RU")
    with pytest.raises(
        TextDataError, match=r"translates en -> ru_RU, not en -> de; pass --src en --tgt ru_RU"
    ):
        read_pairs([path], "en", "de")


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda raw: b"\x00" * 16 + raw[16:], "does not start with the .qm magic number"),
        (lambda raw: raw[:-1], "truncated section 0x88"),  # the plural rules, last of the file
        (lambda raw: raw[:-20], "truncated section 0x69"),  # the messages, before them
        (lambda raw: raw[:16] + b"\xa7\x00", "truncated section header"),
        (lambda raw: b"", "is empty"),
    ],
)
def test_damaged_qm_is_one_line(damage: Callable[[bytes], bytes], says: str, tmp_path: Path) -> None:
    path = tmp_path / "bad_de.qm"
    path.write_bytes(damage(QM.read_bytes()))
    with pytest.raises(TextDataError, match=says) as info:
        read_pairs([path], "en", "de")
    assert "\n" not in str(info.value)


def test_damaged_messages_and_meta_catalogues(tmp_path: Path) -> None:
    sections = _sections(QM.read_bytes())
    unknown = [(t, b"\x42" + d if t == 0x69 else d) for t, d in sections]
    (tmp_path / "tag_de.qm").write_bytes(_qm(unknown))
    with pytest.raises(TextDataError, match="unknown message tag 66 at byte 0"):
        read_pairs([tmp_path / "tag_de.qm"], "en", "de")
    unended = [(t, d[:-1] if t == 0x69 else d) for t, d in sections]
    (tmp_path / "end_de.qm").write_bytes(_qm(unended))
    with pytest.raises(TextDataError, match="the last message has no end tag"):
        read_pairs([tmp_path / "end_de.qm"], "en", "de")
    name = "qtbase_de".encode("utf-16-be")
    meta = [(0xA7, b"de"), (0x96, struct.pack(">I", len(name)) + name), (0x88, b"\x01\x02")]
    (tmp_path / "qt_de.qm").write_bytes(_qm(meta))  # Qt's qt_de.qm only loads qtbase_de and others
    with pytest.raises(
        TextDataError, match=r"holds no message: it only loads other catalogues \(qtbase_de\)"
    ):
        read_pairs([tmp_path / "qt_de.qm"], "en", "de")


def test_ts_errors_are_one_line(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.ts"
    bomb.write_text('<?xml version="1.0"?>\n<!DOCTYPE TS [<!ENTITY a "aaaa">]>\n<TS><context/></TS>\n')
    with pytest.raises(TextDataError, match=r"declares a DTD inside <!DOCTYPE TS>, refused"):
        read_pairs([bomb], "en", "de")
    other = tmp_path / "other.ts"
    other.write_text('<?xml version="1.0"?>\n<xliff version="1.2"/>\n')
    with pytest.raises(TextDataError, match=r"<xliff> root, not a Qt Linguist catalogue"):
        read_pairs([other], "en", "de")
    drafts = tmp_path / "drafts.ts"
    drafts.write_text(
        '<TS language="de"><context><name>A</name><message><source>Open</source>'
        '<translation type="unfinished">Öffnen</translation></message></context></TS>'
    )
    with pytest.raises(TextDataError, match=r"no finished translation \(left out: 1 unfinished\)"):
        read_pairs([drafts], "en", "de")


@pytest.mark.skipif(not QTBASE_DE.exists(), reason="no Qt German catalogue (Debian's qttranslations5-l10n)")
def test_qt_own_german_catalogue(tmp_path: Path) -> None:
    pairs = read_pairs([QTBASE_DE], "en", "de")
    assert len(pairs) >= 1758  # qttranslations5-l10n 5.15.8: 1758 of its 1786 messages
    for pair in [("&Cancel", "&Abbrechen"), ("&Yes", "&Ja"), ("Save", "Speichern"), ("Open", "Öffnen")]:
        assert pair in pairs
    with pytest.raises(TextDataError, match=r"translates \? -> de_DE, not en -> fr"):
        read_pairs([QTBASE_DE], "en", "fr")


def _tsv(path: Path, pairs: list[Pair]) -> None:
    path.write_text("en\tde\n" + "".join(f"{s}\t{t}\n" for s, t in pairs), encoding="utf-8")


def _jsonl(path: Path, pairs: list[Pair]) -> None:
    path.write_text("".join(json.dumps({"en": s, "de": t}) + "\n" for s, t in pairs), encoding="utf-8")


@pytest.mark.parametrize("name", ["p.tsv", "p.jsonl", "p.json", "p.tab", "p.txt"])
def test_gzip_tsv_and_jsonl_equal_plain(name: str, tmp_path: Path) -> None:
    plain = tmp_path / name
    (_jsonl if ".json" in name else _tsv)(plain, PAIRS)
    packed = tmp_path / f"{name}.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert read_pairs([packed], "en", "de") == read_pairs([plain], "en", "de") == PAIRS
    cut = tmp_path / f"cut{name}.gz"
    cut.write_bytes(packed.read_bytes()[:-9])
    with pytest.raises(TextDataError, match="is a damaged gzip file"):
        read_pairs([cut], "en", "de")


def test_gzip_aligned_text_files(tmp_path: Path) -> None:
    for side, texts in (("en", [s for s, _ in PAIRS]), ("de", [t for _, t in PAIRS])):
        (tmp_path / f"a.{side}.txt.gz").write_bytes(gzip.compress("\n".join(texts).encode()))
    assert read_pairs([tmp_path / "a.en.txt.gz", tmp_path / "a.de.txt.gz"], "en", "de") == PAIRS
    (tmp_path / "a.po.gz").write_bytes(b"")
    with pytest.raises(TextDataError, match="a compressed gettext catalogue; gunzip it first"):
        read_pairs([tmp_path / "a.po.gz"], "en", "de")


def test_gzip_pairs_keep_every_check_of_plain_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Compressed pairs go through carrousel.core.files.read_text: a byte-order mark under the gzip is no
    part of the header, a name ending ``.GZ`` is decompressed too (the nlp reader lowered the suffix; core
    did not), bytes neither UTF-8 nor Windows-1252 are one error naming the file and the byte, the decompressed size is bounded
    (the nlp reader had no bound), and every refusal is a TextDataError: a missing file "no such file"
    as nlp's other readers say, an empty one, a binary one (NUL bytes)."""
    bom = tmp_path / "bom.tsv.gz"
    bom.write_bytes(gzip.compress("\ufeffen\tde\nhello\thallo\n".encode()))
    assert read_pairs([bom], "en", "de") == [("hello", "hallo")]
    upper = tmp_path / "UPPER.TSV.GZ"
    upper.write_bytes(bom.read_bytes())
    assert read_pairs([upper], "en", "de") == [("hello", "hallo")]
    latin = tmp_path / "latin.tsv.gz"  # Latin-1 is read as Windows-1252 (one warning), as plain text is
    latin.write_bytes(gzip.compress("en\tde\ncaf\u00e9\tKaffee\n".encode("latin-1")))
    assert read_pairs([latin], "en", "de") == [("caf\u00e9", "Kaffee")]
    neither = tmp_path / "neither.tsv.gz"  # 0x81: no Windows-1252 character either
    neither.write_bytes(gzip.compress(b"en\tde\ncaf\x81\tKaffee\n"))
    with pytest.raises(
        TextDataError,
        match=r"neither.tsv.gz is not UTF-8 or Windows-1252 text: byte 0x81 on line 2.*convert it",
    ):
        read_pairs([neither], "en", "de")
    bomb = tmp_path / "bomb.txt.gz"
    bomb.write_bytes(gzip.compress(b"hello\thallo\n" * 1000))
    monkeypatch.setattr("carrousel.nlp.parallel.PAIRS_MAX_BYTES", 4096)
    with pytest.raises(TextDataError, match=r"bomb.txt.gz decompresses to over"):
        read_pairs([bomb], "en", "de")
    monkeypatch.undo()
    with pytest.raises(TextDataError, match=r"missing.tsv.gz: no such file; check the path"):
        read_pairs([tmp_path / "missing.tsv.gz"], "en", "de")
    (tmp_path / "empty.tsv").write_bytes(b"")
    with pytest.raises(TextDataError, match=r"empty.tsv is empty"):
        read_pairs([tmp_path / "empty.tsv"], "en", "de")
    (tmp_path / "nul.tsv.gz").write_bytes(gzip.compress(b"a\x00\tb\n"))
    with pytest.raises(TextDataError, match=r"nul.tsv.gz holds NUL bytes"):
        read_pairs([tmp_path / "nul.tsv.gz"], "en", "de")
    with pytest.raises(TextDataError, match=r"a.en.gz is a damaged gzip file"):
        (tmp_path / "a.en.gz").write_bytes(b"plain")
        (tmp_path / "a.de").write_bytes(b"plain")
        read_pairs([tmp_path / "a.en.gz", tmp_path / "a.de"], "en", "de")


def test_evaluate_reads_a_qm(undertrained: Path, tmp_path: Path, nlp: Callable[..., Run]) -> None:
    run = nlp(
        "translate", "evaluate", "--model", str(undertrained), "--pairs", str(QM), "--split", "all", "--json"
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["pairs"] == len(dict(PAIRS))  # "Save" once: clean_pairs keeps a source once
    french = tmp_path / "toy_fr.ts"
    toy_ts(french, language="fr")
    run = nlp("translate", "evaluate", "--model", str(undertrained), "--pairs", str(french), "--split", "all")
    assert run.returncode == 1 and "the model translates en -> de" in run.stderr
    assert "Traceback" not in run.stderr


def test_train_on_a_qm_naming_no_language_needs_tgt(tmp_path: Path, nlp: Callable[..., Run]) -> None:
    """A ``.qm`` with no language section and no tag in its name (``app.qm``, as Qt 4's lrelease writes it):
    ``translate train`` without ``--tgt`` is a usage error naming the file and the fix (before: its
    translations were taken for the default ``de``, whatever their language, and the model named so); with
    ``--tgt`` it is read as that language (the reader accepts it, above), and a named one needs no ``--tgt``."""
    unnamed = [(t, d) for t, d in _sections(QM.read_bytes()) if t != 0xA7]
    app = tmp_path / "app.qm"
    app.write_bytes(_qm(unnamed))
    done = nlp("translate", "train", "--pairs", str(app), "-o", str(tmp_path / "m"), "--epochs", "1")
    assert done.returncode == 2, done.stderr
    line = " ".join(done.stderr.split())
    assert f"{app} names no language (no language section, no tag in its name such as app_fr.qm)" in line
    assert "pass --tgt LANG (without it: de)" in line and "Traceback" not in done.stderr
    assert not (tmp_path / "m").exists()
    (tmp_path / "app_fr.qm").write_bytes(_qm(unnamed))
    assert (qm_language(app), qm_language(tmp_path / "app_fr.qm"), qm_language(QM)) == (None, "fr", "de_DE")


def test_train_on_a_ts_naming_no_language_needs_tgt(tmp_path: Path, nlp: Callable[..., Run]) -> None:
    """A TS 2.0 ``.ts`` without ``language`` and no tag in its name: ``translate train`` without ``--tgt`` is
    the usage error a ``.qm`` naming none gets (before: its translations were taken for the default ``de``,
    silently). A tag in its name (``app_fr.ts``) is its language, checked as the attribute is; with ``--tgt``
    the reader takes it as that language."""
    app = toy_ts(tmp_path / "app.ts", language="")
    done = nlp("translate", "train", "--pairs", str(app), "-o", str(tmp_path / "m"), "--epochs", "1")
    assert done.returncode == 2, done.stderr
    line = " ".join(done.stderr.split())
    assert (
        f"{app} names no language (no language attribute on <TS>, no tag in its name such as app_fr.ts)"
        in line
    )
    assert "pass --tgt LANG (without it: de)" in line and "Traceback" not in done.stderr
    assert not (tmp_path / "m").exists()
    # (imported after the command, whose exit code is what main got wrong)
    from carrousel.nlp.catalogue_languages import unnamed_language
    from carrousel.nlp.qt_linguist import ts_language

    french = toy_ts(tmp_path / "app_fr.ts", language="")
    named = toy_ts(tmp_path / "toy.ts")
    assert (ts_language(app), ts_language(french), ts_language(named)) == (None, "fr", "de_DE")
    assert [unnamed_language([f]) is None for f in (app, french, named)] == [False, True, True]
    assert read_pairs([french], "en", "fr") == PAIRS
    with pytest.raises(
        TextDataError, match=r"app_fr.ts translates en -> fr, not en -> de; pass --src en --tgt fr"
    ):
        read_pairs([french], "en", "de")  # before: read as German
    assert read_pairs([app], "en", "fr") == PAIRS  # --tgt fr given: read as French


def test_unreadable_or_missing_qm_is_said_not_tgt(tmp_path: Path, nlp: Callable[..., Run]) -> None:
    """A damaged or missing ``.qm`` with no tag in its name: ``translate train`` without ``--tgt`` says what
    ``read_qm`` says of it, exit 1 (before: it "names no language" and the fix was "pass --tgt LANG", a usage
    error, and with ``--tgt`` the file was then found unreadable)."""
    damaged = tmp_path / "app.qm"
    damaged.write_bytes(b"not a qm catalogue at all")
    for path, says in (
        (damaged, "is not a readable Qt .qm catalogue"),
        (tmp_path / "gone.qm", "no such file"),
    ):
        done = nlp("translate", "train", "--pairs", str(path), "-o", str(tmp_path / "m"), "--epochs", "1")
        line = " ".join(done.stderr.split())
        assert done.returncode == 1, done.stderr
        assert f"{path}" in line and says in line and "names no language" not in line
        assert "Traceback" not in done.stderr and not (tmp_path / "m").exists()


def test_a_qm_of_damaged_messages_is_unreadable_not_unnamed(tmp_path: Path) -> None:
    """A ``.qm`` whose sections are whole but whose messages are damaged, with no language: unreadable, as
    ``read_qm`` finds it (before: it "names no language", so ``translate train`` asked for ``--tgt``, and with
    it found the file unreadable)."""
    from carrousel.nlp.catalogue_languages import unnamed_language

    unnamed = [(t, b"\x42" + d if t == 0x69 else d) for t, d in _sections(QM.read_bytes()) if t != 0xA7]
    (tmp_path / "app.qm").write_bytes(_qm(unnamed))
    with pytest.raises(
        TextDataError, match=r"app\.qm is not a readable Qt \.qm catalogue \(unknown message tag 66"
    ):
        unnamed_language([tmp_path / "app.qm"])
    with pytest.raises(TextDataError, match="unknown message tag 66"):
        qm_language(tmp_path / "app.qm")


def test_a_qm_naming_its_language_is_parsed_once_from_the_check_to_its_pairs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``translate train``'s language check (``unnamed_language``, through ``qm_language``) then its reading
    (``read_pairs``, through ``read_qm``) parse a ``.qm``'s messages once (before: twice, the check's parse
    only to find damage, which ``read_qm`` finds as well where the file names its language)."""
    from carrousel.nlp import qt_linguist
    from carrousel.nlp.catalogue_languages import unnamed_language

    parse, parses = qt_linguist._qm_messages, []
    monkeypatch.setattr(qt_linguist, "_qm_messages", lambda data: parses.append(len(data)) or parse(data))
    assert unnamed_language([QM]) is None and qm_language(QM) == "de_DE"
    assert sorted(read_pairs([QM], "en", "de")) == sorted(PAIRS)
    assert len(parses) == 1
