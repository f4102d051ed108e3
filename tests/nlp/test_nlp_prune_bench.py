"""``benchmarks/bench_nlp_sentiment_prune.py``: the fine-tuning texts and the held-out agreement texts of the
pruned variants stay apart from each other, from the labelled sets scored and from the shipped model's own
training and transfer texts (else the agreement or the accuracies would be read on texts fitted to)."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from carrousel.core.errors import DataError

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_nlp_sentiment_prune.py"


def test_agreement_texts_are_held_out_from_every_other_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(SCRIPT.parent))  # its import of bench_nlp_sentiment
    bench = runpy.run_path(str(SCRIPT))  # the functions only: the __main__ block does not run
    try:
        texts, held, sets = bench["texts_and_sets"](tmp_path, True)
    except DataError as exc:
        pytest.skip(f"sample not cached ({exc}); run `carrousel-data fetch nlp`")
    key, rows = bench["_key"], bench["_rows"]
    tuned = texts.read_text(encoding="utf-8").splitlines()
    held_out = {key(t) for t in held.read_text(encoding="utf-8").splitlines()}
    assert len(held_out) == bench["HELD"] and len(tuned) > 30_000  # --more: the ~37,000 review sentences
    shipped = tmp_path / "shipped"
    fitted = {key(t) for t in rows(shipped / "train.csv")[0]}
    fitted |= {key(t) for t in (shipped / "unlabelled.txt").read_text(encoding="utf-8").splitlines()}
    labelled = {key(t) for path in sets.values() for t in rows(path)[0]}
    assert not held_out & ({key(t) for t in tuned} | fitted | labelled)
    assert not {key(t) for t in tuned} & labelled  # no scored sentence is fine-tuned on
    assert set(sets) == {"validation", "pang_lee", "gensim"} and len(rows(sets["pang_lee"])[0]) == 4000


def test_texts_drawn_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    # the file --texts-out writes for `nlp sentiment export --unlabelled` is the one a later --finetune run
    # fine-tunes on and holds out from: on main, a few review sentences with two spellings of one key kept
    # the spelling the set's order (PYTHONHASHSEED) gave, so two processes drew different texts
    draw = (
        "import runpy, sys; from pathlib import Path; "
        f"sys.path.insert(0, {str(SCRIPT.parent)!r}); "
        f"b = runpy.run_path({str(SCRIPT)!r}); b['texts_and_sets'](Path(sys.argv[1]), True)"
    )
    drawn = []
    for seed in ("1", "2"):
        folder = tmp_path / seed
        folder.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", draw, str(folder)], env=env, capture_output=True, text=True
        )
        if "DataError" in done.stderr:
            pytest.skip("sample not cached; run `carrousel-data fetch nlp`")
        assert done.returncode == 0, done.stderr[-2000:]
        drawn.append([(folder / name).read_bytes() for name in ("reviews.txt", "held.txt")])
    assert drawn[0] == drawn[1]
