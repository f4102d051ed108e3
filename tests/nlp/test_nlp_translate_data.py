"""Parallel data for translation: .mo / TSV / JSONL / aligned files, cleaning, the fixed-seed split, and the
word-dictionary baseline."""

from __future__ import annotations

import json
import logging
import struct
from pathlib import Path

import pytest

from carrousel.core.option_names import flags_named
from carrousel.nlp.baselines import WordDictionary
from carrousel.nlp.errors import TextDataError
from carrousel.nlp.gettext_pairs import read_mo
from carrousel.nlp.parallel import clean_pairs, read_pairs, split_pairs, vary_case

GIT_MO = Path("/usr/share/locale/de/LC_MESSAGES/git.mo")


def write_mo(path: Path, entries: dict[str, str], charset: str = "utf-8", order: str = "<") -> Path:
    """A GNU .mo catalogue of ``entries`` in ``charset``, little- (``<``) or big-endian (``>``): what msgfmt
    writes, without a hash table."""
    keys = sorted(entries)
    ids = b"".join(k.encode(charset) + b"\0" for k in keys)
    strs = b"".join(entries[k].encode(charset) + b"\0" for k in keys)
    n = len(keys)
    start = 7 * 4 + 16 * n
    offsets, o = [], 0
    for k in keys:
        offsets.append((len(k.encode(charset)), start + o))
        o += len(k.encode(charset)) + 1
    toffsets, o = [], 0
    for k in keys:
        toffsets.append((len(entries[k].encode(charset)), start + len(ids) + o))
        o += len(entries[k].encode(charset)) + 1
    head = struct.pack(f"{order}7I", 0x950412DE, 0, n, 7 * 4, 7 * 4 + 8 * n, 0, 0)
    body = b"".join(struct.pack(f"{order}2I", *x) for x in offsets + toffsets)
    path.write_bytes(head + body + ids + strs)
    return path


def test_mo_keeps_single_line_messages_with_placeholders(tmp_path: Path) -> None:
    mo = write_mo(
        tmp_path / "x.mo",
        {
            "": "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=2; plural=(n != 1);\n",
            "could not open '%s'": "konnte '%s' nicht öffnen",
            "%s: %s": "%s: %s",
            "two\nlines": "zwei\nZeilen",
            "untranslated": "",
            "file\0files": "Datei\0Dateien",
        },
    )
    assert read_mo(mo) == [("could not open '%s'", "konnte '%s' nicht öffnen")]
    assert read_pairs([mo]) == read_mo(mo)


def test_mo_in_its_declared_charset_without_contexts(tmp_path: Path) -> None:
    """A Latin-1 catalogue whose header names a translator with an umlaut (as net-tools' German one does;
    Python's gettext cannot read it), big-endian too; a message's context is not part of its text."""
    entries = {
        "": "Last-Translator: Ralf B\u00e4chle\nContent-Type: text/plain; charset=iso-8859-1\n",
        "architecture\x04<none>": "<keine>",
        "Interface not found": "Schnittstelle nicht gefunden \u00fcberall",
    }
    for order in ("<", ">"):
        mo = write_mo(tmp_path / f"latin{order == '<'}.mo", entries, "latin-1", order)
        assert read_mo(mo) == [
            ("Interface not found", "Schnittstelle nicht gefunden \u00fcberall"),
            ("<none>", "<keine>"),
        ]
    wrong = dict(entries, **{"": "Content-Type: text/plain; charset=no-such-charset\n"})
    with pytest.raises(TextDataError, match="unknown charset 'no-such-charset'"):
        read_mo(write_mo(tmp_path / "wrong.mo", wrong))


def test_mo_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(TextDataError, match="no such file"):
        read_mo(tmp_path / "missing.mo")
    bad = tmp_path / "bad.mo"
    for raw in (
        b"not a catalogue at all",
        b"\xde\x12\x04\x95\0\0",
        b"\xde\x12\x04\x95" + bytes(4) + b"\x05" + bytes(11),
    ):
        bad.write_bytes(raw)  # no magic number; truncated; a table outside the file
        with pytest.raises(TextDataError, match=r"not a gettext \.mo catalogue") as err:
            read_mo(bad)
        assert "\n" not in str(err.value)


@pytest.mark.skipif(not GIT_MO.exists(), reason="no German git catalogue in /usr/share/locale")
def test_real_git_catalogue() -> None:
    pairs = read_mo(GIT_MO)
    assert len(pairs) > 4000
    assert all("\n" not in s.strip() and "\n" not in t.strip() and s and t for s, t in pairs)


def test_tsv_with_language_header_jsonl_and_aligned_files(tmp_path: Path) -> None:
    tsv = tmp_path / "p.tsv"
    tsv.write_text("en\tde\nhello\thallo\nfile\tDatei\n", encoding="utf-8")
    assert read_pairs([tsv], "en", "de") == [("hello", "hallo"), ("file", "Datei")]
    jsonl = tmp_path / "p.jsonl"
    rows = [{"translation": {"en": "hello", "de": "hallo"}}, {"en": "file", "de": "Datei"}]
    jsonl.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert read_pairs([jsonl], "en", "de") == [("hello", "hallo"), ("file", "Datei")]
    with pytest.raises(TextDataError, match="lacks 'en' and 'fr'"):
        read_pairs([jsonl], "en", "fr")
    a, b = tmp_path / "a.en", tmp_path / "b.de"
    a.write_text("hello\nfile\n", encoding="utf-8")
    b.write_text("hallo\nDatei\n", encoding="utf-8")
    assert read_pairs([a, b]) == [("hello", "hallo"), ("file", "Datei")]
    b.write_text("hallo\n", encoding="utf-8")
    with pytest.raises(TextDataError, match="equal lines"):
        read_pairs([a, b])
    bad = tmp_path / "bad.tsv"
    bad.write_text("one field only\n", encoding="utf-8")
    with pytest.raises(TextDataError, match="line 1 has 1 tab-separated fields"):
        read_pairs([bad])


def test_tsv_written_with_csv_quoting_is_read_unquoted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """pandas' to_csv(sep="\\t") quotes a field holding a quote or a tab whole, its quotes doubled: split on
    tabs alone, main kept the quotes and doubled quotes of 'He said "hi"' in the text (and split "a<TAB>b"
    into three fields), silently."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {"en": ['He said "hi"', "a\tb", "plain"], "de": ['Er sagte "hallo"', "c", "schlicht"]}
    )
    frame.to_csv(tsv := tmp_path / "pandas.tsv", sep="\t", index=False)
    with caplog.at_level(logging.INFO, logger="carrousel.nlp.tsv_quoting"):
        pairs = read_pairs([tsv], "en", "de")
    assert pairs == [('He said "hi"', 'Er sagte "hallo"'), ("a\tb", "c"), ("plain", "schlicht")]
    assert "read with CSV quoting" in caplog.text


def test_a_line_break_inside_a_quoted_field_is_one_row(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """pandas quotes a field holding a line break whole, over two lines: read as CSV reads it, one row, the
    line break in its text, with a warning counting such rows (before: each line a row, and the file refused
    as having "1 tab-separated fields, not 2", told to write one pair per line)."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"en": ["Hello\nworld", "plain", "a\tb"], "de": ["Hallo Welt", "schlicht", "c\nd"]})
    frame.to_csv(tsv := tmp_path / "pandas.tsv", sep="\t", index=False)
    with caplog.at_level(logging.INFO, logger="carrousel.nlp.tsv_quoting"):
        pairs = read_pairs([tsv], "en", "de")
    assert pairs == [("Hello\nworld", "Hallo Welt"), ("plain", "schlicht"), ("a\tb", "c\nd")]
    assert "2 row(s) hold a line break inside a quoted field (CSV)" in caplog.text
    (bad := tmp_path / "bad.tsv").write_text('"Hello\nworld"\tHallo Welt\n"x\ty\n', encoding="utf-8")
    with pytest.raises(TextDataError, match="line 1 has 1 tab-separated fields"):  # a quote never closed
        read_pairs([bad])


@pytest.mark.parametrize(
    "text",
    [
        'He said "hi"\tEr sagte "hallo"\n"Hi!"\t"Hallo!"\n',  # OPUS/Tatoeba: quotes are text
        '"Hi!"\t"Hallo!"\n"Yes"\t"Ja"\n',  # quotations alone, no doubled quote: text too
        '"a ""b"" c"\t"x"\nHe said "hi"\tEr sagte "hallo"\n',  # a line no CSV writer writes: no quoting
    ],
)
def test_tsv_without_csv_quoting_reads_as_before(tmp_path: Path, text: str) -> None:
    (tsv := tmp_path / "opus.tsv").write_text(text, encoding="utf-8")
    assert read_pairs([tsv]) == [tuple(line.split("\t")) for line in text.splitlines()]


@pytest.mark.parametrize(
    "text",
    [
        '"Hello world\tHallo Welt\nGood\tGut\nBye"\tTschüss\n',  # a text opening with a quote, one ending so
        '"\tHallo\nGood\tGut\nx\t"\n',  # a lone quote as a field, twice
        '"Hello world\tHallo Welt\nHe said "hi\tEr sagte "hallo"\nBye"\tTschüss\n',
    ],
)
def test_quotes_paired_across_unquoted_lines_are_text(tmp_path: Path, text: str) -> None:
    """A field merely starting with a quote, its pair a later line's last character of a field: each line,
    split on tabs, is a row as wide as the others, so the file is plain TSV, a row a line (before: read as CSV,
    the lines between swallowed into one field holding line breaks and tabs, with only a warning)."""
    (tsv := tmp_path / "opus.tsv").write_text(text, encoding="utf-8")
    assert read_pairs([tsv]) == [tuple(line.split("\t")) for line in text.splitlines()]


def test_aligned_files_differing_in_blank_lines_at_the_end(tmp_path: Path) -> None:
    # an editor's blank line at the end of one file; on main: "a.en has 4 lines but a.de has 3"
    (a := tmp_path / "a.en").write_text("open file\nclose file\nsave file\n\n", encoding="utf-8")
    (b := tmp_path / "a.de").write_text("Datei öffnen\n\nDatei speichern", encoding="utf-8")
    assert read_pairs([a, b], "en", "de") == [
        ("open file", "Datei öffnen"), ("close file", ""), ("save file", "Datei speichern")
    ]  # fmt: skip
    b.write_text("Datei öffnen\nDatei schließen\n\n\n\n", encoding="utf-8")  # a line missing, blanks after
    with pytest.raises(
        TextDataError, match=r"a.en has 3 lines but .*a.de has 2; aligned files need equal lines"
    ):
        read_pairs([a, b], "en", "de")


def test_a_catalogue_of_no_singular_message_says_what_it_holds(tmp_path: Path) -> None:
    # on main: "x.po holds no translation pair; check the file", of a catalogue of plural messages only
    head = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    (po := tmp_path / "x.po").write_text(
        head + 'msgid "%d file"\nmsgid_plural "%d files"\nmsgstr[0] "%d Datei"\nmsgstr[1] "%d Dateien"\n'
    )
    with pytest.raises(TextDataError, match=r"x.po holds no translation pair: no singular message \(its header and "
                       r"plural forms, msgid_plural, are not read\); give a translated catalogue$"):  # fmt: skip
        read_pairs([po], "en", "de")
    mo = write_mo(tmp_path / "x.mo", {"%d file\x00%d files": "%d Datei\x00%d Dateien"})
    with pytest.raises(TextDataError, match=r"x.mo holds no translation pair: no singular message"):
        read_pairs([mo], "en", "de")
    po.write_text(head + 'msgid "open"\nmsgstr ""\n')
    with pytest.raises(TextDataError, match=r"are not read; left out: 1 untranslated\)"):
        read_pairs([po], "en", "de")


def test_json_array_of_objects(tmp_path: Path) -> None:
    # json.dump(rows) writes one array, as the sentiment --data reads a .json file; on main "line 1 is not JSON"
    rows = [{"en": "hello", "de": "hallo"}, {"translation": {"en": "file", "de": "Datei"}}]
    (p := tmp_path / "p.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    assert read_pairs([p], "en", "de") == [("hello", "hallo"), ("file", "Datei")]
    (bad := tmp_path / "b.json").write_text('[{"en": "a", "de": "b"}, 3]', encoding="utf-8")
    with pytest.raises(TextDataError, match=r"b.json: item 2 is a JSON number, not an object"):
        read_pairs([bad], "en", "de")
    bad.write_text('[{"en": "a",\n', encoding="utf-8")
    with pytest.raises(TextDataError, match=r"b.json: a JSON array that does not parse \(line 2, column 1: "):
        read_pairs([bad], "en", "de")


@pytest.mark.parametrize("header", ["source\ttarget", "Source\tTarget", "src\ttgt", "en\tde"])
def test_tsv_header_naming_its_columns_is_not_a_pair(tmp_path: Path, header: str) -> None:
    """Only an 'en<TAB>de' header (the languages) was skipped: the usual 'source<TAB>target' became a
    training pair (source -> target), and in evaluate a scored one."""
    tsv = tmp_path / "p.tsv"
    tsv.write_text(f"{header}\nhello\thallo\n", encoding="utf-8")
    assert read_pairs([tsv], "en", "de") == [("hello", "hallo")]


@pytest.mark.parametrize("header", ["English\tGerman", "english\tDeutsch", "German\tEnglish\tnote"])
def test_tsv_header_naming_its_languages_in_words_is_not_a_pair(tmp_path: Path, header: str) -> None:
    """A header naming the languages in words is read as 'en<TAB>de' is (its columns by their language).

    Before, 'English<TAB>German' was a pair: trained on, and scored by ``nlp translate evaluate`` (git's 251
    test pairs under that header: 252 pairs, greedy BLEU 12.7999 -> 12.7988, exit 0, no word of it)."""
    tsv = tmp_path / "p.tsv"
    row = "hallo\thello\tgreeting" if header.startswith("German") else "hello\thallo"
    tsv.write_text(f"{header}\n{row}\n", encoding="utf-8")
    assert read_pairs([tsv], "en", "de") == [("hello", "hallo")]


def test_byte_order_mark_and_non_utf8_files(tmp_path: Path) -> None:
    """A BOM (Notepad's UTF-8) is not text: the 'en<TAB>de' header under it is still a header, and an aligned
    file's first line does not start with U+FEFF; a Latin-1 file is read as Windows-1252, bytes of
    neither an error that says to convert it."""
    tsv = tmp_path / "bom.tsv"
    tsv.write_bytes("\ufeffen\tde\nhello\thallo\n".encode())
    assert read_pairs([tsv]) == [("hello", "hallo")]
    a, b = tmp_path / "a.en", tmp_path / "b.de"
    a.write_bytes("\ufeffhello\n".encode())
    b.write_text("hallo\n", encoding="utf-8")
    assert read_pairs([a, b]) == [("hello", "hallo")]
    latin = tmp_path / "latin.tsv"
    latin.write_bytes("caf\u00e9\tKaffee\n".encode("latin-1"))
    assert read_pairs([latin]) == [("caf\u00e9", "Kaffee")]  # read as Windows-1252, as every nlp text input
    latin.write_bytes(b"caf\x81\tKaffee\n")  # neither UTF-8 nor Windows-1252: refused
    with pytest.raises(TextDataError, match=r"not UTF-8 or Windows-1252 text.*convert it to UTF-8"):
        read_pairs([latin])


def test_cleaning_drops_empty_disproportionate_and_repeated_sources() -> None:
    pairs = [
        ("  open   the file ", "öffne die Datei"),
        ("", "leer"),
        ("x", "ein sehr langer Satz mit vielen Wörtern darin"),
        ("open the file", "Datei öffnen"),
        ("close it", "schließe es"),
    ]
    assert clean_pairs(pairs) == [("open the file", "öffne die Datei"), ("close it", "schließe es")]


def test_cleaning_counts_unspaced_scripts_by_characters() -> None:
    # Aligned pairs from git's zh_CN and apt's ja/th catalogues: the old count (split on spaces) made the
    # Chinese, Japanese and Thai sides one or two "words" and dropped them as badly proportioned.
    aligned = [
        ("unable to create temporary object directory", "无法创建临时对象目录"),
        ("show only the names of files without match", "只显示未匹配的文件名"),
        (
            "specifying branches to track makes sense only with fetch mirrors",
            "指定要跟踪的分支只在与获取镜像同时使用才有意义",
        ),
        (
            "If the patch applies cleanly, the edited hunk will be marked for applying.",
            "如果补丁能正确地应用，编辑块将立即标记为应用。",
        ),
        ("could not read the index file %s", "无法读取索引文件 %s"),
        (
            "Unable to read the package list of the source directory",
            "ソースディレクトリのパッケージリストを読み込めません",
        ),
        ("The list of sources could not be read.", "ไม่สามารถอ่านรายชื่อแหล่งแพกเกจได้"),
    ]
    assert clean_pairs(aligned) == aligned
    misaligned = [
        ("Usage", "用法：git commit [<选项>] [--] <路径规格>，或者使用交互模式添加文件内容"),
        ("unable to create temporary object directory in the repository", "无法"),
        ("Done", "ソースディレクトリのパッケージリストを読み込めませんでした"),
        ("The list of sources could not be read from the given directory", "ไม่สามารถ"),
    ]
    assert clean_pairs(misaligned) == []


def test_cleaning_of_space_separated_text_is_unchanged() -> None:
    # The shipped translation model was trained on pairs kept by whitespace-split word counts: text
    # without unspaced-script characters must keep exactly the pairs that count kept.
    pairs = [
        ("x", "a b c d e f"),
        ("a b", "s t u v w x y z"),
        ("a b", "s t u v w x y z q"),
        ("open -- the file", "öffne die Datei"),
        ("Усеченный", "das ist ein Satz mit zu vielen"),
        ("cannot open %s", "%s를 열 수 없습니다"),
        ("one", "ένα δύο τρία τέσσερα πέντε"),
        (" ".join(["w"] * 80), " ".join(["v"] * 80)),
        (" ".join(["w"] * 81), " ".join(["v"] * 81)),
    ]

    def old_keeps(s: str, t: str) -> bool:
        ns, nt = len(s.split()) + 1, len(t.split()) + 1
        return max(ns, nt) <= 81 and max(ns / nt, nt / ns) <= 3.0

    assert clean_pairs(pairs) == [(s, t) for s, t in pairs if old_keeps(s, t)]
    assert len(clean_pairs(pairs)) == 5


def test_split_is_seeded_disjoint_and_complete() -> None:
    pairs = [(f"source {i}", f"Ziel {i}") for i in range(200)]
    one, two = split_pairs(pairs, 0.1, 0.05, seed=3), split_pairs(pairs, 0.1, 0.05, seed=3)
    assert one == two
    assert one.sizes() == {"train": 170, "valid": 20, "test": 10}
    assert sorted(one.train + one.valid + one.test) == sorted(pairs)
    assert split_pairs(pairs, 0.1, 0.05, seed=4).test != one.test
    with pytest.raises(TextDataError, match="too few"):
        split_pairs(pairs[:3], 0.3, 0.3, seed=0)


def test_too_few_pairs_names_the_length_limits_as_the_caller_set_them() -> None:
    """The 'too long or unequal in length' reason named 'data.max_words, data.max_ratio of --config' to a
    Python caller too (TranslateTrainConfig(data=...) has no --config): now data.max_words, data.max_ratio
    from Python, and a --config file's [data] max_words, max_ratio inside a command."""
    pairs = [(f"source {i}", f"Ziel {i}") for i in range(3)]
    dropped = {"empty": 1, "length": 4, "duplicate": 0}
    with pytest.raises(TextDataError) as python:
        split_pairs(pairs, 0.3, 0.3, seed=0, dropped=dropped)
    assert "1 with an empty side, 4 too long or unequal in length: data.max_words, data.max_ratio)" in str(
        python.value
    )
    assert "--config" not in str(python.value)
    with flags_named(), pytest.raises(TextDataError) as command:
        split_pairs(pairs, 0.3, 0.3, seed=0, dropped=dropped)
    assert "4 too long or unequal in length: [data] max_words, max_ratio of --config)" in str(command.value)


def test_word_dictionary_baseline_translates_known_words_in_place() -> None:
    d = WordDictionary.fit(
        [
            ("open the file", "öffne die Datei"),
            ("the file is gone", "die Datei ist weg"),
            ("open it", "öffne es"),
            ("a file", "eine Datei"),
        ]
    )
    assert d.table["file"] == "Datei" and d.table["open"] == "öffne"
    assert d.translate("Open file 'x'!") == "öffne Datei 'x'!"
    # a word translated as itself keeps its casing: options and names are not lower-cased
    d = WordDictionary.fit(
        [
            ("use -o", "nutze -o"),
            ("try -o now", "versuche -o jetzt"),
            ("gnupg failed", "gnupg scheiterte"),
            ("run gnupg", "starte gnupg"),
        ]
    )
    assert "o" not in d.table and d.table["gnupg"] == "gnupg"  # -o is an option (a placeholder), no word
    assert d.translate("use -O with GnuPG") == "nutze -O with GnuPG"


def test_case_variation_capitalises_both_sides_of_a_seeded_share() -> None:
    pairs = [(f"open file {i}", f"öffne Datei {i}") for i in range(1000)] + [("Done.", "Fertig.")]
    varied = vary_case(pairs, 0.3, seed=0)
    assert varied == vary_case(pairs, 0.3, seed=0) and len(varied) == len(pairs)
    flipped = [(s, t) for s, t in varied if s.startswith("Open")]
    assert 250 < len(flipped) < 350
    assert all(t.startswith("Öffne") for _, t in flipped)
    assert varied[-1] == ("Done.", "Fertig.")


def test_hf_datasets_translation_sets(tmp_path: Path, hub_offline: None) -> None:
    """A data set saved with ``save_to_disk`` in the hub's translation layout (``translation`` dicts, a
    DatasetDict with splits) or with language columns; a hub name that cannot be reached is one line."""
    import datasets

    rows = [{"translation": {"de": f"Datei {i}", "en": f"file {i}"}} for i in range(5)]
    splits = datasets.DatasetDict(
        {"train": datasets.Dataset.from_list(rows), "test": datasets.Dataset.from_list(rows[:2])}
    )
    splits.save_to_disk(str(tmp_path / "wmt_like"))
    assert read_pairs([tmp_path / "wmt_like"], "en", "de") == [(f"file {i}", f"Datei {i}") for i in range(5)]
    assert read_pairs([f"{tmp_path / 'wmt_like'}#test"], "de", "en") == [
        ("Datei 0", "file 0"),
        ("Datei 1", "file 1"),
    ]
    with pytest.raises(TextDataError, match="not 'valid'"):
        read_pairs([f"{tmp_path / 'wmt_like'}#valid"], "en", "de")
    with pytest.raises(TextDataError, match="lacks 'en' and 'fr'"):
        read_pairs([tmp_path / "wmt_like"], "en", "fr")
    datasets.Dataset.from_dict({"en": ["open"], "de": ["öffne"]}).save_to_disk(str(tmp_path / "columns"))
    assert read_pairs([tmp_path / "columns"], "en", "de") == [("open", "öffne")]
    with pytest.raises(TextDataError, match="cannot load it as an HF datasets translation set") as err:
        read_pairs(["no_such_set_xyz:de-en#train"], "en", "de")
    assert "\n" not in str(err.value)


def test_split_of_another_file_is_refused(undertrained: Path, tmp_path: Path) -> None:
    """``evaluate --split test`` scores the pairs held out in training; another file's 'test' cut was never
    held out (it may hold training pairs), so it is an error, not a silent score."""
    from carrousel.nlp.pipeline.translate import Translator
    from carrousel.nlp.pipeline.translate_eval import scored_pairs
    from tests.nlp.conftest import word_pairs

    tr = Translator.from_pretrained(undertrained)
    trained = tr.bundle.data["pairs"]
    assert len(scored_pairs(tr, trained, "test")) == tr.bundle.data["sizes"]["test"]
    other = tmp_path / "other.tsv"
    other.write_text("".join(f"{s}\t{t}\n" for s, t in sorted(word_pairs(300, 7))), encoding="utf-8")
    with pytest.raises(TextDataError, match=r"held out in training.*split='all'"):
        scored_pairs(tr, [str(other)], "test")
    assert len(scored_pairs(tr, [str(other)], "all")) > 200


def test_a_catalogue_of_another_language_than_the_target_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from carrousel.nlp.gettext_mo import mo_language

    entries = {"could not open file": "impossible d'ouvrir le fichier"}
    fr = write_mo(
        tmp_path / "fr.mo", {"": "Language: fr_FR\nContent-Type: text/plain; charset=UTF-8\n", **entries}
    )
    assert mo_language(fr.read_bytes()) == "fr"
    with caplog.at_level("WARNING", logger="carrousel"):
        assert read_pairs([fr], "en", "de") == [("could not open file", "impossible d'ouvrir le fichier")]
    assert "declares Language: fr" in caplog.text and "pass tgt='fr'" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="carrousel"):
        read_pairs([fr], "en", "fr")  # the right target
        read_pairs([fr], "en", "fr-CA")  # a region of it
        named = write_mo(tmp_path / "named.mo", {"": "Language: French\n", **entries})  # not a code
        assert mo_language(named.read_bytes()) is None
        read_pairs([named], "en", "de")
    assert caplog.text == ""


def test_evaluate_on_a_catalogue_of_another_language_names_the_model_target(
    undertrained: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``nlp translate evaluate`` has no ``--tgt``: scoring a model on a catalogue of another language warns
    with the model's target language and the fix (a catalogue in it), not the ``--tgt`` of training."""
    from carrousel.nlp.pipeline.translate import Translator
    from carrousel.nlp.pipeline.translate_eval import scored_pairs

    tr = Translator.from_pretrained(undertrained)
    entries = {"": "Language: it\nContent-Type: text/plain; charset=UTF-8\n", "open the file": "apri il file"}
    it = write_mo(tmp_path / "it.mo", entries)
    with caplog.at_level("WARNING", logger="carrousel"):
        assert scored_pairs(tr, [str(it)], "all") == [("open the file", "apri il file")]
    assert "declares Language: it" in caplog.text
    assert "--tgt" not in caplog.text and f"the model translates into {tr.tgt}" in caplog.text
