"""Translation pipelines: ``train_translator`` and :class:`Translator` (``nlp translate run``);
``evaluate_translator`` is in :mod:`carrousel.nlp.pipeline.translate_eval`.

Training reads and cleans the pairs (:mod:`carrousel.nlp.parallel`), splits them with a fixed seed,
trains one BPE vocabulary shared by both languages (or one per language,
:mod:`carrousel.nlp.pipeline.translate_vocab`) on the training pairs only, and fits the
:class:`~carrousel.nlp.seq2seq.Seq2Seq` network with core's Trainer (teacher forcing, label smoothing,
early stopping on the validation loss). The bundle (kind ``"nlp.translate"``) holds the weights, the
tokenizer, the word dictionary baseline learned from the same training pairs, and the split settings,
so that ``evaluate --split test`` scores exactly the pairs held out in training.

With ``rare_words`` (and placeholders) on, source words seen at most that often in the training
sources are masked as unseen-word placeholders in training and in decoding, and carried over whole:
the bundle stores the other, known, words (:mod:`carrousel.nlp.placeholders`). With ``bpe_dropout``
training segments both sides anew each epoch with BPE-dropout (:mod:`carrousel.nlp.bpe_dropout`).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from carrousel.core.bundle import Bundle, load_bundle
from carrousel.core.decode import Hypothesis
from carrousel.core.train import Trainer
from carrousel.nlp.baselines import WORD_PATTERN, WordDictionary
from carrousel.nlp.clauses import by_clauses
from carrousel.nlp.config import DecodeConfig, TranslateDataConfig, TranslateTrainConfig
from carrousel.nlp.consensus import consensus
from carrousel.nlp.copying import copy_unknown_words
from carrousel.nlp.errors import EmptyTextError, TextDataError
from carrousel.nlp.lexical_bias import (
    LEXICON_FILE,
    BiasedNetwork,
    fit_lexicon,
    lexicon_from_bytes,
    lexicon_to_bytes,
)
from carrousel.nlp.lexicon import ibm_model1
from carrousel.nlp.parallel import ParallelSplit, clean_pairs, read_pairs, split_pairs, vary_case
from carrousel.nlp.pipeline.common import TOKENIZER_FILE, train_config
from carrousel.nlp.pipeline.translate_types import Searched, Translation, attention_plot
from carrousel.nlp.pipeline.translate_vocab import (
    TARGET_TOKENIZER_FILE,
    DropoutPairs,
    Vocabularies,
    encode_pairs,
    pair_loader,
    train_vocabularies,
)
from carrousel.nlp.placeholders import ALPHABET, mask, mask_pair, unmask
from carrousel.nlp.seq2seq import Seq2Seq, build_seq2seq, decode_nbest
from carrousel.nlp.seq2seq_ensemble import EnsembleNetwork, check_members
from carrousel.nlp.seq2seq_export import exported_network
from carrousel.nlp.seq2seq_precision import network_in_precision
from carrousel.nlp.task import TranslationTask

__all__ = [
    "KIND",
    "KNOWN_FILE",
    "Searched",
    "TranslateTrainResult",
    "Translation",
    "Translator",
    "attention_plot",
    "known_words",
    "load_split",
    "train_translator",
    "unknown_to",
]

logger = logging.getLogger(__name__)

KIND = "nlp.translate"
DICTIONARY_FILE = "dictionary.json"
KNOWN_FILE = "known_words.json"  # case-folded source words decoded as words (the rest: unseen placeholders)
_SAME_FILES = (TOKENIZER_FILE, TARGET_TOKENIZER_FILE, KNOWN_FILE)  # equal in every member of an ensemble


def known_words(pairs: Sequence[tuple[str, str]], rare: int) -> set[str]:
    """The case-folded source words of ``pairs`` seen more than ``rare`` times."""
    counts = Counter(w.casefold() for s, _ in pairs for w in WORD_PATTERN.findall(s))
    return {w for w, n in counts.items() if n > rare}


def unknown_to(known: set[str]) -> Callable[[str], bool]:
    """The placeholder predicate of a known-word set: a word is masked when it is not known."""
    return lambda word: word.casefold() not in known


def load_split(data: TranslateDataConfig) -> ParallelSplit:
    """Reads, cleans and splits the pairs of ``data`` (the same split for the same settings)."""
    pairs = clean_pairs(read_pairs(data.pairs, data.src, data.tgt), data.max_ratio, data.max_words)
    return split_pairs(pairs, data.valid, data.test, data.seed)


@dataclass
class TranslateTrainResult:
    """What ``nlp translate train`` reports."""

    out: Path  # the bundle folder
    pairs: dict[str, int]  # clean pairs per split (train / valid / test)
    vocab_size: int  # the shared (or the source) subword vocabulary, specials included
    target_vocab_size: int  # the target's (the same as vocab_size when shared)
    parameters: int  # trainable weights
    epochs: int  # epochs run
    best_epoch: int | None  # epoch whose weights were kept
    valid_loss: float  # label-smoothed cross-entropy per target token on the validation pairs
    seconds: float  # wall time
    valid_curve: list[float] = field(default_factory=list)  # valid_loss after each epoch


def train_translator(cfg: TranslateTrainConfig, out: str | Path) -> TranslateTrainResult:
    """Trains a translator on the training split of ``cfg.data`` and saves it as a bundle in ``out``."""
    start = time.perf_counter()
    split = load_split(cfg.data)
    fit = cfg.fit
    torch.manual_seed(fit.seed)
    # the case variation is part of the data (the split's seed), so training seeds share one vocabulary
    # and their models can be decoded as one ensemble (carrousel.nlp.seq2seq_ensemble)
    train_pairs = (
        vary_case(split.train, cfg.case_variation, cfg.data.seed) if cfg.case_variation else split.train
    )
    valid_pairs = split.valid
    lexicon_pairs = split.train  # the lexicon of the bias (no case variation: as refitted from a bundle)
    dictionary = WordDictionary.fit(split.train)
    known = known_words(split.train, cfg.rare_words) if cfg.placeholders and cfg.rare_words else None
    if cfg.placeholders:
        unknown = unknown_to(known) if known is not None else None
        table = dictionary.table if known is not None else None
        train_pairs = [mask_pair(s, t, unknown, table) for s, t in train_pairs]
        valid_pairs = [mask_pair(s, t, unknown, table) for s, t in valid_pairs]
        lexicon_pairs = [mask_pair(s, t, unknown, table) for s, t in lexicon_pairs]
    vocab = train_vocabularies(
        train_pairs, cfg.tokenizer, cfg.shared_vocab, ALPHABET if cfg.placeholders else ()
    )
    src_size, tgt_size, targets = vocab.source.vocab_size, vocab.target.vocab_size, vocab.copy_targets()
    dropped = DropoutPairs(vocab, train_pairs, cfg.max_tokens, cfg.bpe_dropout, fit.seed)
    train_items = dropped.items  # as encode_pairs: the deterministic segmentation
    valid_items = encode_pairs(vocab, valid_pairs, cfg.max_tokens)
    if len(train_items) < 2 or not valid_items:
        raise TextDataError("too few pairs survive tokenisation; give more pairs or a larger --max-tokens")
    lexicon = fit_lexicon(
        [(s.tolist(), t[:-1].tolist()) for s, t in encode_pairs(vocab, lexicon_pairs, cfg.max_tokens)],
        src_size, targets=targets, tgt_vocab_size=tgt_size,
    )  # fmt: skip
    model = build_seq2seq(cfg.model, src_size, tgt_size, shared_embeddings=vocab.shared)
    if targets is not None and model.copy_ids is not None:  # the pointer copies a piece to the same piece
        model.set_copy_ids(torch.from_numpy(targets))
    if model.lex_ids is not None:  # the IBM-1 lexicon of the training pairs (Arthur et al. 2016)
        ids, probs = ibm_model1(
            [(s.tolist(), t[:-1].tolist()) for s, t in train_items], src_size, cfg.model.lexicon,
            targets=targets, tgt_vocab_size=tgt_size,
        )  # fmt: skip
        model.set_lexicon(torch.from_numpy(ids), torch.from_numpy(probs))
    task = TranslationTask(vocab.target.bos_id, cfg.label_smoothing)
    trainer = Trainer(model, task, train_config(fit))
    result = trainer.fit(
        pair_loader(dropped, fit.batch_size, True, fit.seed),
        pair_loader(valid_items, fit.batch_size, False, 0),
    )
    valid_loss = float(result.best_score if result.best_score is not None else "nan")
    data = cfg.data
    extra = {KNOWN_FILE: json.dumps(sorted(known), ensure_ascii=False).encode("utf-8")} if known else {}
    Bundle(
        kind=KIND,
        model=model.cpu(),
        assets={
            "src": data.src,
            "tgt": data.tgt,
            "tokenizer_kind": vocab.source.kind,
            "shared_vocab": vocab.shared,
            "split": {"valid": data.valid, "test": data.test, "seed": data.seed},
            "cleaning": {"max_ratio": data.max_ratio, "max_words": data.max_words},
            "max_tokens": cfg.max_tokens,
            "placeholders": cfg.placeholders,
            "bpe_dropout": cfg.bpe_dropout,  # training only: decoding segments deterministically
        },
        files={
            **vocab.files(),
            DICTIONARY_FILE: json.dumps(dictionary.table, ensure_ascii=False).encode("utf-8"),
            LEXICON_FILE: lexicon_to_bytes(*lexicon),
            **extra,
        },
        data={"pairs": list(data.pairs), "sizes": split.sizes(), "seed": fit.seed},
    ).save(out)
    return TranslateTrainResult(
        out=Path(out),
        pairs=split.sizes(),
        vocab_size=src_size,
        target_vocab_size=tgt_size,
        parameters=sum(p.numel() for p in model.parameters() if p.requires_grad),
        epochs=len(result.history),
        best_epoch=result.best_epoch,
        valid_loss=valid_loss,
        seconds=time.perf_counter() - start,
        valid_curve=[float(h.get("val_loss", math.nan)) for h in result.history],
    )


class Translator:
    """A trained translator with its tokenizers (``tokenizer``: the source's or the shared one).

    Example:
        >>> tr = Translator.from_pretrained("model/")  # doctest: +SKIP
        >>> tr.translate(["could not open file"])[0].text  # doctest: +SKIP
        'konnte Datei nicht öffnen'
    """

    def __init__(self, bundle: Bundle, members: Sequence[Bundle] = (), names: Sequence[str] = ()) -> None:
        check_members(bundle, members, names or [f"{i + 2}" for i in range(len(members))], _SAME_FILES)
        self.bundle = bundle
        self.model: Seq2Seq = bundle.model  # type: ignore[assignment]
        self.model.eval()
        self.vocab = Vocabularies.from_files(bundle.files, str(bundle.assets["tokenizer_kind"]))
        self.tokenizer, self.target_tokenizer = self.vocab.source, self.vocab.target
        self.dictionary = WordDictionary(json.loads(bundle.files[DICTIONARY_FILE].decode("utf-8")))
        self.src, self.tgt = str(bundle.assets["src"]), str(bundle.assets["tgt"])
        self.max_tokens = int(bundle.assets.get("max_tokens", 100))
        self.placeholders = bool(bundle.assets.get("placeholders", False))
        known = bundle.files.get(KNOWN_FILE)
        self.unknown = unknown_to(set(json.loads(known.decode("utf-8")))) if known is not None else None
        self.network = exported_network(bundle, self.model)  # ONNX Runtime's step for an exported bundle
        self.members = [exported_network(b, b.model.eval()) for b in members]  # type: ignore[arg-type]
        self._lexicon: tuple[torch.Tensor, torch.Tensor] | None = None

    def lexicon(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The ``(V, K)`` lexicon of the lexical bias: stored in the bundle, or refitted from its training pairs.

        Raises:
            TextDataError: the bundle has no lexicon and its training pairs cannot be read.
        """
        if self._lexicon is None:
            stored = self.bundle.files.get(LEXICON_FILE)
            if stored is not None:
                self._lexicon = lexicon_from_bytes(stored)
            else:
                logger.info("the model has no stored lexicon; fitting it on its training pairs")
                a = self.bundle.assets
                s, c = a["split"], a["cleaning"]
                data = TranslateDataConfig(
                    tuple(self.bundle.data["pairs"]), self.src, self.tgt, s["valid"], s["test"],
                    c["max_ratio"], c["max_words"], s["seed"],
                )  # fmt: skip
                pairs = load_split(data).train
                if self.placeholders:
                    table = self.dictionary.table if self.unknown is not None else None
                    pairs = [mask_pair(x, y, self.unknown, table) for x, y in pairs]
                items = [
                    (x.tolist(), y[:-1].tolist()) for x, y in encode_pairs(self.vocab, pairs, self.max_tokens)
                ]
                ids, probs = fit_lexicon(
                    items, self.tokenizer.vocab_size, targets=self.vocab.copy_targets(),
                    tgt_vocab_size=self.target_tokenizer.vocab_size,
                )  # fmt: skip
                self._lexicon = torch.from_numpy(ids), torch.from_numpy(probs)
        return self._lexicon

    def is_known(self, word: str) -> bool:
        """Whether a source word occurred in the training sources (the dictionary baseline's table)."""
        return word.casefold() in self.dictionary.table

    @classmethod
    def from_pretrained(
        cls, path: str | Path, device: str = "cpu", members: Sequence[str | Path] = ()
    ) -> Translator:
        """Loads a bundle written by :func:`train_translator`; with ``members``, more bundles trained on the
        same pairs and vocabulary, decoded with it as one ensemble (:mod:`carrousel.nlp.seq2seq_ensemble`).

        Raises:
            NLPConfigError: a member has another vocabulary, languages or placeholder settings.
        """
        others = [load_bundle(p, kind=KIND, map_location=device) for p in members]
        return cls(load_bundle(path, kind=KIND, map_location=device), others, [str(p) for p in members])

    def translate(
        self, texts: Sequence[str], decode: DecodeConfig | None = None, attention: bool = False
    ) -> list[Translation]:
        """Translates ``texts``, in batches of similar length: :meth:`search`, then :meth:`choose`.

        Raises:
            EmptyTextError: a text is empty or only whitespace.
        """
        dc = decode or DecodeConfig()
        return self.choose(self.search(texts, dc), dc, attention)

    def search(self, texts: Sequence[str], decode: DecodeConfig) -> list[Searched]:
        """The network's hypotheses per text (the best; with ``mbr`` the beam's n-best); as :meth:`translate`."""
        dc = decode
        for i, text in enumerate(texts):
            if not text.strip():
                raise EmptyTextError(f"text {i + 1} is empty; give text to translate")
        tok, out_tok = self.tokenizer, self.target_tokenizer
        masked = [mask(t, self.unknown) if self.placeholders else (t, []) for t in texts]
        ids = [s[: self.max_tokens] or [tok.unk_id] for s in tok.encode_batch([m for m, _ in masked])]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out: list[Searched | None] = [None] * len(ids)
        nets = [
            network_in_precision(n, dc.precision, not isinstance(n, Seq2Seq))
            for n in [self.network, *self.members]
        ]
        if dc.lexical_bias > 0:
            nets = [
                BiasedNetwork(n, *self.lexicon(), strength=dc.lexical_bias, eps=dc.lexical_eps) for n in nets
            ]
        network = nets[0] if len(nets) == 1 else EnsembleNetwork(nets)
        for b in range(0, len(order), dc.batch_size):
            chunk = order[b : b + dc.batch_size]
            found = decode_nbest(
                network, [ids[i] for i in chunk], out_tok.bos_id, out_tok.eos_id, beam=dc.beam,
                n_best=dc.beam if dc.mbr else 1, length_penalty=dc.length_penalty,
                coverage_penalty=dc.coverage_penalty, max_ratio=dc.max_ratio,
            )  # fmt: skip
            for i, hyps in zip(chunk, found, strict=True):
                out[i] = Searched(texts[i], ids[i], masked[i][1], hyps)
        return [s for s in out if s is not None]

    def _own_text(self, s: Searched, h: Hypothesis, copy_unknown: bool) -> str:
        tok, out_tok = self.tokenizer, self.target_tokenizer
        text = out_tok.decode(h.labels)
        if copy_unknown and h.extras is not None:
            src, out = [tok.id_to_token(t) for t in s.ids], [out_tok.id_to_token(t) for t in h.labels]
            copied = copy_unknown_words(src, out, np.asarray(h.extras), self.is_known)
            text = copied if copied is not None else text
        return unmask(text, s.pieces).strip()

    def choose(
        self, searched: Sequence[Searched], decode: DecodeConfig, attention: bool = False
    ) -> list[Translation]:
        """The translation of each searched text: the network's best; the dictionary's where the best's
        mean -log p is above ``decode.fallback_nll``; else with ``decode.mbr`` the consensus pick among
        the n-best, the dictionary's and (``mbr_copy``) the source (:mod:`carrousel.nlp.consensus`).

        ``model_text``, ``nll``, ``score``, tokens and attention are those of the network's hypothesis
        that was chosen (its best when the dictionary's or the source is chosen). With
        ``decode.fallback_clauses`` a text the fallback took is redone clause by clause
        (:func:`carrousel.nlp.clauses.by_clauses`; ``chosen`` "clauses" where that changes its text).
        """
        dc, tok, out = decode, self.tokenizer, []
        for s in searched:
            choice, rank = "model", 0
            nll = -float(s.hyps[0].log_prob) / (len(s.hyps[0].labels) + 1)
            if 0 < dc.fallback_nll < nll:
                choice = "dictionary"
            elif dc.mbr:
                choice, rank = consensus(
                    [self._own_text(s, h, dc.copy_unknown) for h in s.hyps],
                    [float(h.log_prob) for h in s.hyps],
                    self.dictionary.translate(s.source),
                    s.source,
                    temperature=dc.mbr_temperature,
                    model_weight=math.exp(-dc.mbr_confidence * nll),
                    dictionary_weight=dc.mbr_dictionary,
                    copy_weight=dc.mbr_copy,
                )
            h = s.hyps[rank]
            own = self._own_text(s, h, dc.copy_unknown)
            text = {"model": own, "dictionary": self.dictionary.translate(s.source), "copy": s.source}[choice]
            out.append(
                Translation(
                    source=s.source,
                    text=text,
                    score=float(h.score),
                    source_tokens=[unmask(tok.id_to_token(t), s.pieces) for t in s.ids] if attention else [],
                    target_tokens=[unmask(self.target_tokenizer.id_to_token(t), s.pieces) for t in h.labels]
                    if attention
                    else [],
                    attention=h.extras.tolist() if attention and h.extras is not None else None,
                    nll=-float(h.log_prob) / (len(h.labels) + 1),
                    fallback=choice == "dictionary",
                    model_text=own,
                    chosen=choice,
                    rank=rank,
                )
            )
        if dc.fallback_clauses:  # the unsure texts again, clause by clause (carrousel.nlp.clauses)
            sub = replace(dc, fallback_clauses=False)
            redo = by_clauses(
                [t.source for t in out],
                [t.fallback and 0 < dc.fallback_nll < t.nll for t in out],  # the fallback's, not MBR's
                lambda xs: [t.text for t in self.choose(self.search(xs, sub), sub)],
            )
            out = [
                t if x is None or x == t.text else replace(t, text=x, chosen="clauses", fallback=False)
                for t, x in zip(out, redo, strict=True)
            ]
        return out
