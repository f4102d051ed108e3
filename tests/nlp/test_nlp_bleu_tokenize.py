"""BLEU's tokenizer follows the target language (:mod:`carrousel.nlp.bleu_tokenize`): ``zh`` for Chinese,
``char`` for Thai and Japanese without MeCab, ``13a`` for German; the references' script decides for an
unknown code; ``nlp translate evaluate --bleu-tokenize`` overrides it and records it in ``--json``."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from carrousel.nlp import evaluate_plot
from carrousel.nlp.bleu_tokenize import _mecab_works, choose_bleu_tokenize, language_tokenize
from carrousel.nlp.config import TranslateEvaluateConfig
from carrousel.nlp.errors import NLPConfigError
from tests.cli_harness import record_figures
from tests.nlp.conftest import Run

sacrebleu = pytest.importorskip("sacrebleu")

_ZH = {"open": "打开", "the": "该", "file": "文件", "close": "关闭"}
_ZH |= {"read": "读取", "a": "一个", "now": "现在"}
_JA_MECAB = _mecab_works("ja-mecab")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("zh_CN", "zh"),
        ("zh_TW", "zh"),
        ("zh-Hant", "zh"),
        ("ZH", "zh"),
        ("zh_CN.UTF-8", "zh"),
        ("yue", "zh"),
        ("th", "char"),
        ("km_KH", "char"),
        ("lo", "char"),
        ("my", "char"),
        ("de", "13a"),
        ("en", "13a"),
        ("pt_BR", "13a"),
        ("", "13a"),
    ],
)
def test_tokenizer_by_language_code(code: str, expected: str) -> None:
    chosen = choose_bleu_tokenize(code, ["ein Satz", "noch einer"])
    assert chosen.name == expected
    assert chosen.note == f"target language {code or 'unknown'}"


def test_japanese_uses_mecab_or_falls_back_to_characters() -> None:
    assert language_tokenize("ja_JP") == "ja-mecab"
    chosen = choose_bleu_tokenize("ja", ["ファイルを開けません"])
    if _JA_MECAB:
        assert chosen.name == "ja-mecab"
    else:  # no new dependency: characters, and the result says why
        assert chosen.name == "char"
        assert "ja-mecab needs MeCab" in chosen.note and "char used" in chosen.note


def test_korean_without_mecab_keeps_13a() -> None:
    chosen = choose_bleu_tokenize("ko", ["파일을 열 수 없습니다"])
    assert chosen.name == ("ko-mecab" if _mecab_works("ko-mecab") else "13a")


@pytest.mark.parametrize(
    ("refs", "expected"),
    [
        (["无法打开文件 '%s'", "读取 git 配置失败"], "zh"),  # Han, with a placeholder and a command name
        (["ไม่สามารถเปิดแฟ้ม", "อ่านไม่ได้"], "char"),  # Thai
        (["ファイルを開けません", "読み込めません"], "ja-mecab" if _JA_MECAB else "char"),  # kana and kanji
        (["Datei kann nicht geöffnet werden", "Fehler: %s"], "13a"),
    ],
)
def test_unknown_code_is_decided_by_the_references_script(refs: list[str], expected: str) -> None:
    assert choose_bleu_tokenize("xx", refs).name == expected


def test_override_and_bad_values() -> None:
    assert choose_bleu_tokenize("zh_CN", ["文件"], "13a").name == "13a"
    assert choose_bleu_tokenize("de", ["Datei"], "char").note == "--bleu-tokenize"
    with pytest.raises(NLPConfigError, match="unknown BLEU tokenizer 'kanji'"):
        choose_bleu_tokenize("zh", ["文件"], "kanji")
    with pytest.raises(NLPConfigError, match="unknown BLEU tokenizer"):
        TranslateEvaluateConfig("m", ("p",), bleu_tokenize="spm")  # needs a download: not offered
    if not _JA_MECAB:
        with pytest.raises(NLPConfigError, match="give bleu_tokenize='char'"):
            choose_bleu_tokenize("ja", ["ファイル"], "ja-mecab")


@pytest.fixture(scope="module")
def zh_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny English -> zh_CN translator (2 epochs, about 3 s) of word-by-word toy pairs, the Chinese side
    written without spaces as Chinese is, and its pairs file."""
    from carrousel.nlp.config import (
        FitConfig,
        TokenizerConfig,
        TranslateDataConfig,
        TranslateNetConfig,
        TranslateTrainConfig,
    )
    from carrousel.nlp.pipeline.translate import train_translator

    rng = random.Random(0)
    rows = {" ".join(rng.choice(list(_ZH)) for _ in range(rng.randint(1, 4))) for _ in range(400)}
    folder = tmp_path_factory.mktemp("mt_zh")
    pairs = folder / "pairs.tsv"
    pairs.write_text("".join(f"{r}\t{''.join(_ZH[w] for w in r.split())}\n" for r in sorted(rows)), "utf-8")
    cfg = TranslateTrainConfig(
        data=TranslateDataConfig(pairs=(str(pairs),), src="en", tgt="zh_CN"),
        tokenizer=TokenizerConfig("bpe", 80, 1, False),
        model=TranslateNetConfig(embed_dim=16, hidden_size=32, dropout=0.0),
        fit=FitConfig(epochs=2, batch_size=64, lr=1e-2, progress=False, threads=1),
        members=1,
    )
    train_translator(cfg, folder / "m")
    return folder / "m", pairs


def _bars_title(fig: Any) -> str:
    return str(fig.get_axes()[0].get_title())


def test_evaluate_en_zh_scores_bleu_with_the_zh_tokenizer(
    nlp: Callable[..., Run], zh_model: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from carrousel.nlp.pipeline.translate import Translator
    from carrousel.nlp.pipeline.translate_eval import scored_pairs

    model, pairs = zh_model
    titles = record_figures(monkeypatch, evaluate_plot, _bars_title)
    base = ["translate", "evaluate", "--model", str(model), "--pairs", str(pairs), "--split", "test"]
    run = nlp(*base, "--beam", "2", "--json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["bleu_tokenize"] == "zh" and doc["bleu_tokenize_note"] == "target language zh_CN"
    assert "tok:zh" in doc["bleu_signature"]
    # the dictionary baseline's BLEU is sacrebleu's own with tokenize="zh", and not 13a's
    tr = Translator.from_pretrained(model)
    held = scored_pairs(tr, [str(pairs)], "test")
    hyps, refs = [tr.dictionary.translate(s) for s, _ in held], [t for _, t in held]
    zh = sacrebleu.metrics.BLEU(tokenize="zh").corpus_score(hyps, [refs]).score
    plain = sacrebleu.metrics.BLEU(tokenize="13a").corpus_score(hyps, [refs]).score
    assert doc["bleu"]["dictionary"] == round(zh, 4)
    assert abs(zh - plain) > 5.0, (zh, plain)  # 13a sees each unspaced sentence as one word
    assert doc["chrf"]["dictionary"] == round(sacrebleu.corpus_chrf(hyps, [refs]).score, 4)  # unchanged

    over = nlp(*base, "--beam", "2", "--bleu-tokenize", "13a", "--json")
    assert over.returncode == 0, over.stderr
    overridden = json.loads(over.stdout)
    assert overridden["bleu_tokenize"] == "13a" and overridden["bleu"]["dictionary"] == round(plain, 4)
    assert overridden["chrf"] == doc["chrf"]

    png = tmp_path / "bleu.png"
    shown = nlp(*base, "--beam", "1", "--examples", "0", "--plot", str(png))
    assert shown.returncode == 0, shown.stderr
    assert "(BLEU tokenized with zh)" in shown.stdout.splitlines()[1]
    assert titles == ["corpus BLEU (plain; tokenize zh) and chrF (hatched), " + f"{doc['pairs']} pairs"]


def test_bad_bleu_tokenize_is_a_usage_error(nlp: Callable[..., Run]) -> None:
    run = nlp("translate", "evaluate", "--model", "m", "--pairs", "p", "--bleu-tokenize", "kanji")
    assert run.returncode == 2 and run.stdout == ""
    (line,) = run.stderr.strip().splitlines()
    assert "'kanji' is not a BLEU tokenizer" in line and "zh" in line and "char" in line
