"""carrousel-nlp language-model evidence: a character LSTM beside count-based baselines, in one run.

Data (``carrousel-data fetch nlp``): botchan.txt (a Gutenberg novel, 279 kB) between its Project
Gutenberg start and end markers (the licence at the end is not the novel), the last 10% held out.
Trains the character LSTM language model (tied embeddings, truncated BPTT with the state carried
across chunks and batches, core Trainer, early stopping on the held-out loss), then scores the held-out
tail as one stream: perplexity of the LSTM beside a Laplace unigram and interpolated Kneser-Ney 3-, 5-
and 7-gram models fitted on the same training characters. Prints a few samples (fixed seeds) and the
generation speed (tokens/s, streamed one at a time, as ``nlp generate run`` does) of the PyTorch network
beside its step exported to ONNX fp32 and int8 (``nlp generate export``, run by ONNX Runtime), with the
held-out perplexity of each and whether greedy text is identical. ``--model DIR`` measures a trained
bundle instead of training one.

Usage: ``python benchmarks/bench_nlp_generate.py [--hidden 256] [--epochs 40] [--threads 1] [--model DIR]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from carrousel.nlp.config import (
    FitConfig,
    GenerateConfig,
    LMDataConfig,
    LMEvaluateConfig,
    LMExportConfig,
    LMNetConfig,
    LMTrainConfig,
)
from carrousel.nlp.pipeline import TextGenerator, evaluate_lm, train_lm
from carrousel.nlp.pipeline.generate_deploy import export_lm
from carrousel.nlp.samples import sample_file

PROMPTS = ("I was ", "The head teacher ", "Kiyo ")


def novel(folder: Path) -> Path:
    """botchan.txt without the Project Gutenberg header and licence."""
    lines = sample_file("nlp.botchan").read_text(encoding="utf-8-sig").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("*** START OF")) + 1
    end = next(i for i, line in enumerate(lines) if line.startswith("End of Project Gutenberg"))
    path = folder / "botchan_novel.txt"
    path.write_text("\n".join(lines[start:end]).strip() + "\n", encoding="utf-8")
    return path


def _speed(gen: TextGenerator, tokens: int = 500) -> float:
    """Tokens per second of :meth:`TextGenerator.stream` (best of three runs)."""
    best = 0.0
    for _ in range(3):
        t = time.perf_counter()
        n = sum(1 for _ in gen.stream("It ", max_tokens=tokens, seed=0))
        best = max(best, n / (time.perf_counter() - t))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=256, help="LSTM units")
    parser.add_argument("--epochs", type=int, default=40, help="most epochs (early stopping may end sooner)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--model", type=Path, help="a bundle trained on botchan to measure (no training)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        text = novel(Path(tmp))
        data = LMDataConfig((str(text),), holdout=0.1)
        out = args.model or Path(tmp) / "lm"
        cfg = LMTrainConfig(
            data,
            model=LMNetConfig(embed_dim=128, hidden_size=args.hidden, dropout=0.2),
            fit=FitConfig(
                epochs=args.epochs, batch_size=32, lr=3e-3, patience=4, lr_decay=0.25, progress=False
            ),
            bptt=100,
            segment=400,
        )
        trained = train_lm(cfg, out) if args.model is None else None
        ev = evaluate_lm(LMEvaluateConfig(str(out), data, orders=(1, 3, 5, 7)))
        gen = TextGenerator.from_pretrained(out)
        samples = [
            gen(GenerateConfig(str(out), p, max_tokens=160, temperature=0.7, seed=i))
            for i, p in enumerate(PROMPTS)
        ]
        speed = {"PyTorch": _speed(gen)}
        exported = {}
        for precision in ("fp32", "int8"):
            report = export_lm(LMExportConfig(str(out), (str(text),), precision), Path(tmp) / precision)
            onnx = TextGenerator.from_pretrained(Path(tmp) / precision)
            speed[f"ONNX {precision}"] = _speed(onnx)
            greedy = [GenerateConfig(str(out), p, max_tokens=300, temperature=0.0) for p in PROMPTS]
            same = all(onnx(g) == gen(g) for g in greedy)
            exported[precision] = (report.after, same)
    if trained is not None:
        print(
            f"botchan.txt: {trained.train_tokens:,} training characters, {ev.held_out_tokens:,} held out "
            f"(vocabulary {trained.vocab_size})"
        )
        print(
            f"LSTM {args.hidden} units: {trained.epochs} epochs (best {trained.best_epoch}), "
            f"{trained.seconds:.0f} s"
        )
    print(f"{'model':<16} {'perplexity':>10} {'bits/char':>10}")
    print(f"{'char LSTM':<16} {ev.perplexity:>10.3f} {ev.bits_per_token:>10.3f}")
    for name, ppl in ev.baselines.items():
        print(f"{name:<16} {ppl:>10.3f} {torch.log2(torch.tensor(ppl)).item():>10.3f}")
    best = ev.baselines[ev.best_baseline]
    verdict = "below" if ev.perplexity < best else "NOT below"
    print(
        f"verdict: LSTM perplexity {ev.perplexity:.3f} is {verdict} the best n-gram ({ev.best_baseline}, {best:.3f})"
    )
    print(f"generation, 500 characters streamed one at a time on CPU ({args.threads} thread):")
    for name, rate in speed.items():
        ppl, same = exported.get(name.split()[-1], (ev.perplexity, True))
        note = "" if name == "PyTorch" else f", greedy text identical to PyTorch's: {same}"
        print(f"  {name:<10} {rate:>8,.0f} characters/s, held-out perplexity {ppl:.3f}{note}")
    for prompt, sample in zip(PROMPTS, samples, strict=True):
        print(f"--- sample (prompt {prompt!r}, temperature 0.7)\n{prompt}{sample}")


if __name__ == "__main__":
    main()
