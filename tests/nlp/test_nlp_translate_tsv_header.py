"""A pairs TSV's first line naming the languages says which column is which (#sweep-nlp-train): read in the
order it names, with more columns too, and a header of other languages than --src/--tgt refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from carrousel.nlp.errors import TextDataError
from carrousel.nlp.parallel import read_pairs

_ROWS = [("open the file", "öffne die Datei"), ("close a file", "schließe eine Datei")]


def _tsv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_header_order_and_extra_columns_are_read(tmp_path: Path) -> None:
    de_en = _tsv(tmp_path / "de_en.tsv", "de\ten", [f"{t}\t{s}" for s, t in _ROWS])
    assert read_pairs([de_en], "en", "de") == _ROWS  # before: the German read as the source
    three = _tsv(
        tmp_path / "three.tsv", "id\ten_US\tde_DE", [f"{i}\t{s}\t{t}" for i, (s, t) in enumerate(_ROWS)]
    )
    assert read_pairs([three], "en", "de") == _ROWS  # before: refused, 3 fields
    plain = _tsv(tmp_path / "plain.tsv", "en\tde", [f"{s}\t{t}" for s, t in _ROWS])
    assert read_pairs([plain], "en", "de") == _ROWS and read_pairs([plain], "de", "en") == [
        (t, s) for s, t in _ROWS
    ]
    bare = tmp_path / "bare.tsv"  # no header: source, tab, target, as before
    bare.write_text("".join(f"{s}\t{t}\n" for s, t in _ROWS), encoding="utf-8")
    assert read_pairs([bare], "fr", "es") == _ROWS


def test_header_of_other_languages_is_refused(tmp_path: Path) -> None:
    path = _tsv(tmp_path / "p.tsv", "en\tde", [f"{s}\t{t}" for s, t in _ROWS])
    with pytest.raises(
        TextDataError, match=r"names the languages en, de, not src='fr' and tgt='es'; .*src='en' tgt='de'"
    ):
        read_pairs([path], "fr", "es")  # before: the header read as a pair, the model labelled fr -> es
    ragged = _tsv(tmp_path / "r.tsv", "en\tde", ["a\tb\tc"])
    with pytest.raises(TextDataError, match="line 2 has 3 tab-separated fields, not 2"):
        read_pairs([ragged], "en", "de")


def test_header_of_other_language_names_is_refused_as_codes_are(tmp_path: Path) -> None:
    """``French<TAB>Spanish`` for an en -> de run is refused naming the header and --src/--tgt, as ``fr<TAB>es``
    is (before: read as a pair and trained on); a pair that names one language twice stays a pair."""
    path = _tsv(tmp_path / "p.tsv", "French\tSpanish", [f"{s}\t{t}" for s, t in _ROWS])
    with pytest.raises(
        TextDataError,
        match=r"p.tsv line 1 names the languages French, Spanish, not src='en' and tgt='de'; .*src='fr' tgt='es'",
    ):
        read_pairs([path], "en", "de")
    same = _tsv(tmp_path / "s.tsv", "French\tFrançais", [f"{s}\t{t}" for s, t in _ROWS])
    assert read_pairs([same], "en", "fr") == [("French", "Français"), *_ROWS]


@pytest.mark.parametrize(
    "header", ["source\ttarget", "Source\tTarget", "src\ttgt", "input\toutput", "Text\tTranslation"]
)
def test_common_column_names_are_a_header(tmp_path: Path, header: str) -> None:
    path = _tsv(tmp_path / "p.tsv", header, [f"{s}\t{t}" for s, t in _ROWS])
    assert read_pairs([path], "en", "de") == _ROWS  # before: input/output and text/translation read as a pair
    a, b = header.split("\t")
    more = _tsv(tmp_path / "m.tsv", f"id\t{a}\t{b}", [f"{i}\t{s}\t{t}" for i, (s, t) in enumerate(_ROWS)])
    assert read_pairs([more], "en", "de") == _ROWS  # more columns beside the named two


def test_too_few_pairs_names_what_cleaning_dropped(tmp_path: Path) -> None:
    from carrousel.nlp.config import TranslateDataConfig
    from carrousel.nlp.pipeline.translate_train import load_split

    path = _tsv(tmp_path / "p.tsv", "en\tde", [f"{s}\t" for s, _ in _ROWS] + ["a\t" + "die " * 30])
    with pytest.raises(
        TextDataError, match=r"^0 clean pairs .* \(cleaning dropped 2 with an empty side, 1 too long"
    ):
        load_split(TranslateDataConfig(pairs=(str(path),)))  # before: '0 clean pairs are too few', no reason
