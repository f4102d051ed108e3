"""TMX and XLIFF (1.2, 2.0) parallel data for ``read_pairs`` and ``nlp translate --pairs`` (before: refused as
an unknown pairs format): round trips, language matching, inline markup, untranslated units, DTD refusal."""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from carrousel.nlp.errors import TextDataError
from carrousel.nlp.parallel import read_pairs
from tests.nlp.conftest import Run, word_pairs

GIT_MO = Path("/usr/share/locale/de/LC_MESSAGES/git.mo")
Pair = tuple[str, str]
_ESCAPES = {"\r": "&#13;", "\t": "&#9;"}  # XML turns a literal CR into LF


def _x(text: str) -> str:
    return escape(text, _ESCAPES)


def tmx(path: Path, units: Sequence[dict[str, str]], *, lang_attr: str = "xml:lang") -> Path:
    """A TMX 1.4 file of ``units`` (each ``{language: seg XML}``), as OPUS writes them."""
    body = "".join(
        "<tu>" + "".join(f'<tuv {lang_attr}="{k}"><seg>{v}</seg></tuv>' for k, v in u.items()) + "</tu>\n"
        for u in units
    )
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<tmx version="1.4">\n<header srclang="en" adminlang="en" '
        'segtype="sentence" datatype="PlainText" o-tmf="unknown" creationtool="Uplug" '
        f'creationtoolversion="unknown"/>\n<body>\n{body}</body>\n</tmx>\n',
        encoding="utf-8",
    )
    return path


def xliff12(path: Path, units: Sequence[str], src: str = "en", tgt: str = "de") -> Path:
    """An XLIFF 1.2 file of ``units`` (``<trans-unit>`` inner XML)."""
    body = "".join(f'<trans-unit id="{i}">{u}</trans-unit>\n' for i, u in enumerate(units))
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<xliff version="1.2" '
        'xmlns="urn:oasis:names:tc:xliff:document:1.2">\n'
        f'<file original="git" datatype="plaintext" source-language="{src}" target-language="{tgt}">\n'
        f"<body>\n{body}</body>\n</file>\n</xliff>\n",
        encoding="utf-8",
    )
    return path


def xliff20(path: Path, segments: Sequence[str], src: str = "en", tgt: str = "de") -> Path:
    """An XLIFF 2.0 file of ``segments`` (``<segment>`` inner XML, or ``state="..">inner`` to set a state),
    one unit each."""
    body = "".join(
        f'<unit id="u{i}"><segment{">" if s.startswith("<") else " "}{s}</segment></unit>\n'
        for i, s in enumerate(segments)
    )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" '
        f'version="2.0" srcLang="{src}" trgLang="{tgt}">\n<file id="f1">\n{body}</file>\n</xliff>\n',
        encoding="utf-8",
    )
    return path


def _unit12(s: str, t: str) -> str:
    return f"<source>{_x(s)}</source><target state='translated'>{_x(t)}</target>"


def _seg20(s: str, t: str) -> str:
    return f"<source>{_x(s)}</source><target>{_x(t)}</target>"


@pytest.fixture(scope="module")
def git_pairs() -> list[Pair]:
    """The first 50 German pairs of git's catalogue, as read_pairs reads them."""
    if not GIT_MO.exists():
        pytest.skip("no German git catalogue in /usr/share/locale")
    return read_pairs([GIT_MO], "en", "de")[:50]


WRITERS: dict[str, Callable[[Path, list[Pair]], Path]] = {
    "a.tmx": lambda p, pairs: tmx(p, [{"en-US": _x(s), "de-DE": _x(t)} for s, t in pairs]),
    "a.xlf": lambda p, pairs: xliff12(p, [_unit12(s, t) for s, t in pairs], "en-US", "de-DE"),
    "a.xliff": lambda p, pairs: xliff20(p, [_seg20(s, t) for s, t in pairs], "en", "de"),
}


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_git_pairs_read_back_in_order(name: str, git_pairs: list[Pair], tmp_path: Path) -> None:
    path = WRITERS[name](tmp_path / name, git_pairs)
    assert read_pairs([path], "en", "de") == git_pairs
    assert read_pairs([path], "de", "en") == [(t, s) for s, t in git_pairs]  # the reverse direction
    packed = tmp_path / f"{name}.gz"  # as OPUS offers its corpora
    packed.write_bytes(gzip.compress(path.read_bytes()))
    assert read_pairs([packed], "EN", "de") == git_pairs


def test_tmx_languages_by_subtag_exact_first_and_units_lacking_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmx(
        tmp_path / "tm.tmx",
        [
            {"EN-GB": "colour", "de-AT": "Farbe (AT)", "de": "Farbe"},
            {"en_US": "file", "DE-de": "Datei"},
            {"en": "only English", "fr": "seulement"},  # no German: skipped
            {"de-CH": "Strasse", "en": "street"},
        ],
    )
    with caplog.at_level(logging.INFO, logger="carrousel"):
        assert read_pairs([path], "en", "de") == [
            ("colour", "Farbe"),
            ("file", "Datei"),
            ("street", "Strasse"),
        ]
    assert "3 pairs of 4 units (1 lacking en or de)" in caplog.text
    assert read_pairs([path], "en-GB", "de-AT")[0] == ("colour", "Farbe (AT)")
    assert read_pairs([path], "de", "en")[0] == ("Farbe", "colour")  # exact "de" over "de-AT"
    assert read_pairs([path], "en", "fr") == [("only English", "seulement")]
    with pytest.raises(TextDataError, match=r"no translation unit with both en and it.*de-AT.*fr") as err:
        read_pairs([path], "en", "it")
    assert "\n" not in str(err.value)
    legacy = tmx(tmp_path / "legacy.tmx", [{"EN": "yes", "DE": "ja"}], lang_attr="lang")  # TMX 1.1
    assert read_pairs([legacy], "en", "de") == [("yes", "ja")]


def test_xliff_languages_must_agree_or_be_reversed(tmp_path: Path) -> None:
    for path in (
        xliff12(tmp_path / "a.xlf", [_unit12("file", "Datei")], "de-DE", "en-US"),
        xliff20(tmp_path / "b.xlf", [_seg20("file", "Datei")], "de", "EN"),
    ):
        assert read_pairs([path], "en", "de") == [("Datei", "file")]  # the file translates de -> en
        with pytest.raises(
            TextDataError, match=r"translates de\S* -> (en|EN)\S*, not en -> fr; pass --src de"
        ) as err:
            read_pairs([path], "en", "fr")
        assert "\n" not in str(err.value)


def test_inline_markup_keeps_text_and_drops_native_codes(tmp_path: Path) -> None:
    t = tmx(
        tmp_path / "m.tmx",
        [
            {
                "en": 'Click <bpt i="1" x="1">&lt;b&gt;</bpt>here<ept i="1">&lt;/b&gt;</ept> '
                '<hi type="x">now</hi><ph x="2">&lt;br/&gt;<sub>tip</sub></ph>!<it pos="end">&lt;/i&gt;</it>',
                "de": "Hier <ut>{\\b}</ut>klicken",
            }
        ],
    )
    assert read_pairs([t], "en", "de") == [("Click here now!", "Hier klicken")]
    x12 = xliff12(
        tmp_path / "m.xlf",
        ['<source>Open <g id="1">the</g><x id="2"/> file</source><target>Öffne die Datei</target>'],
    )
    assert read_pairs([x12], "en", "de") == [("Open the file", "Öffne die Datei")]
    x20 = xliff20(
        tmp_path / "m.xliff",
        ['<source>Open <pc id="1">the</pc><ph id="2"/> <mrk id="m">file</mrk><cp hex="2026"/></source>'
         '<target>Öffne <sc id="3"/>die<ec startRef="3"/> Datei</target>'],
    )  # fmt: skip
    assert read_pairs([x20], "en", "de") == [("Open the file…", "Öffne die Datei")]


def test_untranslated_units_are_left_out_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    x12 = xliff12(
        tmp_path / "u.xlf",
        [
            "<source>one</source><target state='translated'>eins</target>",
            "<source>two</source>",  # no target
            "<source>three</source><target/>",
            "<source>four</source><target state='needs-translation'>four</target>",
            "<source>five</source><target state='new'>fünf?</target>",
            "<source>six</source><target state='needs-review-translation'>sechs</target>",
            "<source>seven</source><alt-trans><source>seven</source><target>sieben</target></alt-trans>",
        ],
    )
    with caplog.at_level(logging.INFO, logger="carrousel"):
        assert read_pairs([x12], "en", "de") == [("one", "eins"), ("six", "sechs")]
    assert "3 no target, 1 state needs-translation, 1 state new" in caplog.text
    x20 = xliff20(
        tmp_path / "u.xliff",
        ['state="translated"><source>one</source><target>eins</target>', "<source>two</source>",
         'state="initial"><source>three</source><target>three</target>', _seg20("four", "vier")],
    )  # fmt: skip
    assert read_pairs([x20], "en", "de") == [("one", "eins"), ("four", "vier")]
    drafts = xliff12(tmp_path / "d.xlf", ["<source>one</source><target state='new'>eins</target>"])
    with pytest.raises(TextDataError, match=r"no translated unit .untranslated: 1 state new"):
        read_pairs([drafts], "en", "de")


BOMB = """<?xml version="1.0"?>
<!DOCTYPE tmx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<tmx version="1.4"><body><tu><tuv xml:lang="en"><seg>&b;</seg></tuv><tuv xml:lang="de"><seg>x</seg></tuv></tu></body></tmx>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE xliff [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xliff version="1.2"><file source-language="en" target-language="de"><body>
<trans-unit id="1"><source>&secret;</source><target>x</target></trans-unit></body></file></xliff>
"""


def test_dtds_are_refused_and_malformed_xml_is_located(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, text in (("bomb.tmx", BOMB), ("external.xlf", EXTERNAL)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(TextDataError, match=r"declares a DTD .*refused") as err:
            read_pairs([path], "en", "de")
        assert "\n" not in str(err.value)
    omegat = tmp_path / "omegat.tmx"  # a reference to the standard DTD (never fetched) is no declaration
    omegat.write_text(BOMB.split("\n", 2)[2].replace("&b;", "ok"), encoding="utf-8")
    omegat.write_text(
        '<!DOCTYPE tmx SYSTEM "tmx11.dtd">\n' + omegat.read_text(encoding="utf-8"), encoding="utf-8"
    )
    assert read_pairs([omegat], "en", "de") == [("ok", "x")]
    broken = tmp_path / "broken.tmx"
    broken.write_text(
        '<tmx><body><tu>\n<tuv xml:lang="en"><seg>a</seg></tuv>\n<tuv><seg>b</sg></tuv></tu>', "utf-8"
    )
    with pytest.raises(
        TextDataError, match=r"broken.tmx is not well-formed XML at line 3, column 14 \(mismatched"
    ):
        read_pairs([broken], "en", "de")
    other = tmp_path / "other.xlf"
    other.write_text("<html><body/></html>", encoding="utf-8")
    with pytest.raises(TextDataError, match=r"<html> root, not TMX"):
        read_pairs([other], "en", "de")
    monkeypatch.chdir(tmp_path)
    for missing in ("no.tmx", "no.xlf", "no.tmx.gz"):  # a file name, not an HF hub name
        with pytest.raises(TextDataError, match=rf"{missing} not found"):
            read_pairs([missing], "en", "de")


def test_evaluate_reads_a_tmx(undertrained: Path, tmp_path: Path, nlp: Callable[..., Run]) -> None:
    pairs = sorted(word_pairs(300, 7))[:20]
    path = tmx(tmp_path / "toy.tmx", [{"en-US": s, "de-DE": t} for s, t in pairs])
    run = nlp(
        "translate",
        "evaluate",
        "--model",
        str(undertrained),
        "--pairs",
        str(path),
        "--split",
        "all",
        "--json",
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["pairs"] == len(pairs)
    french = tmx(tmp_path / "fr.tmx", [{"en": s, "fr": t} for s, t in pairs])
    run = nlp("translate", "evaluate", "--model", str(undertrained), "--pairs", str(french), "--split", "all")
    assert run.returncode == 1 and "the model translates en -> de" in run.stderr
    assert "Traceback" not in run.stderr
