"""``evaluate_translator`` (``nlp translate evaluate``): corpus BLEU and chrF (sacrebleu) of greedy and beam
decoding beside copying the source and the word-by-word dictionary of the training pairs, with the chrF of
each sentence (for the chart of ``--plot``, not in the JSON summary). BLEU's tokenizer follows the target
language (:mod:`carrousel.nlp.bleu_tokenize`: ``zh`` for Chinese, ``13a`` for German)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from carrousel.core.args import check_args
from carrousel.core.option_names import option
from carrousel.core.optional import require
from carrousel.nlp.bleu_tokenize import AUTO, choose_bleu_tokenize
from carrousel.nlp.config import DecodeConfig, TranslateDataConfig, TranslateEvaluateConfig
from carrousel.nlp.errors import TextDataError
from carrousel.nlp.parallel import read_pairs, sift_pairs
from carrousel.nlp.pipeline.translate import Translation, Translator, load_split

__all__ = [
    "SENTENCE_SYSTEMS",
    "TranslateEvaluation",
    "choice_counts",
    "evaluate_translator",
    "pairs_to_score",
    "score_pairs",
    "scored_pairs",
]

logger = logging.getLogger(__name__)

SENTENCE_SYSTEMS = ("beam", "dictionary", "copy")  # the systems scored sentence by sentence too
_PER_PAIR = ("sentence_chrf", "source_words")  # per-pair fields, left out of the summary


@dataclass
class TranslateEvaluation:
    """What ``nlp translate evaluate`` reports: corpus BLEU and chrF (sacrebleu) of each system."""

    pairs: int  # pairs scored
    bleu: dict[str, float]  # system -> BLEU: greedy, beam, copy (the source), dictionary (word by word)
    chrf: dict[str, float]  # system -> chrF
    beam: int  # beam size of the "beam" system
    examples: list[dict[str, str]] = field(default_factory=list)  # source, reference, greedy, beam
    fallbacks: dict[str, int] = field(default_factory=dict)  # greedy/beam -> texts the dictionary translated
    choices: dict[str, dict[str, int]] = field(
        default_factory=dict
    )  # greedy/beam -> model/nbest/dictionary/copy
    seconds: float = 0.0  # wall time
    precision: str = "fp32"  # of the network's decoding (fp32, bf16 / fp16 autocast, or an export's)
    trained_precision: str | None = "fp32"  # the network's training arithmetic (its bundle's record)
    sentence_chrf: dict[str, list[float]] = field(default_factory=dict)  # SENTENCE_SYSTEMS -> per pair
    source_words: list[int] = field(default_factory=list)  # words (split at spaces) of each pair's source
    bleu_tokenize: str = "13a"  # sacrebleu's tokenizer of BLEU (zh for Chinese; carrousel.nlp.bleu_tokenize)
    bleu_tokenize_note: str = ""  # why that tokenizer (the target language, the script, the override)
    bleu_signature: str = ""  # sacrebleu's signature of the BLEU scores
    # --split all: pairs of --pairs not scored, by reason (empty: a side empty; duplicate: a source scored
    # already); {} for test/valid, cut from the cleaning of training
    dropped: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The figures ``--json`` prints: every field but the per-pair ``sentence_chrf`` and
        ``source_words``."""
        return {k: v for k, v in asdict(self).items() if k not in _PER_PAIR}


def choice_counts(translations: Sequence[Translation]) -> dict[str, int]:
    """How many translations are the network's best (model), another of its n-best (nbest, by MBR), the
    dictionary's, the copied source or redone clause by clause (clauses, ``DecodeConfig.fallback_clauses``)."""
    keys = [("nbest" if t.rank > 0 else "model") if t.chosen == "model" else t.chosen for t in translations]
    return {k: keys.count(k) for k in ("model", "nbest", "dictionary", "copy", "clauses")}


@check_args
def scored_pairs(tr: Translator, files: Sequence[str], split: str, limit: int = 0) -> list[tuple[str, str]]:
    """The pairs ``evaluate`` scores (:func:`pairs_to_score` without the dropped counts).

    Raises:
        TextDataError: no pair is left.
    """
    return pairs_to_score(tr, files, split, limit)[0]


@check_args
def pairs_to_score(
    tr: Translator, files: Sequence[str], split: str, limit: int = 0
) -> tuple[list[tuple[str, str]], dict[str, int]]:
    """The pairs ``evaluate`` scores and those of ``files`` it leaves out, by reason; at most ``limit``
    scored (0: all).

    ``all``: every pair of ``files`` but those with an empty side (nothing to translate or to compare
    with) and a source scored already (its first translation is the reference), said in one warning. Long
    and unevenly long pairs are scored: a test set is scored whole (the length cleaning of training is for
    learning, and a source over the model's ``max_tokens`` has its own warning). ``test``/``valid``: the
    split cut as in the training of ``tr``, its cleaning included (no counts: those pairs never were in it).

    Raises:
        TextDataError: no pair is left, or ``test``/``valid`` of files that split otherwise than in training.
    """
    dropped: dict[str, int] = {}
    if split == "all":
        raw = read_pairs(files, tr.src, tr.tgt, model_tgt=True)
        pairs, dropped = sift_pairs(raw, max_ratio=None, max_words=None)
        if sum(dropped.values()):
            logger.warning(
                "%d of the %d pairs of %s are not scored: %d with an empty side, %d repeating a source "
                "scored already (its first translation is the reference); BLEU and chrF are over the rest",
                sum(dropped.values()), len(raw), ", ".join(map(str, files)), dropped["empty"], dropped["duplicate"],
            )  # fmt: skip
    else:
        s, c = tr.bundle.assets["split"], tr.bundle.assets["cleaning"]
        data = TranslateDataConfig(
            tuple(files), tr.src, tr.tgt, s["valid"], s["test"], c["max_ratio"], c["max_words"], s["seed"]
        )
        cut, trained = load_split(data), tr.bundle.data.get("sizes")
        if trained and cut.sizes() != trained:  # another file: its "test" pairs were never held out
            raise TextDataError(
                f"{option('split', split)} scores the pairs held out in training, but {', '.join(map(str, files))} "
                f"splits into {_sizes(cut.sizes())}, not the {_sizes(trained)} of the training data "
                f"({', '.join(map(str, tr.bundle.data.get('pairs', [])))}); give those pairs, or {option('split', 'all')}"
            )
        pairs = getattr(cut, split)
    pairs = pairs[:limit] if limit else pairs
    if not pairs:
        raise TextDataError(f"no pair to score; check {option('pairs')} and {option('split')}")
    return list(pairs), dropped


def _sizes(sizes: dict[str, int]) -> str:
    return "/".join(str(sizes.get(k, 0)) for k in ("train", "valid", "test")) + " train/valid/test pairs"


def _sacrebleu() -> Any:
    return require("sacrebleu", "carrousel-nlp[translate]", "BLEU and chrF scores (nlp translate evaluate)")


def evaluate_translator(cfg: TranslateEvaluateConfig) -> TranslateEvaluation:
    """Scores greedy and beam decoding, copying the source and the word dictionary on ``cfg.pairs``."""
    _sacrebleu()  # missing: an error before any work
    start = time.perf_counter()
    tr = Translator.from_pretrained(cfg.model, cfg.decode.device, cfg.ensemble)
    pairs, dropped = pairs_to_score(tr, cfg.pairs, cfg.split, cfg.limit)
    scored = score_pairs(tr, pairs, cfg.decode, cfg.examples, cfg.bleu_tokenize)
    seconds = time.perf_counter() - start
    return replace(scored, seconds=seconds, dropped=dropped, **tr.precisions(cfg.decode.precision))


@check_args
def score_pairs(
    tr: Translator,
    pairs: Sequence[tuple[str, str]],
    decode: DecodeConfig,
    examples: int = 5,
    bleu_tokenize: str = AUTO,
) -> TranslateEvaluation:
    """BLEU and chrF of ``tr``'s greedy and beam (``decode``) translations of ``pairs`` (source, reference)
    beside copying the source and the word dictionary; ``examples``: how many to return; ``bleu_tokenize``:
    sacrebleu's BLEU tokenizer, ``auto`` to choose by ``tr.tgt`` and the references' script
    (:func:`~carrousel.nlp.bleu_tokenize.choose_bleu_tokenize`). The chrF of each sentence is kept for
    :data:`SENTENCE_SYSTEMS` (about 0.1 ms a sentence each).

    Raises:
        NLPConfigError: an unknown ``bleu_tokenize``, or a MeCab one that cannot run.
    """
    sacrebleu = _sacrebleu()
    start = time.perf_counter()
    sources, refs = [s for s, _ in pairs], [t for _, t in pairs]
    tok = choose_bleu_tokenize(tr.tgt, refs, bleu_tokenize)  # before decoding: a bad override fails fast
    bleu_metric = sacrebleu.metrics.BLEU(tokenize=tok.name)
    greedy_cfg = replace(decode, beam=1, length_penalty=1.0, coverage_penalty=0.0)
    # the sources cut to max_tokens said once (before: the same warning twice, greedy's and the beam's)
    greedy_out, beam_out = tr.translate(sources, greedy_cfg), tr.translate(sources, decode, warn_long=False)
    greedy, beam = [t.text for t in greedy_out], [t.text for t in beam_out]
    systems = {
        "greedy": greedy,
        "beam": beam,
        "copy": sources,
        "dictionary": [tr.dictionary.translate(s) for s in sources],
    }
    bleu = {k: round(float(bleu_metric.corpus_score(v, [refs]).score), 4) for k, v in systems.items()}
    chrf = {k: round(float(sacrebleu.corpus_chrf(v, [refs]).score), 4) for k, v in systems.items()}
    metric = sacrebleu.metrics.CHRF()  # sentence chrF, as sacrebleu.sentence_chrf scores it
    sentence_chrf = {
        k: [
            round(float(metric.sentence_score(h, [r]).score), 4)
            for h, r in zip(systems[k], refs, strict=True)
        ]
        for k in SENTENCE_SYSTEMS
    }
    shown = [
        {"source": sources[i], "reference": refs[i], "greedy": greedy[i], "beam": beam[i]}
        for i in range(min(examples, len(pairs)))
    ]
    return TranslateEvaluation(
        pairs=len(pairs),
        bleu=bleu,
        chrf=chrf,
        beam=decode.beam,
        examples=shown,
        fallbacks={k: sum(t.fallback for t in v) for k, v in (("greedy", greedy_out), ("beam", beam_out))},
        choices={k: choice_counts(v) for k, v in (("greedy", greedy_out), ("beam", beam_out))},
        seconds=time.perf_counter() - start,
        precision=decode.precision,
        sentence_chrf=sentence_chrf,
        source_words=[len(s.split()) for s in sources],
        bleu_tokenize=tok.name,
        bleu_tokenize_note=tok.note,
        bleu_signature=str(bleu_metric.get_signature()),
    )
