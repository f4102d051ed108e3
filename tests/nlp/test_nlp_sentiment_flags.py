"""``nlp sentiment train --fold unknown|none --unk keep|drop`` (the config's defaults, recorded in the bundle)
and ``nlp sentiment predict|evaluate --unk keep|drop``, which overrides the bundle's asset ``unk`` at
prediction: checked by the ids the network's embedding receives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from carrousel.core.bundle import load_bundle
from carrousel.nlp.char_fold import FOLD_MODES, UNK_MODES, fold_candidate
from carrousel.nlp.cli import app
from carrousel.nlp.cli._sentiment_options import Fold, Unk
from carrousel.nlp.config import SentimentPredictConfig
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.pipeline.sentiment import SentimentModel
from tests.cli_harness import config_of

UNK = 1
runner = CliRunner()


def test_the_choices_are_the_config_readings() -> None:
    assert tuple(Fold) == FOLD_MODES and tuple(Unk) == UNK_MODES


def test_train_flags_reach_the_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    base = ["sentiment", "train", "--data", str(tmp_path / "x.csv"), "--out", str(tmp_path / "m")]
    target = "carrousel.nlp.pipeline.sentiment"
    default = config_of(monkeypatch, app, target, "train_sentiment", *base)
    assert (default.fold, default.unk) == ("unknown", "drop")  # the config's defaults
    given = config_of(monkeypatch, app, target, "train_sentiment", *base, "--fold", "none", "--unk", "keep")
    assert (given.fold, given.unk) == ("none", "keep")
    for flag in ("--fold", "--unk"):
        bad = runner.invoke(app, [*base, flag, "all"])
        assert bad.exit_code == 2 and flag in bad.output


def test_train_records_the_readings_in_the_bundle(tmp_path: Path, synthetic: Any, write_rows: Any) -> None:
    data = write_rows(tmp_path / "train.csv", synthetic(40, seed=0))
    out = tmp_path / "m"
    args = ["sentiment", "train", "--data", str(data), "--out", str(out), "--epochs", "1", "--embed-dim", "8"]
    done = runner.invoke(app, [*args, "--hidden-size", "8", "--fold", "none", "--unk", "keep", "--json"])
    assert done.exit_code == 0, done.output
    assets = load_bundle(out).assets
    assert (assets["fold"], assets["unk"]) == ("none", "keep")


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The ids each loaded model's embedding receives, batch by batch (flattened)."""
    ids: list[list[int]] = []
    init = SentimentModel.__init__

    def recording_init(self: SentimentModel, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.model.embedding.register_forward_pre_hook(lambda _, x: ids.append(x[0].flatten().tolist()))

    monkeypatch.setattr(SentimentModel, "__init__", recording_init)
    return ids


@pytest.mark.parametrize(
    ("flag", "reaches"), [((), False), (("--unk", "keep"), True), (("--unk", "drop"), False)]
)
def test_predict_unk_overrides_the_bundle(
    sentiment_model: Path, seen: list[list[int]], flag: tuple[str, ...], reaches: bool
) -> None:
    assert load_bundle(sentiment_model).assets["unk"] == "drop"  # trained with the defaults
    text = "zzzqqq good film"  # the word tokenizer never saw zzzqqq: [UNK]
    done = runner.invoke(app, ["sentiment", "predict", "--model", str(sentiment_model), *flag, text])
    assert done.exit_code == 0, done.output
    assert seen and (UNK in seen[-1]) == reaches


@pytest.mark.parametrize(("flag", "reaches"), [((), False), (("--unk", "keep"), True)])
def test_evaluate_unk_overrides_the_bundle(
    sentiment_model: Path,
    seen: list[list[int]],
    write_rows: Any,
    tmp_path: Path,
    flag: tuple[str, ...],
    reaches: bool,
) -> None:
    data = write_rows(tmp_path / "rows.csv", [("zzzqqq good film", "pos"), ("a bad film", "neg")])
    args = ["sentiment", "evaluate", "--model", str(sentiment_model), "--data", str(data), *flag, "--json"]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    assert any(UNK in batch for batch in seen) == reaches


def test_a_bad_override_is_refused() -> None:
    with pytest.raises(NLPConfigError, match="unk must be one of keep, drop, not 'skip'"):
        SentimentPredictConfig(unk="skip")
    bad = runner.invoke(app, ["sentiment", "predict", "--unk", "skip", "a text"])
    assert bad.exit_code == 2 and "--unk" in bad.output


@pytest.mark.parametrize(("flag", "folded"), [((), True), (("--fold", "none"), False)])
def test_train_fold_decides_how_a_curly_quote_is_read(
    tmp_path: Path, write_rows: Any, flag: tuple[str, ...], folded: bool
) -> None:
    rows = [(f"it's a {w} film", lab) for w, lab in [("good", "pos"), ("bad", "neg")] * 20]  # no ’ in them
    data = write_rows(tmp_path / "straight.csv", rows)
    out = tmp_path / "m"
    args = ["sentiment", "train", "--data", str(data), "--out", str(out), "--tokenizer", "char"]
    tiny = ["--epochs", "1", "--embed-dim", "8", "--hidden-size", "8", "--min-frequency", "1", "--json"]
    done = runner.invoke(app, [*args, *tiny, *flag])
    assert done.exit_code == 0, done.output
    assert load_bundle(out).assets["fold"] == ("unknown" if folded else "none")
    tokenizer = SentimentModel.from_pretrained(out).tokenizer
    assert (UNK in tokenizer.encode("it’s a good film")) != folded  # ’ -> ' when folded, else [UNK]
    assert (tokenizer.prepare("it’s a good film") == "it's a good film") == folded


def test_predict_unk_keep_changes_the_shipped_models_probability(nlp: Any, shipped: SentimentModel) -> None:
    text = "a great film α"  # α: no fold (fold_candidate is None), the shipped vocabulary lacks it
    assert fold_candidate("α") is None and UNK in shipped.tokenizer.encode(text)
    positive = {}
    for flag in ((), ("--unk", "drop"), ("--unk", "keep")):
        run = nlp("sentiment", "predict", "--json", *flag, text)
        assert run.returncode == 0, run.stderr
        positive[flag] = json.loads(run.stdout)["predictions"][0]["probabilities"]["positive"]
    assert positive[()] == positive[("--unk", "drop")]  # the shipped bundle says drop
    assert abs(positive[("--unk", "keep")] - positive[()]) > 1e-3  # well past the JSON's 4 decimals
    default = shipped([text])[0].probabilities["positive"]
    assert default == pytest.approx(positive[()], abs=1e-4)
    kept = SentimentModel.from_pretrained(unk="keep")([text])[0].probabilities["positive"]  # the Python API
    assert kept == pytest.approx(positive[("--unk", "keep")], abs=1e-4)


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (("sentiment", "predict", "--unk", "skip", "a text"), "--unk"),
        (("sentiment", "evaluate", "--data", "x.csv", "--unk", "skip"), "--unk"),
        (("sentiment", "train", "--out", "m", "--fold", "all"), "--fold"),
    ],
)
def test_a_bad_value_is_a_one_line_usage_error(nlp: Any, args: tuple[str, ...], flag: str) -> None:
    run = nlp(*args)
    assert run.returncode == 2 and run.stdout == ""
    assert len(run.stderr.strip().splitlines()) == 1
    assert f"Invalid value for '{flag}'" in run.stderr  # the flag exists; its value is refused
