"""``nlp translate evaluate --pairs FILE`` (``--split all``) scores the file whole but for pairs with an
empty side and repeated sources, and says in one warning how many it left out and why (``dropped`` in the
JSON).

Before, the pairs were cleaned as training data is: empty, over-long (over 80 words), unevenly long (a word
count ratio over 3) and repeated pairs were dropped, said at INFO only (``-v``): a score over fewer pairs
than the file holds, the JSON's ``pairs`` the only other sign.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.nlp.conftest import Run
from tests.nlp.translate_toys import COMMANDS

_GOOD = ["open the file", "close a file", "read the file", "open a file", "close the file"]


def _de(text: str) -> str:
    return " ".join(COMMANDS[w] for w in text.split())


def test_evaluate_scores_long_pairs_and_says_what_it_left_out(
    toy_translator: Path, tmp_path: Path, nlp: Callable[..., Run]
) -> None:
    long = " ".join(["open the file"] * 30)  # 90 words: over the 80 of training's cleaning
    rows = [(s, _de(s)) for s in _GOOD]
    rows += [(long, _de(long))]  # long: scored
    uneven = "open the file close the file read"
    rows += [(uneven, "lies")]  # 7 + 1 words against 1 + 1: a ratio over 3, scored
    rows += [("open the file", "öffne die Datei")]  # a source scored already: left out
    rows += [("close", ""), ("", "Datei")]  # an empty side: left out
    path = tmp_path / "test.tsv"
    path.write_text("en\tde\n" + "".join(f"{s}\t{t}\n" for s, t in rows), encoding="utf-8")
    run = nlp("translate", "evaluate", "--model", str(toy_translator), "--pairs", str(path), "--json")
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    assert got["pairs"] == 7  # before: 5 (the long and the uneven pair dropped too)
    assert got["dropped"] == {"empty": 2, "duplicate": 1}
    said = [line for line in run.stderr.splitlines() if "not scored" in line]
    assert len(said) == 1, run.stderr
    assert said[0].startswith("WARNING")
    assert (
        f"3 of the 10 pairs of {path} are not scored: 2 with an empty side, 1 repeating a source scored "
        "already (its first translation is the reference); BLEU and chrF are over the rest"
    ) in " ".join(run.stderr.split())  # the log handler may wrap the line


def test_a_clean_file_and_a_split_of_training_warn_of_nothing(
    toy_translator: Path, tmp_path: Path, nlp: Callable[..., Run]
) -> None:
    path = tmp_path / "clean.tsv"
    path.write_text("en\tde\n" + "".join(f"{s}\t{_de(s)}\n" for s in _GOOD), encoding="utf-8")
    run = nlp("translate", "evaluate", "--model", str(toy_translator), "--pairs", str(path), "--json")
    assert run.returncode == 0, run.stderr
    assert "not scored" not in run.stderr
    assert json.loads(run.stdout)["dropped"] == {"empty": 0, "duplicate": 0}
    trained = toy_translator.parent / "pairs.tsv"  # the test split is cut by training's cleaning: no counts
    run = nlp("translate", "evaluate", "--model", str(toy_translator), "--pairs", str(trained), "--split", "test",
              "--json")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "not scored" not in run.stderr and json.loads(run.stdout)["dropped"] == {}
