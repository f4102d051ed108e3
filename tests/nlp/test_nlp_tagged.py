"""Tagged corpora as plain sentences (carrousel.nlp.transfer.tagged_sentences): tags stripped, clitics and
punctuation re-attached, lines cut into sentences, duplicates and short sentences dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from carrousel.core.errors import DataError
from carrousel.nlp.errors import TextDataError
from carrousel.nlp.samples import sample_file
from carrousel.nlp.transfer import detokenise, tagged_sentences

TAGGED = (
    "The/DT critic/NN does/VBZ n't/RB like/VB the/DT hotel/NN 's/POS 18/CD -/: month/NN plan/NN ./.\n"
    'She/PRP said/VBD ,/, "/" It/PRP \'s/VBZ fine/JJ (/( really/RB )/) !/. "/"\n'
    "Prices/NNS rose/VBD 5/CD %/NN to/TO $/$ 3.75/CD ./. Mr./NNP Lee/NNP was/VBD n't/RB there/RB ./.\n"
    "Too/RB short/JJ ./.\n"
    "The/DT critic/NN does/VBZ n't/RB like/VB the/DT hotel/NN 's/POS 18/CD -/: month/NN plan/NN ./.\n"
    "``/`` Yes/UH ,/, we/PRP 're/VBP in/IN Boston/NNP &slash;/NN Cambridge/NNP ''/'' ;/: fine/JJ ./.\n"
)


def test_detokenise_reattaches_clitics_punctuation_and_quotes() -> None:
    assert detokenise(["I", "do", "n't", "know", ",", "(", "really", ")", "."]) == "I don't know, (really)."
    assert detokenise(['"', "Go", "!", '"', "he", "said", "."]) == '"Go!" he said.'
    assert detokenise(["Bob", "'s", "$", "5", "bill", "--", "gone"]) == "Bob's $5 bill -- gone"


def test_tagged_sentences_of_a_made_up_text(tmp_path: Path) -> None:
    path = tmp_path / "tagged.txt"
    path.write_text(TAGGED, encoding="utf-8")
    assert tagged_sentences(path) == [
        "The critic doesn't like the hotel's 18-month plan.",
        'She said, "It\'s fine (really)!"',
        "Prices rose 5% to $3.75.",
        "Mr. Lee wasn't there.",
        '"Yes, we\'re in Boston/Cambridge"; fine.',
    ]
    assert tagged_sentences(path, min_words=5, max_words=7) == [
        'She said, "It\'s fine (really)!"',
        "Prices rose 5% to $3.75.",
        '"Yes, we\'re in Boston/Cambridge"; fine.',
    ]


def test_untagged_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_text("no tags here at all\n", encoding="utf-8")
    with pytest.raises(TextDataError, match="word/TAG"):
        tagged_sentences(path)


@pytest.mark.parametrize(("name", "least"), [("nlp.oanc", 15000), ("nlp.wsj", 1000)])
def test_tagged_samples_give_plain_distinct_sentences(name: str, least: int) -> None:
    try:
        path = sample_file(name)
    except DataError as exc:
        pytest.skip(f"sample {name} not cached ({exc}); run `carrousel-data fetch nlp`")
    sentences = tagged_sentences(path)
    assert len(sentences) >= least
    assert len(set(sentences)) == len(sentences)
    assert all(4 <= len(s.split()) <= 60 for s in sentences)
    joined = "\n".join(sentences)
    assert "/NN" not in joined and "/DT" not in joined  # tags gone
    assert " n't" not in joined and " 's " not in joined and " ," not in joined  # clitics re-attached
    assert sum("n't" in s for s in sentences) > 50


def test_an_untagged_last_token_does_not_lose_the_sentence(tmp_path: Path) -> None:
    path = tmp_path / "tagged.txt"
    path.write_text("The/DT plan/NN was/VBD very/RB good/JJ ./. stray\nIt/PRP ended/VBD here/RB today/NN\n")
    assert tagged_sentences(path) == ["The plan was very good.", "It ended here today"]
