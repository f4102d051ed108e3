"""``nlp translate train|run|evaluate`` end to end on a tiny synthetic corpus: files, strict JSON with
attention weights, BLEU/chrF beside the baselines, one-line errors."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli_harness import assert_training_outputs
from tests.nlp.conftest import Run

_WORDS = {"open": "öffne", "the": "die", "file": "Datei", "close": "schließe", "read": "lies", "a": "eine"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TSV with a language header: word-by-word 'translations' of random word strings."""
    rng = random.Random(0)
    words = list(_WORDS)
    rows = {" ".join(rng.choice(words) for _ in range(rng.randint(1, 4))) for _ in range(400)}
    path = tmp_path_factory.mktemp("tr") / "pairs.tsv"
    lines = ["en\tde"] + [f"{r}\t{' '.join(_WORDS[w] for w in r.split())}" for r in sorted(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_train_run_evaluate(nlp: Callable[..., Run], corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "m"
    args = ["--vocab-size", "60", "--embed-dim", "16", "--hidden-size", "32", "--epochs", "2", "--lr", "0.01"]
    args += ["--members", "1"]
    trained = nlp("translate", "train", "--pairs", str(corpus), "-o", str(out), *args, "--json", "-q")
    assert trained.returncode == 0, trained.stderr
    doc = json.loads(trained.stdout)
    assert sum(doc["pairs"].values()) > 100 and doc["epochs"] == 2 and (out / "bundle.json").exists()
    assert_training_outputs(out, 2)  # history.csv and training.png beside the bundle (run loads it below)

    ran = nlp(
        "translate", "run", "--model", str(out), "open the file", "close a file", "--beam", "3", "--json"
    )
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["beam"] == 3 and len(result["translations"]) == 2
    first = result["translations"][0]
    assert first["source"] == "open the file" and isinstance(first["text"], str)
    scores = [x for t in result["translations"] for x in (t["score"], t["nll"])]
    assert all(x == round(x, 4) for x in scores) and any(x != round(x) for x in scores)  # 4 places
    weights = first["attention"]
    assert len(weights) == len(first["target_tokens"])
    assert all(len(row) == len(first["source_tokens"]) and abs(sum(row) - 1) < 1e-4 for row in weights)
    plain = nlp("translate", "run", "--model", str(out), "open the file", "--beam", "3")
    assert plain.returncode == 0 and plain.stdout == first["text"] + "\n"
    mbr = nlp("translate", "run", "--model", str(out), "open the file", "--beam", "3", "--mbr", "--json")
    assert mbr.returncode == 0, mbr.stderr
    picked = json.loads(mbr.stdout)["translations"][0]
    assert picked["chosen"] in ("model", "dictionary", "copy") and 0 <= picked["rank"] < 3
    assert picked["text"] == (picked["model_text"] if picked["chosen"] == "model" else "öffne die Datei")
    png = tmp_path / "attention.png"
    plotted = nlp("translate", "run", "--model", str(out), "read the file", "--plot", str(png), "-q")
    assert plotted.returncode == 0, plotted.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    scored = nlp(
        "translate", "evaluate", "--model", str(out), "--pairs", str(corpus), "--split", "test", "--json"
    )
    assert scored.returncode == 0, scored.stderr
    ev = json.loads(scored.stdout)
    assert ev["pairs"] == doc["pairs"]["test"]
    assert set(ev["bleu"]) == set(ev["chrf"]) == {"greedy", "beam", "copy", "dictionary"}
    assert ev["bleu"]["dictionary"] > 90  # a word-by-word corpus: the dictionary baseline is exact
    assert all(sum(n.values()) == ev["pairs"] for n in ev["choices"].values())
    assert all(0 <= v <= 100 for v in [*ev["bleu"].values(), *ev["chrf"].values()])


def test_errors_are_one_line(nlp: Callable[..., Run], corpus: Path, tmp_path: Path) -> None:
    for args, code in (
        (["translate", "run", "--model", str(tmp_path / "none"), "text"], 1),
        (["translate", "train", "--pairs", str(tmp_path / "none.tsv"), "-o", str(tmp_path / "o")], 1),
        (["translate", "train", "--pairs", str(corpus), "-o", str(tmp_path / "o"), "--test", "0.95"], 1),
        (["translate", "run", "--model", "m", "--beam", "0", "x"], 2),
        (["translate", "run", "--model", "m", "--mbr-dictionary", "-1", "x"], 2),
        (["translate", "run", "--model", "m", "--mbr-temperature", "0", "x"], 2),
        (["translate", "evaluate", "--model", "m", "--pairs", "p", "--mbr-copy", "-0.5"], 2),
        (["translate", "evaluate", "--model", "m", "--pairs", "p", "--split", "dev"], 2),
    ):
        result = nlp(*args)
        assert result.returncode == code, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stdout == ""


def test_no_validation_share_is_refused_naming_the_flag(
    nlp: Callable[..., Run], corpus: Path, tmp_path: Path
) -> None:
    """``translate train --valid 0``: a usage error naming ``--valid`` and its range (0 < x < 1) before any work,
    no folder; from Python the config refuses it naming ``valid``. Before, the data was read and tokenised,
    then 'too few pairs survive tokenisation; give more pairs or a larger --max-tokens', a flag the command
    does not have (and the help's range said 0 <= x < 1)."""
    from carrousel.nlp.config import TranslateDataConfig, TranslateTrainConfig
    from carrousel.nlp.errors import NLPConfigError

    out = tmp_path / "o"
    result = nlp(
        "translate", "train", "--pairs", str(corpus), "-o", str(out), "--valid", "0", "--members", "1"
    )
    assert result.returncode == 2 and result.stdout == "", result.stderr
    assert "'--valid': 0 is outside 0<x<1" in result.stderr and "Traceback" not in result.stderr
    assert "--max-tokens" not in result.stderr and not out.exists()
    with pytest.raises(NLPConfigError, match=r"^valid=0\.0 leaves no validation pairs"):
        TranslateTrainConfig(data=TranslateDataConfig(pairs=("p.tsv",), valid=0.0))


def test_an_odd_hidden_size_names_the_flag(nlp: Callable[..., Run], corpus: Path, tmp_path: Path) -> None:
    """``translate train --hidden-size 3`` (the help says x >= 2): one line naming ``--hidden-size`` and an even
    value, before any work. Before: 'hidden_size must be even (two directions), got 3', the Python name."""
    out = tmp_path / "o"
    result = nlp("translate", "train", "--pairs", str(corpus), "-o", str(out), "--hidden-size", "3")
    assert result.returncode == 1 and result.stdout == "" and not out.exists()
    assert result.stderr.strip().splitlines() == [
        "error: --hidden-size 3 must be even (the encoder has half of it per direction); give e.g. --hidden-size 4"
    ]


def test_config_data_table_sets_the_split_and_flags_win(
    nlp: Callable[..., Run], corpus: Path, tmp_path: Path
) -> None:
    """``--config`` with a ``[data]`` table: shares, cleaning and split seed from the file; a flag wins;
    an unknown key is a one-line error (exit 1, as every bad --config value)."""
    conf = tmp_path / "mt.toml"
    conf.write_text("[data]\nvalid = 0.2\ntest = 0.25\nmax_words = 3\nseed = 4\n[fit]\nepochs = 1\n")
    args = ["--vocab-size", "60", "--embed-dim", "8", "--hidden-size", "16", "--members", "1", "--json", "-q"]
    out = tmp_path / "m"
    run = nlp("translate", "train", "--pairs", str(corpus), "-o", str(out), "--config", str(conf), *args)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    total = sum(doc["pairs"].values())
    assert abs(doc["pairs"]["test"] - 0.25 * total) <= 2 and abs(doc["pairs"]["valid"] - 0.2 * total) <= 2
    assert doc["epochs"] == 1
    flagged = nlp(
        "translate", "train", "--pairs", str(corpus), "-o", str(tmp_path / "m2"), "--config", str(conf),
        "--test", "0.1", *args,
    )  # fmt: skip
    assert flagged.returncode == 0, flagged.stderr
    flag_doc = json.loads(flagged.stdout)
    assert abs(flag_doc["pairs"]["test"] - 0.1 * sum(flag_doc["pairs"].values())) <= 2
    assert sum(flag_doc["pairs"].values()) == total  # max_words = 3 from the file in both runs
    conf.write_text("[data]\nvalid_share = 0.2\n")
    bad = nlp("translate", "train", "--pairs", str(corpus), "-o", str(tmp_path / "m3"), "--config", str(conf))
    assert bad.returncode == 1 and "valid_share" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_file_input_and_the_shorthand(nlp: Callable[..., Run], undertrained: Path, tmp_path: Path) -> None:
    """``translate run --file F`` translates each line in order after the argument texts, and
    ``nlp translate --model DIR ...`` (no sub-command, the issue's form) is ``translate run``."""
    lines = ["read the file", "open all new files", "show the old name"]
    listing = tmp_path / "messages.txt"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = ["--model", str(undertrained), "--beam", "2", "--no-mbr"]
    by_file = nlp("translate", "run", *model, "--file", str(listing), "--json")
    assert by_file.returncode == 0, by_file.stderr
    done = json.loads(by_file.stdout)["translations"]
    assert [t["source"] for t in done] == lines
    texts = [t["text"] for t in done]
    assert all(isinstance(t, str) and t for t in texts)
    plain = nlp("translate", "run", *model, "--file", str(listing))
    assert plain.returncode == 0 and plain.stdout.splitlines() == texts  # one line out per line in
    both = nlp("translate", "run", *model, "copy the list", "--file", str(listing))
    assert (
        both.returncode == 0 and both.stdout.splitlines()[1:] == texts and len(both.stdout.splitlines()) == 4
    )

    short = nlp("translate", *model, "read the file")
    assert short.returncode == 0 and short.stdout == texts[0] + "\n", short.stderr
    short_file = nlp("translate", *model, "--file", str(listing))
    assert short_file.returncode == 0 and short_file.stdout == plain.stdout
    assert nlp("translate", "-h").stdout.startswith("Usage: nlp translate [OPTIONS] COMMAND")

    listing.write_text("read the file\n   \nshow the old name\n", encoding="utf-8")
    kept = nlp("translate", *model, "--file", str(listing))  # a blank line: an empty one, lines aligned
    assert kept.returncode == 0 and kept.stdout.split("\n")[1] == "" and len(kept.stdout.splitlines()) == 3
    bad = nlp("translate", *model, "--file", str(tmp_path / "absent.txt"))  # none: exit 2, below
    assert bad.returncode == 1 and bad.stdout == "", bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr


def test_argument_texts_come_before_the_files_lines_as_documented(
    nlp: Callable[..., Run], undertrained: Path, tmp_path: Path
) -> None:
    """``translate run --file F "extra"`` translates "extra" first, then F's lines, wherever each stands on
    the command line: deliberate, but neither --help nor the README said so (a newcomer expected the
    command line's order). The order is pinned here and the two documents say it."""
    lines = ["read the file", "show the old name"]
    listing = tmp_path / "messages.txt"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = ["--model", str(undertrained), "--beam", "1", "--no-mbr", "--json"]
    for args in (["--file", str(listing), "copy the list"], ["copy the list", "--file", str(listing)]):
        run = nlp("translate", "run", *model, *args)
        assert run.returncode == 0, run.stderr
        assert [t["source"] for t in json.loads(run.stdout)["translations"]] == ["copy the list", *lines]
    shown = " ".join(nlp("translate", "run", "--help").stdout.split())
    assert "Translate texts given as arguments, then the lines of --file" in shown, shown
    assert "Texts to translate (before --file's lines)." in shown and "after any TEXTS." in shown, shown
    readme = Path(__file__).resolve().parents[2] / "packages" / "nlp" / "README.md"
    said = " ".join(readme.read_text(encoding="utf-8").split())
    assert "`translate run` translates the texts given as arguments first, then the lines of `--file`" in said


def test_run_json_writes_nothing_before_a_refused_text(nlp: Callable[..., Run], undertrained: Path) -> None:
    """``translate run --json`` wrote the document's head (``{"beam": 5, ..., "translations": ``) before the
    texts were checked, so a blank or non-UTF-8 text left that half document on stdout beside the error. A blank
    text is a usage error since session 41 (core's NonBlank check, exit 2, before the model is read)."""
    for bad, code, error in (
        ("", 2, "error: Invalid value for 'TEXTS': an empty text"),
        ("caf\udce9", 2, "error: Invalid value for"),
    ):
        run = nlp("translate", "run", "--model", str(undertrained), "--json", "open the file", bad)
        assert run.returncode == code and run.stdout == "", (run.stdout, run.stderr)
        assert run.stderr.startswith(error), run.stderr  # the non-UTF-8 text: core's option check, first


def test_length_penalty_beyond_its_bound_is_a_usage_error(
    nlp: Callable[..., Run], undertrained: Path
) -> None:
    """GNMT's normaliser ((5 + length) / 6) ** alpha overflows a float for a large alpha: '--length-penalty
    1e12' ended in 'internal error (OverflowError: (34, 'Numerical result out of range')) ... report it'.
    Now the option's range (0 to 10) refuses it before the model is read; 10 still decodes."""
    from carrousel.nlp.config import DecodeConfig

    for command in ("run", "evaluate"):
        extra = ["--pairs", "p.tsv"] if command == "evaluate" else ["open the file"]
        run = nlp("translate", command, "--model", str(undertrained), "--length-penalty", "1e12", *extra)
        assert run.returncode == 2 and run.stdout == "", run.stderr
        assert run.stderr.count("\n") == 1 and "'--length-penalty': 1e+12 is outside 0<=x<=10" in run.stderr
    with pytest.raises(ValueError, match="length_penalty must be in"):
        DecodeConfig(length_penalty=1e12)
    run = nlp(
        "translate", "run", "--model", str(undertrained), "--length-penalty", "10", "--json", "open the file"
    )
    assert run.returncode == 0 and json.loads(run.stdout)["translations"], run.stderr


def test_run_without_any_text_is_a_usage_error(nlp: Callable[..., Run], tmp_path: Path) -> None:
    """``nlp translate run`` with no text, no ``--file`` and no ``--po`` was ``error: nothing to translate...``,
    exit 1, a data error; the conventions table calls a missing input a usage error (exit 2, naming --help), as
    ``nlp sentiment predict`` with no text already was. Refused before the model is read (it need not exist)."""
    model = ["--model", str(tmp_path / "absent")]
    for args in (["translate", "run", *model], ["translate", "run", *model, "--json"], ["translate", *model]):
        run = nlp(*args)
        assert run.returncode == 2 and run.stdout == "", (args, run.stderr)
        assert run.stderr.count("\n") == 1 and run.stderr.startswith("error: "), run.stderr
        assert "give texts as arguments, --file FILE or --po CATALOGUE" in run.stderr, run.stderr
        assert "--help" in run.stderr, run.stderr
