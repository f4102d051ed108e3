"""A translator's target side keeps the full-width punctuation its training targets use (``：，（）``, which
Chinese and Japanese write and NFKC folds to ASCII), its source side still folds full-width forms (NFKC);
vocabularies without such characters (German) are the same as before, and an older bundle (one NFKC
tokenizer) loads and translates as it did."""

from __future__ import annotations

import json
import random
import shutil
import sys
import time
from pathlib import Path

import pytest

from carrousel.nlp.cli import main
from carrousel.nlp.config import DecodeConfig, TokenizerConfig
from carrousel.nlp.pipeline.translate import Translator
from carrousel.nlp.pipeline.translate_vocab import TARGET_TOKENIZER_FILE, Vocabularies, train_vocabularies
from carrousel.nlp.placeholders import ALPHABET
from carrousel.nlp.tokenization import FULLWIDTH_KEPT, train_tokenizer
from tests.nlp.translate_toys import cli_translator

ROWS = [
    ("unknown mode for --abbrev-ref: %s", "未知的 --abbrev-ref 模式：%s"),
    ("(default: %s)", "（默认：%s）"),
    ("Are you sure? Yes, delete it!", "你确定吗？是，删除它！"),
    ("ＡＢＣ file; done.", "ABC 文件；完成。"),
] * 5
CFG = TokenizerConfig("bpe", 200, 1, False)


@pytest.mark.parametrize("shared", [True, False])
def test_the_target_side_keeps_fullwidth_punctuation_the_source_side_folds(shared: bool) -> None:
    vocab = train_vocabularies(ROWS, CFG, shared=shared, alphabet=ALPHABET)
    assert vocab.shared is shared
    for text in ["未知的 --abbrev-ref 模式：%s", "（默认：%s）", "你确定吗？是，删除它！", "完成。"]:
        assert vocab.target.decode(vocab.target.encode(text)) == text  # NFKC alone wrote 模式:%s, (默认:%s)
    assert vocab.source.decode(vocab.source.encode("ＡＢＣ file")) == "ABC file"  # full-width letters fold
    assert vocab.target.encode("ＡＢＣ") == vocab.target.encode("ABC")  # on both sides
    assert vocab.source.normalize("（default：%s）") == "(default:%s)"  # the source folds the punctuation
    assert vocab.source.normalize("ﬁle") == "file" == vocab.target.normalize("ﬁle")  # other NFKC folds stay
    assert {"：", "（", "）", "，", "？", "！", "；"} <= set(vocab.target.vocabulary())
    assert "：" not in vocab.source.vocabulary() or shared  # separate: the sources never held one
    again = Vocabularies.from_files(vocab.files(), "bpe")  # the bundle's files: both normalisers kept
    assert set(vocab.files()) == {"tokenizer.json", TARGET_TOKENIZER_FILE} and again.shared is shared
    assert again.target.decode(again.target.encode("（默认：%s）")) == "（默认：%s）"
    assert again.source.normalize("（默认：%s）") == "(默认:%s)"


def test_the_kept_characters_and_unchanged_tokenizers() -> None:
    assert len(FULLWIDTH_KEPT) == 41 and set("：，（）！？；￥") <= set(FULLWIDTH_KEPT)
    assert not any(c.isalnum() or c.isspace() for c in FULLWIDTH_KEPT)  # ＡＢＣ, １２３, U+3000 still fold
    # sentiment and generation train plain tokenizers: NFKC (and lowercasing), as before
    plain = train_tokenizer([t for _, t in ROWS], TokenizerConfig("bpe", 200, 1, True))
    assert json.loads(plain.to_bytes())["normalizer"] == {
        "type": "Sequence",
        "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}],
    }
    assert plain.normalize("（默认：%s）") == "(默认:%s)"
    # targets without full-width punctuation (German): the very vocabulary NFKC alone gave
    rows = [("open the file: now", "öffne die Datei: jetzt"), ("close (a) file", "schließe (eine) Datei")] * 9
    vocab = train_vocabularies(rows, CFG, shared=True, alphabet=ALPHABET)
    before = train_tokenizer([s for s, _ in rows] + [t for _, t in rows], CFG, ALPHABET)
    assert vocab.source.same_model(before) and vocab.target.same_model(before)
    assert json.loads(vocab.source.to_bytes()) == json.loads(before.to_bytes())  # the source: NFKC itself


def test_an_older_bundle_loads_and_translates_as_before(tmp_path: Path) -> None:
    model = cli_translator(tmp_path)
    old = tmp_path / "old"  # as written before: one NFKC tokenizer, no target file
    shutil.copytree(model, old)
    (old / "assets" / TARGET_TOKENIZER_FILE).unlink()
    doc = json.loads((old / "bundle.json").read_text(encoding="utf-8"))
    del doc["files"][f"assets/{TARGET_TOKENIZER_FILE}"]
    (old / "bundle.json").write_text(json.dumps(doc), encoding="utf-8")
    source = json.loads((old / "assets" / "tokenizer.json").read_text(encoding="utf-8"))
    assert source["normalizer"] == {"type": "Sequence", "normalizers": [{"type": "NFKC"}]}
    new_tr, old_tr = Translator.from_pretrained(model), Translator.from_pretrained(old)
    assert old_tr.vocab.shared and old_tr.tokenizer is old_tr.target_tokenizer
    assert set(old_tr.vocab.files()) == {"tokenizer.json"}  # saved again as it was
    assert old_tr.target_tokenizer.encode("：") == old_tr.target_tokenizer.encode(":")  # NFKC, as before
    assert new_tr.vocab.shared and new_tr.tokenizer is not new_tr.target_tokenizer
    texts = ["open the file", "close a file", "read the file"]
    for beam in (1, 3):
        dc = DecodeConfig(beam=beam, mbr=False, fallback_nll=0.0)
        assert [t.text for t in old_tr.translate(texts, dc)] == [t.text for t in new_tr.translate(texts, dc)]


def test_a_toy_english_chinese_translator_writes_the_fullwidth_colon(tmp_path: Path) -> None:
    words = {"open": "打开", "the": "这个", "file": "文件", "close": "关闭", "read": "读取", "a": "一个"}
    rng = random.Random(0)
    rows = {" ".join(rng.choice(list(words)) for _ in range(rng.randint(1, 4))) for _ in range(400)}
    lines = ["en\tzh_CN"] + [f"{r}:\t{''.join(words[w] for w in r.split())}：" for r in sorted(rows)]
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "m"
    args = ["--pairs", str(pairs), "--src", "en", "--tgt", "zh_CN", "-o", str(out), "--members", "1"]
    args += ["--vocab-size", "80", "--embed-dim", "16", "--hidden-size", "64", "--epochs", "12"]
    args += ["--lr", "0.01", "--batch-size", "32", "-q", "--json"]
    argv, sys.argv = sys.argv, ["nlp", "translate", "train", *args]
    start = time.perf_counter()
    try:
        with pytest.raises(SystemExit) as done:
            main()
    finally:
        sys.argv = argv
    assert not done.value.code and time.perf_counter() - start < 30
    tr = Translator.from_pretrained(out)
    got = tr.translate(["open the file:", "close a file:"], DecodeConfig(beam=1, mbr=False, fallback_nll=0.0))
    assert all(t.text.endswith("：") for t in got), [t.text for t in got]  # NFKC alone: never "："
