"""``nlp sentiment|generate|translate train`` record their resolved settings in ``bundle.json`` (provenance
``config``: the ``--config`` file's tables, ``[train]`` for the run's own fields) and the figures they print
(``train``): written back as a ``--config`` file, the record trains byte-identical weights; ``-q`` prints
nothing. Every train flag can be set in the file (``[train] bptt``, ``members``, ``label_smoothing``...);
``[fit] progress`` is refused in one line. Before, none of this was recorded, ``[train]`` was an unknown
table and ``[fit] progress`` was accepted and then overridden."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from carrousel.nlp.cli import app
from carrousel.nlp.pipeline import generate, sentiment, translate
from tests.cli_harness import config_of
from tests.nlp.conftest import Run, bundle_data, retrained, weights_sha


def test_generate_record_retrains_the_sameweights_sha(
    nlp: Callable[..., Run], tmp_path: Path, small_text: Path
) -> None:
    first = tmp_path / "lm"
    flags = ["--embed-dim", "8", "--hidden-size", "16", "--epochs", "2", "--batch-size", "4", "--bptt", "20"]
    run = nlp("generate", "train", "-t", str(small_text), "-o", str(first), *flags, "--seed", "3", "-q")
    assert (run.returncode, run.stdout) == (0, ""), run.stderr  # -q: nothing but errors and warnings
    data = bundle_data(first)
    config, figures = data["config"], data["train"]
    assert config["train"] == {"bptt": 20, "segment": 80}
    assert (config["fit"]["epochs"], config["fit"]["seed"], config["fit"]["lr"]) == (2, 3, 3e-3)
    assert config["tokenizer"]["vocab_size"] == 512 and "progress" not in config["fit"]
    assert figures["perplexity"] > 1 and figures["seconds"] > 0  # the held-out perplexity it printed
    assert weights_sha(retrained(nlp, tmp_path, "generate", first)) == weights_sha(first)


def test_sentiment_record_retrains_the_sameweights_sha(
    nlp: Callable[..., Run], tmp_path: Path, synthetic_csv: Path
) -> None:
    first = tmp_path / "clf"
    flags = ["--tokenizer", "word", "--vocab-size", "200", "--min-frequency", "1", "--embed-dim", "8"]
    flags += ["--hidden-size", "8", "--epochs", "2", "--lr", "0.01", "--threshold", "f1", "--seed", "2"]
    run = nlp("sentiment", "train", "--data", str(synthetic_csv), "-o", str(first), *flags, "-q")
    assert (run.returncode, run.stdout) == (0, ""), run.stderr
    data = bundle_data(first)
    config, figures = data["config"], data["train"]
    assert config["train"]["threshold"] == "f1" and config["fit"]["seed"] == 2
    assert (config["fit"]["weight_decay"], config["fit"]["val_fraction"]) == (1e-4, 0.1)
    assert config["tokenizer"]["lowercase"] is True and config["data"]["source"] == str(synthetic_csv)
    assert set(figures["val_at_threshold"]) >= {"accuracy", "f1"}  # the "at the cut" line's figures
    assert weights_sha(retrained(nlp, tmp_path, "sentiment", first)) == weights_sha(first)


def test_translate_record_retrains_the_sameweights_sha(nlp: Callable[..., Run], tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.tsv"
    words = {"open": "öffne", "the": "die", "file": "Datei", "close": "schließe"}
    rows = sorted({f"{a} {b}" for a in words for b in words})
    pairs.write_text("en\tde\n" + "".join(f"{r}\t{' '.join(words[w] for w in r.split())}\n" for r in rows))
    first = tmp_path / "mt"
    flags = [
        "--vocab-size",
        "40",
        "--embed-dim",
        "8",
        "--hidden-size",
        "16",
        "--epochs",
        "1",
        "--valid",
        "0.2",
    ]
    flags += ["--members", "1", "--label-smoothing", "0.2", "--no-placeholders", "--separate-vocab"]
    run = nlp("translate", "train", "--pairs", str(pairs), "-o", str(first), *flags, "-q")
    assert (run.returncode, run.stdout) == (0, ""), run.stderr
    data = bundle_data(first)
    own = data["config"]["train"]
    assert (own["members"], own["label_smoothing"], own["placeholders"], own["shared_vocab"]) == (
        1,
        0.2,
        False,
        False,
    )
    assert data["train"]["seconds"] > 0  # the training time it printed
    assert weights_sha(retrained(nlp, tmp_path, "translate", first)) == weights_sha(first)


def _config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, module: Any, name: str, *argv: str
) -> Any:
    conf = tmp_path / "c.toml"
    conf.write_text(text, encoding="utf-8")
    return config_of(monkeypatch, app, module, name, *argv, "-o", str(tmp_path / "m"), "--config", str(conf))


def test_every_train_flag_can_be_set_in_the_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    lm = _config(
        monkeypatch,
        tmp_path,
        "[train]\nbptt = 30\n",
        generate,
        "train_lm",
        "generate",
        "train",
        "-t",
        "t.txt",
    )
    assert (lm.bptt, lm.segment) == (30, 120)
    text = "[train]\nmembers = 2\nlabel_smoothing = 0.05\nshared_vocab = false\n"
    mt = _config(
        monkeypatch, tmp_path, text, translate, "train_translator", "translate", "train", "--pairs", "p.tsv"
    )
    assert (mt.members, mt.label_smoothing, mt.shared_vocab) == (2, 0.05, False)
    typed = _config(
        monkeypatch, tmp_path, text, translate, "train_translator", "translate", "train", "--pairs", "p.tsv",
        "--members", "1", "--shared-vocab",
    )  # fmt: skip
    assert (typed.members, typed.label_smoothing, typed.shared_vocab) == (1, 0.05, True)  # flags win
    text = '[train]\nthreshold = "accuracy"\nunk = "keep"\n'
    clf = _config(
        monkeypatch, tmp_path, text, sentiment, "train_sentiment", "sentiment", "train", "--data", "d.csv"
    )
    assert (clf.threshold, clf.unk) == ("accuracy", "keep")
    args = ("sentiment", "train", "--data", "d.csv", "--threshold", "prior")
    assert _config(monkeypatch, tmp_path, text, sentiment, "train_sentiment", *args).threshold == "prior"


def test_fit_progress_in_the_config_is_refused(nlp: Callable[..., Run], tmp_path: Path) -> None:
    conf = tmp_path / "c.toml"
    conf.write_text("[fit]\nprogress = true\n", encoding="utf-8")
    run = nlp("generate", "train", "-t", "t.txt", "-o", str(tmp_path / "m"), "--config", str(conf))
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert f"[fit] progress in {conf}:" in run.stderr and "-q" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("command", "table", "named", "flag"),
    [
        ("translate", 'pairs = ["a.tsv", "b.tsv", "c.tsv"]', "give one pairs file or two", "--pairs"),
        ("translate", 'pairs = ["a.tsv"]\nvalid = 0.0', "[data] valid in c.toml: 0.0 leaves no", "--valid"),
        (
            "sentiment",
            'source = "d.csv"\ntext_col = "nope"',
            "no column 'nope' ([data] text_col in c.toml)",
            "--text-col",
        ),
    ],
)
def test_settings_from_the_config_are_named_as_the_file_holds_them(
    nlp: Callable[..., Run],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    table: str,
    named: str,
    flag: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("d.csv").write_text("text,label\ngood,pos\nbad,neg\n", encoding="utf-8")
    Path("c.toml").write_text(f"[data]\n{table}\n", encoding="utf-8")
    run = nlp(command, "train", "--config", "c.toml", "-o", "m")
    assert run.returncode == 1 and named in run.stderr and flag not in run.stderr, run.stderr
    if command == "translate" and "b.tsv" in table:
        assert "[data] in c.toml:" in run.stderr and "([data] pairs)" in run.stderr
