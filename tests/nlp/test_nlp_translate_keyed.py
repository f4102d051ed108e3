"""Keyed software catalogues for ``read_pairs`` and ``nlp translate --pairs SOURCE --pairs TARGET`` (before:
two ``.properties``/``strings.xml``/``.json``/``.strings``/``.resx`` files were read as aligned text, line i
with line i): each format written from the first 40 German pairs of git's catalogue under keys ``k1..k40``
(comments, escapes, a key in one file only, the target in another order) reads back to those pairs in order."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest

from carrousel.nlp.errors import TextDataError
from carrousel.nlp.keyed_catalogues import name_language
from carrousel.nlp.keyed_xml import android_text
from carrousel.nlp.language_codes import ISO_639_1, LOCALE_THREE_LETTER, known_language
from carrousel.nlp.parallel import read_pairs
from tests.nlp.conftest import Run, word_pairs

GIT_MO = Path("/usr/share/locale/de/LC_MESSAGES/git.mo")
Pair = tuple[str, str]
Entries = list[tuple[str, str]]
needs_git = pytest.mark.skipif(not GIT_MO.exists(), reason="no German git catalogue in /usr/share/locale")


def _properties_escape(text: str, latin1: bool) -> str:
    out = []
    for i, c in enumerate(text):
        if c in "\\=:#!":
            out.append("\\" + c)
        elif c in "\n\t":
            out.append({"\n": "\\n", "\t": "\\t"}[c])
        elif c == " " and i == 0:
            out.append("\\ ")  # leading whitespace of a value is no part of it unless escaped
        elif ord(c) > (0xFF if latin1 else 0x7F):
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return "".join(out)


def write_properties(path: Path, entries: Entries, target: bool) -> None:
    """The source in ASCII with ``\\uXXXX`` escapes, the target in ISO-8859-1; a continued line, comments."""
    lines = ["# git messages", "! another comment", ""]
    for n, (key, text) in enumerate(entries):
        value = _properties_escape(text, target)
        sep = (" = ", ":", " ")[n % 3]
        cut = value.find(" ", len(value) // 2)
        if n % 5 == 0 and cut > 0 and value[cut - 1] != "\\":
            value = value[: cut + 1] + "\\\n        " + value[cut + 1 :]  # a continuation line
        lines.append(f"{key}{sep}{value}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("\n".join(lines).encode("latin-1" if target else "ascii"))


def _android_escape(text: str) -> str:
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("'", "\\'").replace("\n", "\\n")
    if body[:1] in "@?":
        body = "\\" + body
    if body != body.strip() or "  " in body:
        return f'"{body}"'
    return f"\n        {body}\n    "  # unquoted: the layout whitespace collapses away


def write_android(path: Path, entries: Entries, target: bool) -> None:
    rows = ["<?xml version='1.0' encoding='utf-8'?>", "<!-- git messages -->", '<resources xmlns:tools="t">']
    for n, (key, text) in enumerate(entries):
        body = _android_escape(text)
        inner = f"<![CDATA[{body}]]>" if n % 4 == 1 and "]]>" not in body else escape(body)
        rows.append(f"    <string name={quoteattr(key)}>{inner}</string>")
    rows += [
        '    <string name="app_name" translatable="false">Git</string>',
        '    <string name="alias">@string/k1</string>',
        '    <color name="red">#f00</color>',
        '    <plurals name="files"><item quantity="one">%d Datei</item><item quantity="other">%d Dateien</item>'
        "</plurals>"
        if target
        else '    <plurals name="files"><item quantity="one">%d file</item><item quantity="other">%d files</item>'
        "</plurals>",
        f'    <string-array name="days"><item>{"Montag" if target else "Monday"}</item>'
        f"<item>{'Dienstag' if target else 'Tuesday'}</item></string-array>",
        "</resources>",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows), encoding="utf-8")


def write_json(path: Path, entries: Entries, target: bool, style: str = "nested") -> None:
    data: dict[str, object] = {}
    for key, text in entries:
        if style == "chrome":
            data[key] = {"message": text, "description": "a git message"}
        elif style == "nested" and key.startswith("k"):
            group = data.setdefault("git", {})
            assert isinstance(group, dict)
            group.setdefault("messages", {})[key] = text
        else:
            data[key] = text
    data["count"] = 3  # not text: left out
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def write_strings(path: Path, entries: Entries, target: bool) -> None:
    """The target in UTF-16 with a byte-order mark (Xcode's old default), the source in UTF-8."""
    rows = ["/* git messages\n   over two lines */"]
    for key, text in entries:
        value = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        rows.append(f'// {key}\n"{key}" = "{value}";')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("\n".join(rows).encode("utf-16" if target else "utf-8"))


def write_resx(path: Path, entries: Entries, target: bool) -> None:
    rows = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<root>",
        '  <resheader name="resmimetype"><value>text/microsoft-resx</value></resheader>',
    ]
    for key, text in entries:
        rows.append(
            f'  <data name={quoteattr(key)} xml:space="preserve"><value>{escape(text)}</value>'
            "<comment>git</comment></data>"
        )
    rows.append(
        '  <data name="Icon" type="System.Drawing.Bitmap, System.Drawing" mimetype="application/x-microsoft.net.object.bytearray.base64"><value>AAAA</value></data>'
    )
    rows.append("</root>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows), encoding="utf-8")


Writer = Callable[[Path, Entries, bool], None]
# format: (writer, source file, target file, extra pairs after the 40 in source order)
FORMATS: dict[str, tuple[Writer, str, str, list[Pair]]] = {
    "properties": (write_properties, "messages.properties", "messages_de.properties", []),
    "android": (
        write_android,
        "res/values/strings.xml",
        "res/values-de-rDE/strings.xml",
        [("%d files", "%d Dateien"), ("Monday", "Montag"), ("Tuesday", "Dienstag")],
    ),
    "json-nested": (write_json, "locales/en.json", "locales/de.json", []),
    "json-flat": (
        lambda p, e, t: write_json(p, e, t, "flat"),
        "en/translation.json",
        "de/translation.json",
        [],
    ),
    "json-chrome": (
        lambda p, e, t: write_json(p, e, t, "chrome"),
        "_locales/en/messages.json",
        "_locales/de/messages.json",
        [],
    ),
    "strings": (write_strings, "en.lproj/Localizable.strings", "de.lproj/Localizable.strings", []),
    "resx": (write_resx, "Resources.resx", "Resources.de.resx", []),
}


@pytest.fixture(scope="module")
def git40() -> list[Pair]:
    if not GIT_MO.exists():
        pytest.skip("no German git catalogue in /usr/share/locale")
    return read_pairs([GIT_MO], "en", "de")[:40]


def catalogues(folder: Path, kind: str, pairs: list[Pair]) -> tuple[Path, Path]:
    """The source and target catalogues of ``pairs`` under keys k1.., with a key only in each file, an
    untranslated entry, and the target's entries in reverse order."""
    write, src_name, tgt_name, _ = FORMATS[kind]
    source = [(f"k{i + 1}", s) for i, (s, _) in enumerate(pairs)] + [
        ("only_src", "Only here"),
        ("todo", "To do"),
    ]
    target = [
        *[(f"k{i + 1}", t) for i, (_, t) in enumerate(pairs)][::-1],
        ("only_tgt", "Nur hier"),
        ("todo", ""),
    ]
    write(folder / src_name, source, False)
    write(folder / tgt_name, target, True)
    return folder / src_name, folder / tgt_name


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_keyed_catalogues_read_back(
    kind: str, git40: list[Pair], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source, target = catalogues(tmp_path, kind, git40)
    with caplog.at_level(logging.INFO, logger="carrousel"):
        pairs = read_pairs([source, target], "en", "de")
    assert pairs == git40 + FORMATS[kind][3]
    (line,) = [r.getMessage() for r in caplog.records]
    assert "1 only in source" in line and "1 only in target" in line and "1 untranslated" in line
    assert "target equals source, kept: 0" in line
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # the file names say de


def test_keyed_left_out_and_kept(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    a, b = tmp_path / "values/strings.xml", tmp_path / "values-ja/strings.xml"
    write_android(a, [("ok", "OK"), ("many", "Line one\nline two"), ("sep", "%1$s: %2$s")], False)
    write_android(b, [("ok", "OK"), ("many", "Eins\nzwei"), ("sep", "%1$s: %2$s")], True)
    with caplog.at_level(logging.INFO, logger="carrousel"):
        pairs = read_pairs([a, b], "en", "ja")
    assert pairs == [("OK", "OK"), ("%d files", "%d Dateien"), ("Monday", "Montag"), ("Tuesday", "Dienstag")]
    line = caplog.records[-1].getMessage()
    for count in ("1 multi-line", "1 no letter", "2 not translatable", "2 reference", "kept: 1"):
        assert count in line, line


def test_android_text() -> None:
    assert (
        android_text('  a  "b  c"  \\"d\\" \\\'e\\\' \\@f \\?g \\\\ \\u00e4\\n ')
        == "a b  c \"d\" 'e' @f ?g \\ ä\n"
    )
    with pytest.raises(ValueError, match="uXXXX"):
        android_text("\\u12")


def test_target_name_of_another_language_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write_properties(tmp_path / "m.properties", [("a", "Open the file")], False)
    write_properties(tmp_path / "m_fr.properties", [("a", "Ouvrir le fichier")], True)
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        assert read_pairs([tmp_path / "m.properties", tmp_path / "m_fr.properties"], "en", "de") == [
            ("Open the file", "Ouvrir le fichier")
        ]
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "named for language fr" in warning and "tgt='fr'" in warning
    names = {
        "res/values-de-rDE/strings.xml": "de",
        "res/values-b+sr+Latn/strings.xml": "sr",
        "res/values/strings.xml": None,
        "res/values-night/strings.xml": None,
        "messages_pt_BR.properties": "pt",
        "app_messages_de.properties": "de",
        "messages.properties": None,
        "Resources.zh-Hans.resx": "zh",
        "Resources.resx": None,
        "fr.lproj/Localizable.strings": "fr",
        "Base.lproj/Localizable.strings": None,
        "locales/pt-BR/translation.json": "pt",
        "i18n/es.json": "es",
        "src/app.json": None,
    }
    assert {name: name_language(Path(name)) for name in names} == names


def test_language_codes() -> None:
    """ISO 639-1's 183 codes and the withdrawn ``bh``, each once; no three-letter code has a two-letter one
    (BCP 47 writes ``de``, never ``deu``) or is a common word of a file name."""
    assert len(ISO_639_1) == len(set(ISO_639_1)) == 184
    assert all(len(c) == 2 and c.isascii() and c.islower() for c in ISO_639_1)
    assert len(LOCALE_THREE_LETTER) == len(set(LOCALE_THREE_LETTER))
    assert all(len(c) == 3 and c.isascii() and c.islower() for c in LOCALE_THREE_LETTER)
    assert not {"deu", "fra", "eng", "zho", "spa"} & set(LOCALE_THREE_LETTER)
    words = "app api bin cli css dev doc gui img ini key lib log map min msg nav new old out raw res src tmp ui web"
    assert [w for w in words.split() if known_language(w)] == []
    assert [known_language(c) for c in ("de", "iw", "in", "fil", "yue", "DE")] == [
        "de",
        "he",
        "id",
        "fil",
        "yue",
        None,
    ]


def test_bare_names_are_no_language(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Only a real language code is read from a name: ``ui.json``, ``app.json``, ``config_ui.properties``,
    ``web/ui.json`` name none (before: "ui" and "web" were languages, and a German target warned), while
    ``de.json``, ``values-de/``, ``pt_BR``, ``de.lproj/`` still do and Android's ``values-iw`` is Hebrew."""
    names = {
        "ui.json": None,
        "app.json": None,
        "web/ui.json": None,
        "api.json": None,
        "app.min.json": None,
        "messages.properties": None,
        "config_ui.properties": None,
        "Strings.ui.resx": None,
        "ui.lproj/Localizable.strings": None,
        "res/values-ui/strings.xml": None,
        "de.json": "de",
        "values-de/strings.xml": "de",
        "pt_BR.properties": "pt",
        "messages_zh_Hant_TW.properties": "zh",
        "de.lproj/Localizable.strings": "de",
        "zh-Hans.lproj/Localizable.strings": "zh",
        "res/values-iw/strings.xml": "he",
        "res/values-in/strings.xml": "id",
        "fil.json": "fil",
        "_locales/yue/messages.json": "yue",
        "config_ui/de.json": "de",
    }
    assert {name: name_language(Path(name)) for name in names} == names
    (tmp_path / "en").mkdir()
    (tmp_path / "en/ui.json").write_text('{"a": "Open the file"}', encoding="utf-8")
    (tmp_path / "app.json").write_text('{"a": "Datei öffnen"}', encoding="utf-8")
    (tmp_path / "ui.json").write_text('{"a": "Datei öffnen"}', encoding="utf-8")
    write_android(tmp_path / "values/strings.xml", [("a", "Open the file")], False)
    write_android(tmp_path / "values-iw/strings.xml", [("a", "פתח את הקובץ")], True)
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        for target in ("app.json", "ui.json"):
            assert read_pairs([tmp_path / "en/ui.json", tmp_path / target], "en", "de") == [
                ("Open the file", "Datei öffnen")
            ]
        read_pairs([tmp_path / "values/strings.xml", tmp_path / "values-iw/strings.xml"], "en", "he")
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == []
    (tmp_path / "de.json").write_text('{"a": "Datei öffnen"}', encoding="utf-8")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        read_pairs([tmp_path / "en/ui.json", tmp_path / "de.json"], "en", "fr")
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "de.json is named for language de" in warning and "tgt='de'" in warning


def test_plain_text_files_still_aligned(tmp_path: Path) -> None:
    a, b = tmp_path / "en.txt", tmp_path / "de.txt"
    a.write_text("key = one\n# two\n", encoding="utf-8")
    b.write_text("Schlüssel = eins\n# zwei\n", encoding="utf-8")
    assert read_pairs([a, b], "en", "de") == [("key = one", "Schlüssel = eins"), ("# two", "# zwei")]


def test_keyed_errors(tmp_path: Path) -> None:
    good = tmp_path / "values/strings.xml"
    write_android(good, [("a", "Open")], False)
    broken = tmp_path / "values-de/strings.xml"
    broken.parent.mkdir()
    broken.write_text('<resources><string name="a">Öffnen</resources>', encoding="utf-8")
    with pytest.raises(TextDataError, match=r"strings.xml is not well-formed XML at line 1"):
        read_pairs([good, broken], "en", "de")
    broken.write_text('<!DOCTYPE r [<!ENTITY a "b">]><resources/>', encoding="utf-8")
    with pytest.raises(TextDataError, match=r"declares a DTD"):
        read_pairs([good, broken], "en", "de")
    broken.write_text("<root><data name='a'><value>x</value></data></root>", encoding="utf-8")
    with pytest.raises(TextDataError, match=r"<root> root, not Android strings.xml"):
        read_pairs([good, broken], "en", "de")
    en, de = tmp_path / "en.json", tmp_path / "de.json"
    en.write_text('{"a": "Open"}', encoding="utf-8")
    de.write_text('{"a": "Öffnen",}', encoding="utf-8")
    with pytest.raises(TextDataError, match=r"de.json is not JSON at line 1, column 16"):
        read_pairs([en, de], "en", "de")
    de.write_text('["Öffnen"]', encoding="utf-8")
    with pytest.raises(TextDataError, match=r"a JSON list, not an object"):
        read_pairs([en, de], "en", "de")
    text = tmp_path / "de.txt"
    text.write_text("Öffnen\n", encoding="utf-8")
    with pytest.raises(TextDataError, match=r"en.json is JSON i18n but .*de.txt is no keyed catalogue"):
        read_pairs([en, text], "en", "de")
    with pytest.raises(TextDataError, match=r"is JSON i18n but .*strings.xml is Android strings.xml"):
        read_pairs([en, good], "en", "de")
    props = tmp_path / "m.properties"
    props.write_text("a = \\u12G4\n", encoding="utf-8")
    with pytest.raises(TextDataError, match=r"m.properties line 1: \\u12G4 is no \\uXXXX escape"):
        read_pairs([props, props], "en", "de")
    strings = tmp_path / "de.strings"
    strings.write_text('"a" = "b"\n"c" = "d";', encoding="utf-8")
    with pytest.raises(TextDataError, match=r"de.strings line 1 is no"):
        read_pairs([strings, strings], "en", "de")
    de.write_text('{"b": "Schließen"}', encoding="utf-8")
    with pytest.raises(
        TextDataError, match=r"share no translated key \(left out: 1 only in source, 1 only in target\)"
    ):
        read_pairs([en, de], "en", "de")
    with pytest.raises(TextDataError, match=r"no such file"):
        read_pairs([en, tmp_path / "fr.json"], "en", "fr")


def test_evaluate_reads_two_properties_files(
    undertrained: Path, tmp_path: Path, nlp: Callable[..., Run]
) -> None:
    pairs = sorted(word_pairs(300, 7))[:20]
    write_properties(tmp_path / "app.properties", [(f"k{i}", s) for i, (s, _) in enumerate(pairs)], False)
    write_properties(tmp_path / "app_de.properties", [(f"k{i}", t) for i, (_, t) in enumerate(pairs)], True)
    args = ["translate", "evaluate", "--model", str(undertrained), "--split", "all", "--json"]
    run = nlp(
        *args, "--pairs", str(tmp_path / "app.properties"), "--pairs", str(tmp_path / "app_de.properties")
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["pairs"] == len(pairs)
    run = nlp(*args, "--pairs", str(tmp_path / "app.properties"), "--pairs", str(tmp_path / "de.txt"))
    assert run.returncode == 1 and "is no keyed catalogue" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("fmt", "target"),
    [
        ("properties", "translated/messages.properties"),
        ("android", "fr/res/values/strings.xml"),
        ("json-nested", "locales/ui.json"),
        ("strings", "Base.lproj/Localizable.strings"),
        ("resx", "out/Resources.resx"),
    ],
)
def test_keyed_catalogues_naming_no_language_need_tgt(
    fmt: str, target: str, tmp_path: Path, nlp: Callable[..., Run]
) -> None:
    """Two keyed catalogues whose target has no language tag in its name or folder: ``translate train``
    without ``--tgt`` is the usage error a ``.qm`` naming none gets, naming the file and ``--tgt LANG``
    (before: its texts were taken for the default ``de``, silently); a tagged target needs none."""
    write, source, _, _ = FORMATS[fmt]
    a, b = tmp_path / source, tmp_path / target
    write(a, [("k1", "Open the file")], False)
    write(b, [("k1", "Ouvrir le fichier")], True)
    done = nlp("translate", "train", "--pairs", str(a), "--pairs", str(b), "-o", str(tmp_path / "m"))
    assert done.returncode == 2, done.stderr
    line = " ".join(done.stderr.split())
    assert f"{b} names no language (no language tag in its name or folder such as" in line
    assert "pass --tgt LANG (without it: de)" in line and "Traceback" not in done.stderr
    assert not (tmp_path / "m").exists()
    # (imported after the command, whose exit code is what main got wrong)
    from carrousel.nlp.catalogue_languages import unnamed_language

    assert unnamed_language([a, tmp_path / "values-fr/strings.xml"]) is None
    assert unnamed_language([a, tmp_path / "messages_fr.properties"]) is None


def test_a_missing_keyed_target_is_said_not_tgt(tmp_path: Path, nlp: Callable[..., Run]) -> None:
    """Two keyed catalogues whose untagged target does not exist: ``translate train`` says the file is missing,
    exit 1 (before: it "names no language", a usage error asking for ``--tgt LANG``; with it, the missing
    file was then named)."""
    a, gone = tmp_path / "messages.properties", tmp_path / "gone.properties"
    write_properties(a, [("k1", "Open the file")], False)
    done = nlp("translate", "train", "--pairs", str(a), "--pairs", str(gone), "-o", str(tmp_path / "m"))
    line = " ".join(done.stderr.split())
    assert done.returncode == 1, done.stderr
    assert f"{gone}: no such file" in line and "names no language" not in line
    assert "Traceback" not in done.stderr and not (tmp_path / "m").exists()
