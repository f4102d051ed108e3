"""The dictionary fallback per clause (``DecodeConfig.fallback_clauses``): a text is cut at its punctuation
into clauses and back without loss; only texts the sentence fallback took and that hold two word clauses
are redone, in one call for all their clauses, separators and placeholder-only clauses kept as written;
through a translator, a clause the network is sure of keeps its translation, an unsure one the
dictionary's, texts it is sure of are untouched, and where every clause falls back the text is exactly the
dictionary's."""

from __future__ import annotations

from pathlib import Path

from carrousel.nlp.clauses import by_clauses, split_clauses, word_clauses
from carrousel.nlp.config import DecodeConfig
from carrousel.nlp.pipeline.translate import Translator

WORDS3 = [
    "read the file",
    "show all new list",
    "copy old name now",
    "open all",
    "the new name",
    "show the list",
]
WORDS3 += ["read old file now", "copy the list", "open new file"]


def test_a_text_is_cut_at_its_punctuation_and_joins_back() -> None:
    texts = [
        "could not read %s: bad header (too short)",
        "Cannot copy notes. Found existing notes for object %s; use '-f', or stop",
        "git rebase [-i] [options] [<upstream>]",
        "no punctuation here",
        "%s: %s",
        "see http://example.org/a:b, then the path a/b.c",
    ]
    for text in texts:
        assert "".join(split_clauses(text)) == text
    parts = split_clauses(texts[0])
    assert parts == ["could not read %s", ": ", "bad header", " (", "too short", ")", ""]
    assert word_clauses(parts) == [0, 2, 4]
    assert word_clauses(split_clauses("%s: %s")) == []  # placeholders are not words
    assert [split_clauses(texts[5])[i] for i in word_clauses(split_clauses(texts[5]))] == [
        "see http://example.org/a:b",
        "then the path a/b.c",
    ]


def test_only_unsure_texts_of_two_word_clauses_are_redone_in_one_call() -> None:
    calls: list[list[str]] = []
    table = {
        "could not read %s": "konnte %s nicht lesen",
        "bad header": "kaputter Kopf",
        "too short": "zu kurz",
    }
    table |= {"%s: done": "?", "no": "nein", "never": "nie"}

    def translate(clauses: list[str]) -> list[str]:
        calls.append(clauses)
        return [table[c] for c in clauses]

    texts = ["could not read %s: bad header (too short)", "%s: done", "no, never", "sure: of this"]
    out = by_clauses(texts, [True, True, True, False], translate)
    assert out == ["konnte %s nicht lesen: kaputter Kopf (zu kurz)", None, "nein, nie", None]
    assert calls == [["could not read %s", "bad header", "too short", "no", "never"]]
    assert by_clauses(["a: b"], [False], translate) == [None] and len(calls) == 1  # nothing to redo: no call


def test_a_translator_falls_back_per_clause(undertrained: Path) -> None:
    tr = Translator.from_pretrained(undertrained)
    text = "read the file: show all new list, copy old name now"
    clauses = ["read the file", "show all new list", "copy old name now"]
    own = DecodeConfig(beam=3, fallback_nll=0.0, mbr=False)
    whole = tr.translate([text], own)[0]
    parts = tr.translate(clauses, own)
    # every clause unsure: the text is the dictionary's, as with the fallback per sentence
    tiny = DecodeConfig(beam=3, fallback_nll=1e-9, mbr=False, fallback_clauses=True)
    every = tr.translate([text], tiny)[0]
    assert every.text == tr.dictionary.translate(text) and every.chosen == "dictionary" and every.fallback
    # a threshold under the text's -log p, at or above some clause's: those clauses keep the network's text
    cut = min(whole.nll - 1e-9, max(p.nll for p in parts))
    assert any(p.nll <= cut for p in parts), ([p.nll for p in parts], whole.nll)
    mixed = tr.translate([text], DecodeConfig(beam=3, fallback_nll=cut, mbr=False, fallback_clauses=True))[0]
    kept = [
        p.text if p.nll <= cut else tr.dictionary.translate(c) for p, c in zip(parts, clauses, strict=True)
    ]
    assert mixed.text == f"{kept[0]}: {kept[1]}, {kept[2]}"
    assert mixed.chosen == "clauses" and not mixed.fallback and mixed.model_text == whole.text
    # a text the network is sure of is not touched
    sure = DecodeConfig(beam=3, fallback_nll=whole.nll + 1.0, mbr=False)
    assert tr.translate([text], sure)[0].text == whole.text
    assert (
        tr.translate(
            [text], DecodeConfig(beam=3, fallback_nll=whole.nll + 1.0, mbr=False, fallback_clauses=True)
        )[0].text
        == whole.text
    )


def test_only_the_fallbacks_texts_are_redone_with_consensus(undertrained: Path) -> None:
    tr = Translator.from_pretrained(undertrained)
    texts = [f"{a}: {b}, {c}" for a in WORDS3 for b in WORDS3[:3] for c in WORDS3[3:6]]
    best = sorted(t.nll for t in tr.translate(texts, DecodeConfig(beam=3, fallback_nll=0.0, mbr=False)))
    cut = best[int(0.7 * len(best))]
    plain = tr.translate(texts, DecodeConfig(beam=3, fallback_nll=cut))
    redone = tr.translate(texts, DecodeConfig(beam=3, fallback_nll=cut, fallback_clauses=True))
    # consensus took another of the n-best, less sure than the cut, where the best was sure: not redone
    assert any(p.rank > 0 and p.nll > cut for p in plain)
    for p, r in zip(plain, redone, strict=True):
        assert r == p or (p.fallback and p.rank == 0 and p.nll > cut and r.chosen == "clauses"), (p, r)
    assert any(r.chosen == "clauses" for r in redone)


def test_a_spaced_text_falls_back_per_clause_as_read(undertrained: Path) -> None:
    """Before: the fallback per clause cut the text as given, so a source's stray whitespace stayed in the
    output ('... die alte man reads ', chosen "clauses") where the sentence fallback's had none. Now the
    clauses are cut from the text as the network read it: the spaced text's output is the plain one's."""
    tr = Translator.from_pretrained(undertrained)
    text = "read the file: show all new list, copy old name now"
    spaced = "\t read the file:  show all new list,  copy old name now \r\n"
    clauses = ["read the file", "show all new list", "copy old name now"]
    own = DecodeConfig(beam=3, fallback_nll=0.0, mbr=False)
    whole, parts = tr.translate([text], own)[0], tr.translate(clauses, own)
    cut = min(whole.nll - 1e-9, max(p.nll for p in parts))
    for nll in (1e-9, cut):  # every clause unsure; some sure
        for per_clause in (False, True):
            dc = DecodeConfig(beam=3, fallback_nll=nll, mbr=False, fallback_clauses=per_clause)
            plain, got = tr.translate([text], dc)[0], tr.translate([spaced], dc)[0]
            assert (got.text, got.chosen) == (plain.text, plain.chosen), (nll, per_clause)
            assert got.text == " ".join(got.text.split()) and got.source == spaced
    assert (
        tr.translate([spaced], DecodeConfig(beam=3, fallback_nll=cut, mbr=False, fallback_clauses=True))[
            0
        ].chosen
        == "clauses"
    )
