"""Language-model pipelines: ``train_lm``, :class:`TextGenerator` (``nlp generate run``), ``evaluate_lm``.

The model is trained statefully with truncated BPTT by core's Trainer: the text is cut into ``B``
parallel streams, each batch continues every stream (``TrainConfig.tbptt_carry``) and is cut into
``bptt``-long chunks with the state carried between them. The last ``holdout`` share of the text is
never trained on; perplexity is measured there, on one stream read from its start, and compared with
count-based baselines on the same ids (:mod:`carrousel.nlp.baselines`).
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from carrousel.core.args import check_args
from carrousel.core.bundle import BUNDLE_FILE, Bundle, load_bundle, model_repr
from carrousel.core.curves import can_plot, history_writer
from carrousel.core.decode import sample_next
from carrousel.core.device import check_inference, check_precision
from carrousel.core.export import reduced_precision
from carrousel.core.files import check_output_dir
from carrousel.core.option_names import option
from carrousel.core.provenance import PrecisionReport, bundle_precision_report, upgrade_hint
from carrousel.core.text import name_some, percent
from carrousel.core.train import Trainer, draw_seed
from carrousel.core.train.distributed import leave_to_rank_zero, shard_streams
from carrousel.core.train.inference import evaluating
from carrousel.nlp.baselines import NGramLM, perplexity_of
from carrousel.nlp.config import GenerateConfig, LMDataConfig, LMEvaluateConfig, LMTrainConfig
from carrousel.nlp.errors import NLPConfigError, TextDataError
from carrousel.nlp.evaluate_plot import PLOT_EXTRA
from carrousel.nlp.lm_data import after_prompt, line_start, prompt_read, read_corpus, stream_batches
from carrousel.nlp.lm_export import exported_lm
from carrousel.nlp.models import LanguageModel, build_language_model
from carrousel.nlp.pipeline.common import TOKENIZER_FILE, check_converged, fit_checked, train_config
from carrousel.nlp.pipeline.generate_holdout import check_holdout
from carrousel.nlp.pipeline.generate_types import LMTrainResult
from carrousel.nlp.task import LanguageModelTask
from carrousel.nlp.tokenization import TextTokenizer, train_tokenizer
from carrousel.nlp.train_record import train_record

__all__ = [
    "KIND",
    "LMEvaluation",
    "LMTrainResult",
    "TextGenerator",
    "evaluate_lm",
    "split_text",
    "train_lm",
]

logger = logging.getLogger(__name__)

KIND = "nlp.lm"
_TRAIN_CHUNK = 4096  # characters per piece fed to the tokenizer trainer (newlines kept)


@check_args
def split_text(data: LMDataConfig, settable: bool = True, text: str | None = None) -> tuple[str, str]:
    """``(train, held_out)``: the text of ``data.files`` cut at ``1 - holdout`` (at a line start if one
    is within 1% of the cut). ``settable``: a too short text's error may say to change the holdout share
    (False: it is the model's, as for ``nlp generate export``, which has no ``--holdout``). ``text``: that
    text when the caller has read it already (``evaluate_lm`` cuts it at two shares), else it is read."""
    text = read_corpus(data.files) if text is None else text
    cut = int(len(text) * (1.0 - data.holdout))
    nl = text.find("\n", cut, cut + max(1, len(text) // 100))
    cut = nl + 1 if nl >= 0 else cut
    train, held = text[:cut], text[cut:]
    if len(held.strip()) < 2 or len(train.strip()) < 2:
        short = "held-out tail" if len(held.strip()) < 2 else "training part"
        fix = f" or {'raise' if short[0] == 'h' else 'lower'} {option('data.holdout')}" if settable else ""
        raise TextDataError(
            f"the text ({len(text)} characters) is too short to hold out {data.holdout * 100:g}%"
            f"{'' if settable else ' (the model held out that share)'}: the {short} holds under 2 characters;"
            f" give more text{fix}"
        )
    return train, held


def sequence_nll(model: nn.Module, ids: np.ndarray, chunk: int = 1024) -> tuple[float, int]:
    """Summed negative log-likelihood (nats) of ``ids[1:]``, read as one stream from ``ids[0]`` by ``model``
    (a :class:`LanguageModel`, its ONNX Runtime step, or either under reduced precision)."""
    total, each = _token_nll(model, ids, chunk)
    return total, len(each)


def _token_nll(model: nn.Module, ids: np.ndarray, chunk: int = 1024) -> tuple[float, np.ndarray]:
    """:func:`sequence_nll`'s sum (the same figure, summed the same way) and the negative log-likelihood
    (nats) of each of ``ids[1:]``, ``(len(ids) - 1,)`` float64. The chunks' figures stay on the model's
    device until the stream is read, then come back in one transfer each (not two per chunk: on a GPU each
    read waits for the device)."""
    device = next(model.parameters()).device
    state, sums, each = None, [], []
    seq = torch.as_tensor(ids, dtype=torch.long, device=device)
    with evaluating(model):
        for s in range(0, len(seq) - 1, chunk):
            x = seq[s : s + chunk]
            y = seq[s + 1 : s + chunk + 1]
            x = x[: len(y)]
            logits, state = model(x.unsqueeze(0), state)
            log_p = F.log_softmax(logits[0].float(), dim=-1)  # cross_entropy's own two steps
            sums.append(F.nll_loss(log_p, y, reduction="sum"))
            each.append(-log_p.gather(1, y.unsqueeze(1)).squeeze(1))
    if not each:
        return 0.0, np.zeros(0)
    total = 0.0
    for value in torch.stack(sums).cpu().tolist():  # each chunk's float32 sum, added in float64 in order
        total += value
    return total, torch.cat(each).cpu().double().numpy()


def train_lm(cfg: LMTrainConfig, out: str | Path) -> LMTrainResult:
    """Trains a language model on the text minus its held-out tail and saves it as a bundle in ``out``."""
    start = time.perf_counter()
    out = check_output_dir(out, option("out"), marker=BUNDLE_FILE, kind=KIND)  # before any work
    check_precision(cfg.fit.precision, cfg.fit.device)  # before any work: e.g. fp16 on the CPU is refused
    plot = can_plot(PLOT_EXTRA)  # the learning curve (training.png), decided before any training
    train_text, held_text = split_text(cfg.data)
    fit = cfg.fit
    torch.manual_seed(fit.seed)
    pieces = (train_text[i : i + _TRAIN_CHUNK] for i in range(0, len(train_text), _TRAIN_CHUNK))
    tokenizer = train_tokenizer(pieces, cfg.tokenizer, lines=cfg.tokenizer.kind == "word")  # \n: a word
    train_ids = np.asarray(tokenizer.encode(train_text), dtype=np.int64)
    held_ids = np.asarray(tokenizer.encode(held_text), dtype=np.int64)
    streams = max(1, min(fit.batch_size, (len(held_ids) - 1) // (2 * cfg.bptt)))
    # under torchrun each process trains on its own share of the streams
    train_batches = shard_streams(stream_batches(train_ids, fit.batch_size, cfg.segment))
    val_batches = shard_streams(stream_batches(held_ids, streams, cfg.segment))
    model = build_language_model(cfg.model, tokenizer.vocab_size)
    trainer = Trainer(model, LanguageModelTask(), train_config(fit, tbptt_steps=cfg.bptt, tbptt_carry=True))
    result = fit_checked(trainer, train_batches, val_batches, fit.lr)
    leave_to_rank_zero()  # the held-out perplexity below: rank zero's alone under torchrun
    nll, count = sequence_nll(model, held_ids)
    check_converged(nll / count, result, fit.lr, "the held-out loss per token")  # before anything is saved
    report = LMTrainResult(
        out=Path(out),
        vocab_size=tokenizer.vocab_size,
        train_tokens=len(train_ids),
        held_out_tokens=len(held_ids),
        epochs=len(result.history),
        best_epoch=result.best_epoch,
        perplexity=math.exp(nll / count),
        seconds=time.perf_counter() - start,
        precision=fit.precision,
    )
    bundle = Bundle(
        kind=KIND,
        model=model,
        assets={"tokenizer_kind": tokenizer.kind, "bptt": cfg.bptt, "holdout": cfg.data.holdout},
        files={TOKENIZER_FILE: tokenizer.to_bytes()},
        data={
            "files": [str(f) for f in cfg.data.files],
            "train_tokens": len(train_ids),
            "held_out_tokens": len(held_ids),
            "seed": fit.seed,
            "precision": fit.precision,  # the training arithmetic (absent in older bundles: fp32)
            **train_record(cfg, report),  # the settings and the figures printed: -q loses nothing
        },
    )
    net = cfg.model
    title = (
        f"nlp generate train: {net.cell.upper()} language model ({net.num_layers} x {net.hidden_size} units) on "
        f"{', '.join(Path(f).name for f in cfg.data.files)} ({len(train_ids):,} training / {len(held_ids):,} "
        f"held-out {tokenizer.kind} tokens)"
    )
    bundle.save(out, also=history_writer(result, title, plot))  # with history.csv and training.png
    return report


def _warn_unknown(tokenizer: TextTokenizer, prompt: str) -> None:
    """One warning naming the prompt's words (word tokenizer) or characters the vocabulary lacks, the first
    five in prompt order: the model reads each as ``[UNK]`` and decoding drops it, so nothing else shows it.
    The count is of distinct ones, as named (``'Q' x2`` is one of them, twice in the prompt)."""
    unknown = Counter(tokenizer.unreadable(prompt))
    if not unknown:
        return
    n, unit = len(unknown), "word" if tokenizer.kind == "word" else "character"
    names = name_some(repr(u) + (f" x{k}" if k > 1 else "") for u, k in unknown.items())
    logger.warning(
        "the model's vocabulary lacks %d prompt %s%s (%s), read as [UNK]",
        n,
        unit,
        "s" if n > 1 else "",
        names,
    )


class TextGenerator:
    """A trained language model with its tokenizer; samples continuations of a prompt.

    ``precision`` bf16 / fp16 runs the network under core's autocast wrapper
    (:func:`~carrousel.core.export.reduced_precision`: the state carried between calls in float32) and its
    output layer in float32 (:func:`~carrousel.nlp.models.float32_output`), so sampling reads float32
    logits; refused (one line) for an exported bundle, and fp16 on the CPU (core's ``check_inference``).

    Example:
        >>> gen = TextGenerator.from_pretrained("lm/")  # doctest: +SKIP
        >>> for piece in gen.stream("It was", max_tokens=50, seed=1):  # doctest: +SKIP
        ...     print(piece, end="")
    """

    def __init__(self, bundle: Bundle, precision: str = "fp32") -> None:
        self.bundle = bundle
        eager: LanguageModel = bundle.model  # type: ignore[assignment]
        network = exported_lm(bundle, eager)  # an exported bundle (nlp generate export) runs ONNX Runtime
        check_inference(precision, next(eager.parameters()).device, network is not eager)
        self.precision = precision
        self.model: nn.Module = reduced_precision(network, precision)  # fp32: the network itself
        self.tokenizer = TextTokenizer.from_bytes(
            bundle.files[TOKENIZER_FILE],
            str(bundle.assets["tokenizer_kind"]),
            upgrade=upgrade_hint(bundle),  # what the errors say when a newer carrousel wrote it
        )

    def __repr__(self) -> str:
        return model_repr(self, tokenizer=self.tokenizer.kind, precision=self.precision)

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str = "cpu", precision: str = "fp32") -> TextGenerator:
        """Loads a bundle written by :func:`train_lm`; ``precision``: fp32, or bf16 / fp16 autocast."""
        return cls(load_bundle(path, kind=KIND, map_location=device), precision)

    def precisions(self) -> PrecisionReport:
        """``trained_precision`` (the bundle's record) and ``precision`` (what this generator runs in: an
        exported bundle's ONNX file's, else ``precision``), as ``--json`` reports them."""
        return bundle_precision_report(self.bundle.data, self.bundle.assets, self.precision)

    def _start(self, prompt: str) -> list[int]:
        if prompt is not None and not isinstance(prompt, str):  # before: a TypeError from the tokenizer
            raise TextDataError(f"prompt={prompt!r:.40} is not text; give a string ('' starts afresh)")
        if prompt:
            _warn_unknown(self.tokenizer, prompt)
        ids = self.tokenizer.encode(prompt_read(prompt, self.tokenizer.kind)) if prompt else []
        if not ids:  # no prompt: start as at the beginning of a line
            ids = line_start(self.tokenizer)
        return ids

    @check_args
    def stream(
        self,
        prompt: str = "",
        max_tokens: int = 200,
        temperature: float = 0.8,
        top_k: int = 0,
        top_p: float = 1.0,
        seed: int | None = None,
    ) -> Iterator[str]:
        """Yields the text of the continuation piece by piece, as each token is sampled.

        ``seed`` makes the output reproducible (same model, prompt and settings: same text). Prompt words or
        characters the vocabulary lacks are named in one warning, logged here, before the first piece.
        """
        context = self._start(prompt)  # now, not at the first next(): the warning precedes any output
        pieces = self._sample(prompt, context, max_tokens, temperature, top_k, top_p, seed)
        return after_prompt(pieces, prompt, self.tokenizer.kind)  # shown after the prompt as given

    def _sample(
        self,
        prompt: str,
        context: list[int],
        max_tokens: int,
        temperature: float,
        top_k: int,
        top_p: float,
        seed: int | None,
    ) -> Iterator[str]:
        device = next(self.model.parameters()).device
        generator = torch.Generator(device=device)
        generator.manual_seed(seed if seed is not None else draw_seed())  # torch's own generator untouched
        banned = (self.tokenizer.pad_id, self.tokenizer.unk_id, self.tokenizer.bos_id)
        # Only the tokens since the last piece are decoded, after the piece before's (ids[start:shown]) as
        # context; decoding the whole text at each token made a long run quadratic (100,000 tokens: 20 KB in 2 min)
        ids = list(context) if prompt else []
        start, shown = 0, len(ids)
        before = self.tokenizer.decode(ids)  # the text of ids[start:shown], made again only when they move
        self.model.eval()
        with torch.no_grad():
            logits, state = self.model(torch.tensor([context], device=device))
            for _ in range(max_tokens):
                nxt = sample_next(logits[:, -1], temperature, top_k, top_p, generator, banned)
                ids.append(int(nxt))
                text = self.tokenizer.decode(ids[start:])
                if text.startswith(before) and len(text) > len(before):
                    yield text[len(before) :]
                    start, shown = shown, len(ids)
                    before = self.tokenizer.decode(ids[start:shown])
                logits, state = self.model(nxt.view(1, 1), state)

    def __call__(self, cfg: GenerateConfig) -> str:
        """The whole continuation for a :class:`~carrousel.nlp.config.GenerateConfig` (its ``precision`` must
        be the generator's: the precision is chosen when loading).

        Raises:
            NLPConfigError: ``cfg.precision`` is not the generator's.
        """
        if cfg.precision != self.precision:
            raise NLPConfigError(
                f"this generator runs in {self.precision}, the config asks for {cfg.precision}; load it with "
                f"TextGenerator.from_pretrained(..., precision={cfg.precision!r})"
            )
        return "".join(
            self.stream(cfg.prompt, cfg.max_tokens, cfg.temperature, cfg.top_k, cfg.top_p, cfg.seed)
        )


@dataclass
class LMEvaluation:
    """What ``nlp generate evaluate`` reports (perplexities on the held-out tail, same ids)."""

    held_out_tokens: int  # tokens scored
    perplexity: float  # the LSTM
    bits_per_token: float  # log2 of the perplexity
    baselines: dict[str, float] = field(default_factory=dict)  # "unigram", "3-gram KN", ... -> perplexity
    best_baseline: str = ""  # the baseline with the lowest perplexity
    seconds: float = 0.0  # wall time
    precision: str = "fp32"  # of the LSTM's perplexity (fp32, bf16 / fp16 autocast, or an export's)
    trained_precision: str | None = "fp32"  # the LSTM's training arithmetic (its bundle's record)
    token_nll: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (held_out_tokens,) nats, the LSTM
    baseline_token_nll: dict[str, np.ndarray] = field(default_factory=dict)  # baseline -> the same, its own

    def summary(self) -> dict[str, Any]:
        """The figures ``--json`` prints: every field but the per-token ``token_nll`` and
        ``baseline_token_nll``."""
        return {k: v for k, v in asdict(self).items() if k not in ("token_nll", "baseline_token_nll")}


def _warn_unknown_held_out(tokenizer: TextTokenizer, text: str, ids: Sequence[int]) -> None:
    """One warning when the scored held-out tokens (``ids[1:]``: the first is read, never predicted; the
    count :class:`LMEvaluation` reports) hold ``[UNK]`` (text of another language or script): every
    perplexity, the baselines' too, then scores them as one token each, the model's reading of them."""
    scored = ids[1:]
    unk = sum(1 for i in scored if i == tokenizer.unk_id)
    if unk:
        names = name_some(repr(u) for u in Counter(tokenizer.unreadable(text)))
        logger.warning(
            "%d of %d scored held-out tokens (%s) are [UNK], outside the model's vocabulary (%s): the "
            "perplexities score each as one token; evaluate on text like the training text",
            unk,
            len(scored),
            percent(unk / len(scored)),
            names,
        )


def evaluate_lm(cfg: LMEvaluateConfig) -> LMEvaluation:
    """Perplexity of a trained model on the held-out tail of ``cfg.data``, beside n-gram baselines fitted
    on the training part with the model's own tokenizer."""
    start = time.perf_counter()
    gen = TextGenerator.from_pretrained(cfg.model, cfg.device, cfg.precision)
    text = read_corpus(cfg.data.files)  # once: the model's share and cfg's are both cut from it
    trained = check_holdout(  # first
        gen.bundle.assets, gen.bundle.data, gen.tokenizer, cfg.data, lambda d: split_text(d, text=text)
    )
    train_text, held_text = split_text(cfg.data, text=text)
    # a smaller tail: the baselines read the model's part, encoded by check_holdout already
    train_ids = gen.tokenizer.encode(train_text) if trained is None else trained
    held_ids = gen.tokenizer.encode(held_text)
    if len(held_ids) < 2:
        raise TextDataError(
            f"the held-out text has fewer than two tokens; give more text or a larger {option('data.holdout')}"
        )
    _warn_unknown_held_out(gen.tokenizer, held_text, held_ids)
    nll, each = _token_nll(gen.model, np.asarray(held_ids, dtype=np.int64))
    count = len(each)
    ppl = math.exp(nll / count)
    baselines, baseline_nll = {}, {}
    for n in cfg.orders:
        name = "unigram" if n == 1 else f"{n}-gram KN"
        logs = NGramLM(n, gen.tokenizer.vocab_size).fit(train_ids).log_probs(held_ids)
        baselines[name], baseline_nll[name] = perplexity_of(logs), -np.asarray(logs, dtype=np.float64)
    best = min(baselines, key=lambda k: baselines[k])
    return LMEvaluation(
        held_out_tokens=count,
        perplexity=ppl,
        bits_per_token=math.log2(ppl),
        baselines=baselines,
        best_baseline=best,
        seconds=time.perf_counter() - start,
        **gen.precisions(),
        token_nll=each,
        baseline_token_nll=baseline_nll,
    )
