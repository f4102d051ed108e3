"""Mixed-precision training on the CPU: each domain's train command in fp32 and bf16 autocast (``--precision``;
the weights stay float32), side by side in one process: the training seconds of each (median of
``--rounds`` rounds, fp32 and bf16 alternated in each round, same seed) and their ratio fp32 / bf16, and the
task metric each precision's model reaches (does bf16 cost accuracy?).

Parts (``PARTS``: a name -> ``(precision, seed) -> {"seconds", "metric", "metric_name", "higher_is_better"}``):

* ``bio``: ``bio train`` (the pipeline, default DanQ: 64 filters of 19 bases, 32 LSTM units per direction)
  on janggu's real Oct4 vs Mafk ChIP-seq peaks (3,897 + 3,900 windows of 200 bases; ``carrousel-data fetch
  bio``), :data:`BIO_EPOCHS` epochs, no early stopping, 20 % held out (GC-stratified, seed 0); the metric is
  the held-out AUROC.
* ``speech``: ``speech train`` (the pipeline; the learning test's model: a 1 x 128 BiLSTM over a 64-channel
  convolutional front end) on 300 espeak-ng digit strings of 6 voices, :data:`SPEECH_EPOCHS` epochs (the
  corpus is synthesised once per run, as ``tests/speech/test_speech_learning.py`` does; needs espeak-ng);
  the metric is the greedy CER on 40 utterances of 2 voices never trained on (``speech evaluate``).
* ``sentiment``: ``nlp sentiment train`` with its default network (BPE 8000, 128-d embeddings, a 1 x 128
  BiLSTM, attention pooling) on 3,600 of the 4,000 Pang & Lee sentences (``carrousel-data fetch nlp``; 10 %
  of them held out for early stopping), :data:`SENTIMENT_EPOCHS` epochs, no early stop; the metric is the
  accuracy on the other 400 sentences (``nlp sentiment evaluate``).
* ``generate``: ``nlp generate train`` with its default network (characters, 128-d tied embeddings, a
  1 x 256 LSTM, truncated BPTT of 100 with the state carried) on botchan.txt's novel, the last 10 % held
  out, :data:`GENERATE_EPOCHS` epochs; the metric is the held-out perplexity (lower is better).
* ``translate``: ``nlp translate train`` (one member, the default 256-unit pointer network) on the German
  git.mo catalogue's pairs, :data:`TRANSLATE_EPOCHS` epochs (a proxy: the command trains up to 32); the
  metric is the greedy BLEU of the model alone (no dictionary fallback, no MBR) on the held-out test split.
* ``finance``: ``finance backtest AAPL --source sample`` (the pipeline's steps, default network: a 3-member
  seed ensemble of 1 x 32 LSTMs, 500 walk-forward origins 2011-02-28..2013-02-22, a refit every 250, so 3
  fits of 3 members; ``carrousel-data fetch finance``) with the automatic baselines (AutoETS, Theta,
  AutoARIMA) off, which do not touch the network's forecasts; ``--precision`` is the network's arithmetic
  end to end (fitting, calibration, forecasts). Seconds: the CPU seconds of every member's fit in
  every refit; the metric is the network's pinball loss over the 500
  origins (percent log return, lower is better).

Seconds: the CPU seconds of the trainer's ``fit`` (training and validation epochs; data preparation, the
null calibration and scoring excluded), so that other work on a shared machine does not enter the ratio.

Usage: ``python benchmarks/bench_train_precision.py [--parts bio,speech,sentiment,generate,translate,finance]
[--rounds 3] [--threads 1] [--json] [--pad-multiple 8,16]``. The machine is shared and noisy: read the ratio,
taken within a round.

``--pad-multiple N[,M...]`` (parts speech, sentiment, translate) compares the loaders' batches padded in time
to a multiple of each N (core's ``SequenceCollator(pad_to_multiple=N)``: fewer distinct batch shapes, so
fewer oneDNN primitive builds) with their padding to the longest (multiple 1), in fp32 and bf16, all
alternated in every round: seconds, the speedup over multiple 1 and the metric of each. Translate pads its
sources only (its decoder steps over the targets one at a time: a padded target step costs a step).

Measured (AMD EPYC Zen 5 with avx512_bf16, 1 thread, 3 rounds, load 3-7 from other work):
bio fp32 16.5 s, bf16 14.6 s (1.13x), AUROC 0.9960 / 0.9958; speech fp32 8.7 s, bf16 10.7 s (0.82x: bf16 is
slower), CER 0.094 / 0.074. Why speech's bf16 does not pay: its batches are length-bucketed, so nearly every
step has a new time length and oneDNN builds new primitives for it (225 of them in 12 steps of 8
utterances of 150-239 frames, against 30 at one fixed length), and building them costs 2.5x as much in
bf16 (95 ms against 37 ms over those 12 steps: about a step's time each step); at a fixed length the same
step is 1.32x faster in bf16 (8 utterances; 1.16x with 3, about what a 5-second batch holds), at lengths
varying from step to step 1.08x (1.01x with 3). About 40 % of the fit's CPU time is the data (features and
augmentation in-process with ``workers=0``), the same in both precisions. Bio's windows have one length
(no packing, no new primitives): the convolution runs about 2x faster in bf16, the max-pool, batch norm
and elementwise work do not, hence 1.13x.

Measured with ``--pad-multiple`` (same machine, 1 thread, 3 rounds; seconds at multiple 1 -> N): speech
N=8/16/32 fp32 9.8 -> 10.5/12.0/13.8 s, bf16 10.4 -> 12.1/12.2/12.7 s (slower in both: training runs the
BiLSTM over every padded frame, and oneDNN's primitive cache already pays each shape's build once per fit,
not once per step); sentiment N=8 fp32 7.7 -> 8.2 s (0.93x), bf16 5.8 -> 5.5 s (1.06x); translate N=16
fp32 19.2 -> 21.2 s (0.91x), bf16 16.6 -> 17.1 s (0.97x). No loader pads to a multiple by default.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import io
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

PRECISIONS = ("fp32", "bf16")
BIO_EPOCHS = 10  # bio: fixed epochs (about 2 s of CPU each at one thread in fp32)
SPEECH_EPOCHS = 12  # speech: as the learning test (held-out CER about 0.1 in fp32)
SENTIMENT_EPOCHS = 3  # sentiment: fixed epochs (patience above them; about 4-10 s each at one thread)
GENERATE_EPOCHS = 1  # generate: fixed epochs (one pass over the novel)
TRANSLATE_EPOCHS = 1  # translate: fixed epochs (a proxy: about 1.5 min per precision at one thread)
GIT_MO = "/usr/share/locale/de/LC_MESSAGES/git.mo"  # English -> German pairs (DATA.md)
_TMP = tempfile.TemporaryDirectory(prefix="bench_train_precision_")


@contextlib.contextmanager
def _fit_seconds() -> Iterator[list[float]]:
    """Yields a list that receives the CPU seconds (``time.process_time``) of every ``Trainer.fit`` run in the
    block: the training and validation epochs alone, without data preparation, calibration or scoring.
    CPU time, not wall time: this machine's 2 cores are shared, and a descheduled process's wall clock
    runs on while it waits (bio's fp32 fit: 10 to 31 s of wall time over three rounds at load 7, 15.6 to
    18.5 s of CPU time)."""

    from carrousel.core.train import Trainer

    seconds: list[float] = []
    fit = Trainer.fit

    def timed(self: Trainer, *args: Any, **kwargs: Any) -> Any:
        t0 = time.process_time()
        try:
            return fit(self, *args, **kwargs)
        finally:
            seconds.append(time.process_time() - t0)

    Trainer.fit = timed  # type: ignore[method-assign]
    try:
        yield seconds
    finally:
        Trainer.fit = fit  # type: ignore[method-assign]


# ------------------------------------------------------------------------------------------------- bio
def bio(precision: str, seed: int) -> dict[str, Any]:
    """``bio train`` on Oct4 vs Mafk peaks in ``precision``: training seconds and held-out AUROC."""
    from carrousel.bio.config import FitConfig, TrainConfig, TrainDataConfig
    from carrousel.bio.pipeline import train
    from carrousel.core.samples import sample_path

    data = TrainDataConfig(positives=str(sample_path("bio.oct4")), negatives=str(sample_path("bio.mafk")))
    fit = FitConfig(epochs=BIO_EPOCHS, patience=0, seed=seed, n_null=200, precision=precision)  # type: ignore[arg-type]
    out = Path(_TMP.name) / f"bio_{precision}_{seed}"
    with _fit_seconds() as seconds:
        result = train(TrainConfig(data=data, fit=fit), out)
    auroc = result.val["auroc"]
    return {
        "seconds": sum(seconds),
        "metric": float("nan") if auroc is None else auroc,
        "metric_name": "held-out AUROC (Oct4 vs Mafk)",
        "higher_is_better": True,
    }


# ---------------------------------------------------------------------------------------------- speech
SPEECH_TRAIN_VOICES = (
    "en-us+m1",
    "en-us+f2",
    "en-gb+m3",
    "en-gb-x-rp+f3",
    "en-us+klatt",
    "en-gb-scotland+m7",
)
SPEECH_TEST_VOICES = ("en-us+f4", "en-gb+m6")


def _digit_corpus(folder: Path, voices: tuple[str, ...], n: int, seed: int) -> str:
    """``n`` espeak-ng digit strings (1-3 digits, ``voices`` in turn, a little noise) and their manifest."""
    import soundfile as sf

    from carrousel.speech.synth import Voice, synthesize
    from carrousel.speech.vocab import DIGITS

    rng, noise = random.Random(seed), np.random.default_rng(seed)
    folder.mkdir(parents=True)
    rows = [["path", "transcript", "seconds"]]
    for i in range(n):
        text = " ".join(rng.choice(DIGITS[1:]) for _ in range(rng.choice((1, 1, 2, 3))))
        voice = Voice("espeak-ng", voices[i % len(voices)], rng.uniform(140, 200), rng.uniform(30, 70))
        x, rate = synthesize(text, voice)
        pad = np.zeros(rate // 10, np.float32)
        x = np.concatenate([pad, x, pad])
        x = x / (np.abs(x).max() + 1e-9) * 0.5 + 0.003 * noise.standard_normal(len(x)).astype(np.float32)
        sf.write(str(folder / f"{i:04d}.wav"), x, rate)
        rows.append([f"{i:04d}.wav", text, f"{len(x) / rate:.3f}"])
    buf = io.StringIO()
    csv.writer(buf, delimiter="\t", lineterminator="\n").writerows(rows)
    (folder / "manifest.tsv").write_text(buf.getvalue(), encoding="utf-8")
    return str(folder / "manifest.tsv")


@functools.cache
def _speech_corpora() -> tuple[str, str]:
    """``(train manifest, held-out manifest)``, synthesised once per run."""
    root = Path(_TMP.name) / "digits"
    return (
        _digit_corpus(root / "train", SPEECH_TRAIN_VOICES, 300, seed=1),
        _digit_corpus(root / "test", SPEECH_TEST_VOICES, 40, seed=2),
    )


def speech(precision: str, seed: int) -> dict[str, Any]:
    """``speech train`` on espeak-ng digits in ``precision``: training seconds and held-out greedy CER."""
    from carrousel.speech.config import AugmentConfig, EvaluateConfig, TrainConfig, TranscribeConfig
    from carrousel.speech.pipeline import evaluate, train

    train_set, test_set = _speech_corpora()
    augment = AugmentConfig(speed=(1.0, 1.0), noise_prob=0.0, vtlp=(0.88, 1.12), freq_masks=1, time_masks=0)
    cfg = TrainConfig(
        data=(train_set,), val_fraction=0.05, augment=augment, hidden=128, layers=1, conv_channels=64,
        subsample=3, epochs=SPEECH_EPOCHS, lr=5e-3, batch_seconds=5.0, seed=seed, device="cpu",
        precision=precision, workers=0,
    )  # fmt: skip
    out = Path(_TMP.name) / f"speech_{precision}_{seed}"
    with _fit_seconds() as seconds:
        train(cfg, out)
    scored = evaluate(EvaluateConfig(data=(test_set,), transcribe=TranscribeConfig(model=str(out))))
    return {
        "seconds": sum(seconds),
        "metric": scored.totals.cer,
        "metric_name": "held-out CER (2 unseen voices, greedy)",
        "higher_is_better": False,
    }


# ------------------------------------------------------------------------------------------- sentiment
@functools.cache
def _pang_lee() -> tuple[str, str]:
    """``(training CSV, held-out CSV)``: the 4,000 sentences shuffled (seed 0), 3,600 and 400."""
    from carrousel.nlp.config import TextDataConfig
    from carrousel.nlp.data import load_texts
    from carrousel.nlp.samples import sample_file

    data = load_texts(
        TextDataConfig(str(sample_file("nlp.pang_lee")), text_col="1", label_col="0", header=False)
    )
    order = list(range(len(data.texts)))
    random.Random(0).shuffle(order)
    rows = [(data.texts[i].strip(), data.labels[i]) for i in order]
    paths = []
    for name, part in (("train", rows[:3600]), ("test", rows[3600:])):
        path = Path(_TMP.name) / f"pang_lee_{name}.csv"
        with open(path, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([("text", "label"), *part])
        paths.append(str(path))
    return paths[0], paths[1]


def sentiment(precision: str, seed: int) -> dict[str, Any]:
    """``nlp sentiment train`` on Pang & Lee in ``precision``: training seconds and held-out accuracy."""
    from carrousel.nlp.config import FitConfig, SentimentEvaluateConfig, SentimentTrainConfig, TextDataConfig
    from carrousel.nlp.pipeline import evaluate_sentiment, train_sentiment

    train, test = _pang_lee()
    fit = FitConfig(
        epochs=SENTIMENT_EPOCHS, patience=SENTIMENT_EPOCHS + 1, seed=seed, progress=False, precision=precision
    )
    out = Path(_TMP.name) / f"sentiment_{precision}_{seed}"
    with _fit_seconds() as seconds:
        train_sentiment(SentimentTrainConfig(TextDataConfig(train), fit=fit), out)
    scored = evaluate_sentiment(SentimentEvaluateConfig(str(out), TextDataConfig(test)))
    return {
        "seconds": sum(seconds),
        "metric": scored.accuracy,
        "metric_name": "accuracy on 400 held-out Pang & Lee sentences",
        "higher_is_better": True,
    }


# -------------------------------------------------------------------------------------------- generate
@functools.cache
def _novel() -> str:
    """botchan.txt between its Project Gutenberg start and end markers."""
    from carrousel.nlp.samples import sample_file

    lines = sample_file("nlp.botchan").read_text(encoding="utf-8-sig").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("*** START OF")) + 1
    end = next(i for i, line in enumerate(lines) if line.startswith("End of Project Gutenberg"))
    path = Path(_TMP.name) / "botchan_novel.txt"
    path.write_text("\n".join(lines[start:end]).strip() + "\n", encoding="utf-8")
    return str(path)


def generate(precision: str, seed: int) -> dict[str, Any]:
    """``nlp generate train`` on botchan in ``precision``: training seconds and held-out perplexity."""
    from carrousel.nlp.config import FitConfig, LMDataConfig, LMTrainConfig
    from carrousel.nlp.pipeline import train_lm

    fit = FitConfig(
        epochs=GENERATE_EPOCHS, batch_size=32, lr=3e-3, patience=GENERATE_EPOCHS + 1, lr_decay=0.25,
        seed=seed, progress=False, precision=precision,
    )  # fmt: skip
    out = Path(_TMP.name) / f"generate_{precision}_{seed}"
    with _fit_seconds() as seconds:
        result = train_lm(LMTrainConfig(LMDataConfig((_novel(),), holdout=0.1), fit=fit), out)
    return {
        "seconds": sum(seconds),
        "metric": result.perplexity,
        "metric_name": "held-out perplexity per character (botchan's last 10 %)",
        "higher_is_better": False,
    }


# ------------------------------------------------------------------------------------------- translate
def translate(precision: str, seed: int) -> dict[str, Any]:
    """``nlp translate train`` (one member) on git.mo in ``precision``: training seconds and test BLEU."""
    from carrousel.nlp.config import (
        DecodeConfig,
        FitConfig,
        TranslateDataConfig,
        TranslateEvaluateConfig,
        TranslateTrainConfig,
    )
    from carrousel.nlp.pipeline.translate import train_translator
    from carrousel.nlp.pipeline.translate_eval import evaluate_translator

    fit = FitConfig(
        epochs=TRANSLATE_EPOCHS, batch_size=32, lr=3e-3, patience=TRANSLATE_EPOCHS + 1, lr_decay=0.5,
        threads=torch.get_num_threads(), seed=seed, progress=False, precision=precision,
    )  # fmt: skip
    out = Path(_TMP.name) / f"translate_{precision}_{seed}"
    with _fit_seconds() as seconds:
        train_translator(TranslateTrainConfig(TranslateDataConfig((GIT_MO,)), fit=fit, members=1), out)
    decode = DecodeConfig(beam=1, mbr=False, fallback_nll=0.0)  # the network alone, float32
    scored = evaluate_translator(TranslateEvaluateConfig(str(out), (GIT_MO,), split="test", decode=decode))
    return {
        "seconds": sum(seconds),
        "metric": scored.bleu["greedy"],
        "metric_name": "greedy BLEU on the held-out git.mo test split (en -> de)",
        "higher_is_better": True,
    }


# --------------------------------------------------------------------------------------------- finance
def finance(precision: str, seed: int) -> dict[str, Any]:
    """``finance backtest AAPL --source sample`` in ``precision``: training seconds and the network's pinball."""
    from carrousel.finance.backtest import backtest_refits, run_backtest
    from carrousel.finance.backtest_baselines import fit_baselines
    from carrousel.finance.config import DataConfig, FinanceConfig, for_series
    from carrousel.finance.data import load_histories
    from carrousel.finance.features import build_series
    from carrousel.finance.members import score_run

    base = FinanceConfig()
    cfg = replace(
        base,
        data=DataConfig(tickers=("AAPL",), source="sample"),
        train=replace(base.train, seed=seed, precision=precision, threads=0),  # 0: --threads holds
        backtest=replace(base.backtest, auto_baselines=False),
    )
    histories = load_histories(cfg.data)
    cfg = for_series(cfg, len(histories))
    series = [build_series(h.ticker, h.frame, cfg.window.indicators) for h in histories]
    with _fit_seconds() as seconds:
        refits = backtest_refits(series, cfg)
    result = run_backtest(series, cfg, refits, fit_baselines(series, cfg, refits))
    rows: list[dict[str, Any]] = score_run(result).to_dict()["scores"]  # type: ignore[assignment]
    scores = {row["model"]: row for row in rows}
    return {
        "seconds": sum(seconds),
        "metric": float(scores[cfg.model.arch]["pinball"]),
        "metric_name": "AAPL backtest pinball (500 origins)",
        "higher_is_better": False,
    }


# the train and validation loaders' collators, per part: (module, keyword arguments for a pad multiple n)
PAD_LOADERS: dict[str, tuple[str, Callable[[int], dict[str, int]]]] = {
    "speech": ("carrousel.speech.data", lambda n: {"pad_to_multiple": n}),
    "sentiment": ("carrousel.nlp.data", lambda n: {"pad_to_multiple": n}),
    # the source only: the decoder steps over the targets one by one, and every padded step costs
    "translate": ("carrousel.nlp.pipeline.translate_vocab", lambda n: {"pad_to_multiple": n}),
}


@contextlib.contextmanager
def _pad_multiple(part: str, n: int) -> Iterator[None]:
    """Within the block, ``part``'s loaders pad each batch's time to a multiple of ``n`` (``n = 1``: as the
    domain pads it): its module's ``SequenceCollator`` is swapped for one with the option set."""
    if n == 1 or part not in PAD_LOADERS:
        yield
        return
    import importlib

    from carrousel.core.data import SequenceCollator

    module = importlib.import_module(PAD_LOADERS[part][0])
    options = PAD_LOADERS[part][1](n)
    module.SequenceCollator = lambda **kw: SequenceCollator(**{**kw, **options})  # type: ignore[attr-defined]
    try:
        yield
    finally:
        module.SequenceCollator = SequenceCollator  # type: ignore[attr-defined]


def run_padded(parts: list[str], rounds: int, seed: int, multiples: list[int]) -> dict[str, dict[str, Any]]:
    """Each part at every pad multiple (1 first: the loaders as they are) in fp32 and bf16, all alternated
    in every round (the order reversed each round): seconds, metric, and the ratio to multiple 1."""
    report: dict[str, dict[str, Any]] = {}
    combos = [(n, p) for n in [1, *multiples] for p in PRECISIONS]
    for part in parts:
        runs: dict[tuple[int, str], list[dict[str, Any]]] = {c: [] for c in combos}
        for r in range(rounds):
            for n, precision in combos if r % 2 == 0 else combos[::-1]:
                with _pad_multiple(part, n):
                    runs[n, precision].append(PARTS[part](precision, seed))
                print(f"  {part} round {r + 1} pad {n} {precision}: {runs[n, precision][-1]}", flush=True)
        seconds = {c: statistics.median(x["seconds"] for x in runs[c]) for c in combos}
        report[part] = {
            f"pad{n}_{p}": {
                "seconds": round(seconds[n, p], 2),
                "speedup_over_pad1": round(seconds[1, p] / seconds[n, p], 3),
                "metric": round(statistics.median(x["metric"] for x in runs[n, p]), 4),
            }
            for n, p in combos
        } | {"metric_name": runs[combos[0]][0]["metric_name"], "rounds": rounds}
    return report


PARTS: dict[str, Callable[[str, int], dict[str, Any]]] = {
    "bio": bio,
    "speech": speech,
    "sentiment": sentiment,
    "generate": generate,
    "translate": translate,
    "finance": finance,
}


def run(parts: list[str], rounds: int, seed: int) -> dict[str, dict[str, Any]]:
    """Each part in fp32 and bf16, alternated in every round (the first precision swapped each round)."""
    report: dict[str, dict[str, Any]] = {}
    for part in parts:
        runs: dict[str, list[dict[str, Any]]] = {p: [] for p in PRECISIONS}
        for r in range(rounds):
            for precision in PRECISIONS if r % 2 == 0 else PRECISIONS[::-1]:
                runs[precision].append(PARTS[part](precision, seed))
                print(
                    f"  {part} round {r + 1} {precision}: {runs[precision][-1]}", file=sys.stderr, flush=True
                )
        first = runs["fp32"][0]
        seconds = {p: statistics.median(x["seconds"] for x in runs[p]) for p in PRECISIONS}
        report[part] = {
            "metric_name": first["metric_name"],
            "higher_is_better": first["higher_is_better"],
            **{f"{p}_seconds": round(seconds[p], 2) for p in PRECISIONS},
            "ratio_fp32_over_bf16": round(seconds["fp32"] / seconds["bf16"], 3),
            **{f"{p}_metric": round(statistics.median(x["metric"] for x in runs[p]), 4) for p in PRECISIONS},
            "rounds": rounds,
        }
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of fp32 + bf16 (medians reported)")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    ap.add_argument("--seed", type=int, default=0, help="the seed of every run (same in both precisions)")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    ap.add_argument(
        "--pad-multiple",
        default="",
        help="comma-separated pad multiples (e.g. 8,16): compare each with 1 (the loaders' time padded up to "
        f"a multiple, SequenceCollator(pad_to_multiple=n)) in both precisions; parts {', '.join(PAD_LOADERS)}",
    )
    args = ap.parse_args()
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    if unknown := [p for p in parts if p not in PARTS]:
        ap.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    torch.set_num_threads(args.threads)
    if args.pad_multiple:
        multiples = [int(n) for n in args.pad_multiple.split(",") if n.strip()]
        if bad := [p for p in parts if p not in PAD_LOADERS]:
            ap.error(
                f"--pad-multiple measures parts {', '.join(PAD_LOADERS)}; drop {', '.join(bad)} from --parts"
            )
        if min(multiples, default=0) < 2:
            ap.error(f"--pad-multiple takes multiples >= 2 (1 is always measured), got {args.pad_multiple!r}")
        padded = run_padded(parts, args.rounds, args.seed, multiples)
        if args.json:
            print(json.dumps(padded, indent=2))
            return
        for part, r in padded.items():
            for key, v in r.items():
                if isinstance(v, dict):
                    print(f"{part} {key}: {v['seconds']:.1f} s ({v['speedup_over_pad1']:.2f}x over pad 1), "
                          f"{r['metric_name']} {v['metric']:.4f} (median of {r['rounds']} rounds)")  # fmt: skip
        return
    report = run(parts, args.rounds, args.seed)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for part, r in report.items():
        better = "higher" if r["higher_is_better"] else "lower"
        print(
            f"{part}: fp32 {r['fp32_seconds']:.1f} s, bf16 {r['bf16_seconds']:.1f} s, fp32/bf16 "
            f"{r['ratio_fp32_over_bf16']:.2f}x; {r['metric_name']} ({better} is better): fp32 "
            f"{r['fp32_metric']:.4f}, bf16 {r['bf16_metric']:.4f} (median of {r['rounds']} rounds)"
        )


if __name__ == "__main__":
    main()
