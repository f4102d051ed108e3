"""`nlp generate evaluate` refuses a held-out share larger than the model's on the text it trained on.

Found walking the product (session 42): a model trained on botchan's first 15 kB with the default 10% held
out, evaluated with `--holdout 0.3` on that file, scored 20% of text it had learnt: LSTM perplexity 15.31 ->
15.02 while the baselines, fitted on less, rose (3-gram 7.78 -> 8.14), exit 0.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from carrousel.nlp.config import LMDataConfig, LMEvaluateConfig
from carrousel.nlp.errors import TextDataError
from carrousel.nlp.pipeline import evaluate_lm
from tests.nlp.conftest import Run


def test_a_larger_holdout_on_the_training_text_is_refused(lm_model: Path, small_text: Path) -> None:
    with pytest.raises(
        TextDataError, match=r"data\.holdout=0\.3 scores the last 30% of small\.txt.*last 10%"
    ):
        evaluate_lm(LMEvaluateConfig(str(lm_model), LMDataConfig((str(small_text),), holdout=0.3)))


def test_the_cli_says_it_in_one_line_and_exits_1(
    lm_model: Path, small_text: Path, nlp: Callable[..., Run]
) -> None:
    run = nlp("generate", "evaluate", "--model", str(lm_model), "--text", str(small_text), "--holdout", "0.3")
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.strip().splitlines() == [
        "error: --holdout 0.3 scores the last 30% of small.txt, but the model trained on all of it but the last "
        "10%: the perplexities would read text it learnt; give --holdout 0.1 or less (left out: the model's own)"
    ]


def test_the_models_share_a_smaller_one_and_other_text_still_evaluate(
    lm_model: Path, small_text: Path, tmp_path: Path
) -> None:
    own = evaluate_lm(LMEvaluateConfig(str(lm_model), LMDataConfig((str(small_text),), holdout=0.1)))
    less = evaluate_lm(LMEvaluateConfig(str(lm_model), LMDataConfig((str(small_text),), holdout=0.05)))
    assert less.held_out_tokens < own.held_out_tokens
    other = tmp_path / "small.txt"  # the same name, another text: its tail was never trained on
    shutil.copyfile(small_text, tmp_path / "x.txt")
    other.write_text((tmp_path / "x.txt").read_text(encoding="utf-8")[:-3000], encoding="utf-8")
    assert (
        evaluate_lm(LMEvaluateConfig(str(lm_model), LMDataConfig((str(other),), holdout=0.3))).perplexity > 1
    )


def test_a_smaller_holdout_fits_the_baselines_on_the_models_part_and_warns(
    lm_model: Path, small_text: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``--holdout 0.05`` on a model trained at 0.1: the baselines are fitted on the first 90%, the part the
    LSTM trained on (before: on the first 95%, text right before the tail the LSTM never read, exit 0 and no
    word of it), with one warning."""
    from carrousel.nlp.baselines import NGramLM, perplexity_of
    from carrousel.nlp.pipeline.generate import TextGenerator, split_text

    data = LMDataConfig((str(small_text),), holdout=0.05)
    with caplog.at_level(logging.WARNING, logger="carrousel.nlp.pipeline.generate_holdout"):
        less = evaluate_lm(LMEvaluateConfig(str(lm_model), data, orders=(3,)))
    assert "the baselines are fitted on the first 90%, the part the model trained on" in caplog.text
    tokenizer = TextGenerator.from_pretrained(str(lm_model)).tokenizer
    trained = tokenizer.encode(split_text(LMDataConfig((str(small_text),), holdout=0.1))[0])
    held = tokenizer.encode(split_text(data)[1])
    fitted = NGramLM(3, tokenizer.vocab_size).fit(trained).log_probs(held)
    assert less.baselines["3-gram KN"] == pytest.approx(perplexity_of(fitted), rel=1e-9)


def test_a_smaller_holdout_reads_the_text_once_and_encodes_no_text_twice(
    lm_model: Path, small_text: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--holdout 0.05`` on a model trained at 0.1 cuts the text at both shares: before, ``check_holdout`` read
    the files and encoded the model's training part (to compare its token count with the bundle's), then
    ``evaluate_lm`` read the files again and encoded that part again for the baselines (botchan, 279 kB: ~0.4 s
    of a ~0.9 s evaluation). The figures are the same (the test above)."""
    import carrousel.nlp.pipeline.generate as generate
    from carrousel.nlp.tokenization import TextTokenizer

    reads: list[tuple[str, ...]] = []
    read, encode = generate.read_corpus, TextTokenizer.encode
    monkeypatch.setattr(generate, "read_corpus", lambda files: reads.append(tuple(files)) or read(files))
    encoded: list[str] = []
    monkeypatch.setattr(
        TextTokenizer, "encode", lambda self, text: encoded.append(text) or encode(self, text)
    )
    evaluate_lm(LMEvaluateConfig(str(lm_model), LMDataConfig((str(small_text),), holdout=0.05), orders=(1,)))
    assert reads == [(str(small_text),)]
    assert len(encoded) == len(set(encoded)) == 3  # the model's part and tail (its check), the 5% tail
