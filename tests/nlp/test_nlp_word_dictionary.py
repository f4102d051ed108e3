"""The word-by-word dictionary (the translation baseline and the translator's fallback): placeholders are no
words, a target written without spaces is cut into short units, spaced targets are as before."""

from __future__ import annotations

import pytest

from carrousel.nlp.baselines import WordDictionary
from carrousel.nlp.errors import NLPConfigError


def test_placeholders_are_no_words_on_either_side() -> None:
    """Before, the ``s`` of ``%s`` was a word: ``cannot`` co-occurred with it in every pair and meant ``s``,
    and a table entry for ``s`` or ``d`` rewrote the placeholder (``%s`` -> ``%X``)."""
    pairs = [
        ("cannot read %s", "kann %s nicht lesen"),
        ("cannot write %1$s", "kann %1$s nicht schreiben"),
        ("cannot open %-10s", "kann %-10s nicht öffnen"),
        ("read %d files", "%d Dateien lesen"),
    ]
    d = WordDictionary.fit(pairs)
    assert "s" not in d.table and "d" not in d.table and "1" not in d.table
    assert "s" not in d.table.values() and d.table["cannot"] in {"kann", "nicht"}
    d.table.update({"s": "X", "d": "Y", "10s": "Z", "help": "Hilfe"})  # even with such entries
    source = "cannot read %s, %1$s or %-10s (%d, %lu) --help"
    assert d.translate(source) == f"{d.table['cannot']} lesen %s, %1$s or %-10s (%d, %lu) --help"


def test_a_chinese_word_maps_to_a_short_unit_not_the_whole_run() -> None:
    """A Han run between punctuation is a phrase (before: ``file`` -> ``打开文件`` or ``删除文件``)."""
    pairs = [
        ("open the file", "打开文件"),
        ("delete the file", "删除文件"),
        ("file not found", "未找到文件"),
        ("open the branch", "打开分支"),
        ("delete the branch", "删除分支"),
        ("branch not found", "未找到分支"),
        ("open the worktree", "打开工作区"),
        ("delete the worktree", "删除工作区"),
    ]
    d = WordDictionary.fit(pairs)
    assert d.table["file"] == "文件" and d.table["branch"] == "分支" and d.table["open"] == "打开"
    assert d.table["delete"] == "删除" and d.table["worktree"] == "工作区"  # not the fragment 作区
    assert d.translate("Delete file: %s") == "删除文件: %s"  # units meet without the source's space
    assert WordDictionary.fit(pairs, ngrams=0).table["file"] in {"打开文件", "删除文件", "未找到文件"}
    with pytest.raises(NLPConfigError, match="ngrams"):
        WordDictionary.fit(pairs, ngrams=-1)


def test_a_german_dictionary_is_unchanged() -> None:
    """The table and translations the dictionary gave before this change (computed with it), kept."""
    pairs = [
        ("could not open the file", "konnte die Datei nicht öffnen"),
        ("the file is gone", "die Datei ist weg"),
        ("open it", "öffne es"),
        ("a file or a directory", "eine Datei oder ein Verzeichnis"),
        ("could not remove the directory", "konnte das Verzeichnis nicht entfernen"),
        ("remove it", "entferne es"),
        ("the repository's branch", "der Branch des Repositorys"),
    ]
    d = WordDictionary.fit(pairs)
    assert d.table == {
        "a": "oder", "branch": "des", "could": "nicht", "directory": "Verzeichnis", "file": "Datei",
        "gone": "weg", "is": "weg", "it": "es", "not": "nicht", "open": "öffnen", "or": "oder",
        "remove": "entfernen", "repository's": "des", "the": "nicht",
    }  # fmt: skip
    assert d.translate("Could not open the directory!") == "nicht nicht öffnen nicht Verzeichnis!"
    assert d.translate("remove the file, or it's gone") == "entfernen nicht Datei, oder it's weg"
    assert d.translate("the branch - could it open?") == "nicht des - nicht es öffnen?"
