"""The subword vocabularies of a translator: one shared by both languages, or one per language.

A shared vocabulary (the default) is trained on the training sources and targets together; separate ones
each on their own side. Either way they are trained on the training split only and stored in the bundle
(:data:`~carrousel.nlp.pipeline.common.TOKENIZER_FILE` holds the shared or the source vocabulary,
:data:`TARGET_TOKENIZER_FILE` the target one when separate; bundles without it share one). With separate
vocabularies the pointer-generator copies a source piece to the target id of the same piece
(:func:`copy_targets`), and the lexicon's rows are source ids whose entries are target ids.

The two sides normalise differently (:mod:`carrousel.nlp.tokenization`): the source with NFKC, the target
with NFKC less the full-width punctuation (``：，（）``) its training targets may use, so a translator into
Chinese or Japanese writes them. A shared vocabulary is then two tokenizers of one model (the target's
file stored too); a bundle from before this (one NFKC tokenizer, or two without the exception) loads and
translates as it did.

The training pairs go to the network as id pairs (:func:`encode_pairs`), or with BPE-dropout as
:class:`DropoutPairs`, segmented anew each epoch; :func:`pair_loader` batches either.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from torch.utils.data import DataLoader, Dataset

from carrousel.core.args import check_args
from carrousel.core.data import BucketBatchSampler, SequenceCollator
from carrousel.core.text import counted
from carrousel.nlp.bpe_dropout import BpeDropout
from carrousel.nlp.config import TokenizerConfig
from carrousel.nlp.data import warn_truncated
from carrousel.nlp.parallel import read_spaced
from carrousel.nlp.pipeline.common import TOKENIZER_FILE
from carrousel.nlp.placeholders import mask
from carrousel.nlp.tokenization import FULLWIDTH_KEPT, SPECIALS, TextTokenizer, train_tokenizer
from carrousel.nlp.usage_lines import command_spans

__all__ = [
    "TARGET_TOKENIZER_FILE",
    "DropoutPairs",
    "Vocabularies",
    "copy_targets",
    "encode_pairs",
    "encode_sources",
    "pair_loader",
    "train_vocabularies",
]

TARGET_TOKENIZER_FILE = "target_tokenizer.json"  # the target side's tokenizer (its own vocabulary, or the
# shared one with the target's normaliser)
# what NFKC makes of each character a target side keeps
_FOLD = str.maketrans({c: unicodedata.normalize("NFKC", c) for c in FULLWIDTH_KEPT})


@dataclass(frozen=True)
class Vocabularies:
    """The source and target tokenizers (one model when shared: the same object, or two normalisers)."""

    source: TextTokenizer
    target: TextTokenizer

    @property
    def shared(self) -> bool:
        """Whether both languages use one vocabulary."""
        return self.source is self.target or self.source.same_model(self.target)

    def files(self) -> dict[str, bytes]:
        """The bundle files that hold them."""
        out = {TOKENIZER_FILE: self.source.to_bytes()}
        if self.target is not self.source:
            out[TARGET_TOKENIZER_FILE] = self.target.to_bytes()
        return out

    @classmethod
    def from_files(
        cls,
        files: Mapping[str, bytes],
        kind: str,
        upgrade: str | None = None,
    ) -> Vocabularies:
        """Reads what :meth:`files` wrote (a bundle without a target file shares one vocabulary); ``upgrade``:
        what a tokenizer's errors say to do (see :meth:`TextTokenizer.from_bytes`)."""
        source = TextTokenizer.from_bytes(files[TOKENIZER_FILE], kind, upgrade=upgrade)
        target = files.get(TARGET_TOKENIZER_FILE)
        if target is None:
            return cls(source, source)
        return cls(source, TextTokenizer.from_bytes(target, kind, upgrade=upgrade))

    def copy_targets(self) -> np.ndarray | None:
        """``(V_src,)`` target id of each source id (None when shared: the same ids); see :func:`copy_targets`."""
        return None if self.shared else copy_targets(self.source, self.target)


@check_args
def train_vocabularies(
    pairs: Sequence[tuple[str, str]], cfg: TokenizerConfig, shared: bool, alphabet: Sequence[str] = ()
) -> Vocabularies:
    """Trains one vocabulary on both sides of ``pairs`` (``shared``), or one per side, each with ``cfg``; the
    target side keeps its full-width punctuation, the source side folds it (NFKC).

    Raises:
        TokenizerError: a side yields no vocabulary beyond the special tokens.
    """
    sources, targets = [s for s, _ in pairs], [t for _, t in pairs]
    if shared:  # the sources as the source side sees them (NFKC), the targets as the target side
        folded = [s.translate(_FOLD) for s in sources]
        both = train_tokenizer(folded + targets, cfg, alphabet, keep_fullwidth=True)
        return Vocabularies(both.folding_fullwidth(cfg.lowercase), both)
    return Vocabularies(
        train_tokenizer(sources, cfg, alphabet), train_tokenizer(targets, cfg, alphabet, keep_fullwidth=True)
    )


def copy_targets(source: TextTokenizer, target: TextTokenizer) -> np.ndarray:
    """``(V_src,)`` int64: the target id of the same piece for every source id, ``[UNK]`` where the target
    vocabulary lacks it (the specials keep their shared ids).

    Example:
        >>> from carrousel.nlp.config import TokenizerConfig
        >>> cfg = TokenizerConfig(kind="word", vocab_size=20, min_frequency=1)
        >>> en = train_tokenizer(["open file", "open file"], cfg)
        >>> de = train_tokenizer(["datei file", "datei file"], cfg)
        >>> ids = copy_targets(en, de)
        >>> de.id_to_token(int(ids[en.encode("file")[0]])), int(ids[en.encode("open")[0]]) == de.unk_id
        ('file', True)
    """
    index = {piece: i for i, piece in enumerate(target.vocabulary())}
    out = np.full(source.vocab_size, target.unk_id, dtype=np.int64)
    for i, piece in enumerate(source.vocabulary()):
        out[i] = index.get(piece, target.unk_id)
    out[: len(SPECIALS)] = np.arange(len(SPECIALS))
    return out


def _encode_kept(
    vocab: Vocabularies, pairs: Sequence[tuple[str, str]], max_tokens: int
) -> tuple[list[int], list[tuple[np.ndarray, np.ndarray]]]:
    src = vocab.source.encode_batch([s for s, _ in pairs])
    tgt = vocab.target.encode_batch([t for _, t in pairs])
    eos = vocab.target.eos_id
    kept, out = [], []
    for i, (s, t) in enumerate(zip(src, tgt, strict=True)):
        if _fits(s, t, max_tokens):
            kept.append(i)
            out.append((np.asarray(s, dtype=np.int64), np.asarray([*t, eos], dtype=np.int64)))
    return kept, out


def _fits(source: Sequence[int], target: Sequence[int], max_tokens: int) -> bool:
    return 0 < len(source) <= max_tokens and 0 < len(target) < max_tokens


@check_args
def encode_pairs(
    vocab: Vocabularies, pairs: Sequence[tuple[str, str]], max_tokens: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(source ids, target ids + [EOS])`` of the pairs whose sides fit ``max_tokens`` (others skipped)."""
    return _encode_kept(vocab, pairs, max_tokens)[1]


@check_args
def encode_sources(
    tokenizer: TextTokenizer,
    texts: Sequence[str],
    unknown: Callable[[str], bool] | None,
    placeholders: bool,
    max_tokens: int,
    warn: bool = True,
    usage_commands: bool = False,
) -> tuple[list[tuple[str, list[str]]], list[list[int]]]:
    """The source texts as the network reads them when it translates (``nlp translate`` and the validation
    scores of training alike): whitespace as in training (:func:`read_spaced`), placeholders masked when
    ``placeholders`` (rare words too where ``unknown`` flags them), encoded, cut to ``max_tokens``, an empty
    one read as ``[UNK]``; ``warn``: one warning counts the sources cut (False: the caller says it, over
    more texts than these). ``usage_commands`` (with ``placeholders``): each command of a usage line (its
    command words, and those again after an ``or``) is one more placeholder, kept as written
    (:func:`carrousel.nlp.usage_lines.command_spans`).

    Returns:
        Per text, the masked text and the pieces to put back (:func:`carrousel.nlp.placeholders.unmask`),
        and its source ids.
    """
    # before, a trailing space or a doubled one was a lone ``▁`` token no training source held (git's test
    # sources with their spaces doubled: greedy BLEU 36.05 -> 31.85; with a space after each, 223 of 251 of
    # the network's translations changed)
    spaced = [read_spaced(t) for t in texts]
    masked = [
        mask(t, unknown, spans=command_spans(t) if usage_commands else ()) if placeholders else (t, [])
        for t in spaced
    ]  # the command words found only where they are masked
    encoded = tokenizer.encode_batch([m for m, _ in masked]) if masked else []
    if warn and (cut := sum(len(s) > max_tokens for s in encoded)):  # said, as sentiment predict says it
        first = f"{'its' if cut == 1 else 'their'} first {counted(max_tokens, 'token')}"
        only = f": the network translates {first} only (give one sentence a line)"
        warn_truncated(cut, len(encoded), max_tokens, only)
    return masked, [s[:max_tokens] or [tokenizer.unk_id] for s in encoded]


class DropoutPairs(Dataset[tuple[np.ndarray, np.ndarray]]):
    """Training pairs segmented anew with BPE-dropout (:mod:`carrousel.nlp.bpe_dropout`) every epoch.

    Holds the pairs :func:`encode_pairs` keeps; item ``i`` of epoch ``e`` is ``(source ids, target ids +
    [EOS])`` with both sides segmented with dropout ``p`` by a generator seeded with ``(seed, e, i)``, so
    the segmentations do not depend on the batch order and repeat with the seed. A pair whose dropped
    segmentation no longer fits ``max_tokens`` keeps its deterministic one (:attr:`items`). The loader of
    :func:`pair_loader` sets :attr:`epoch`.
    """

    @check_args
    def __init__(
        self, vocab: Vocabularies, pairs: Sequence[tuple[str, str]], max_tokens: int, p: float, seed: int
    ) -> None:
        kept, self.items = _encode_kept(vocab, pairs, max_tokens)
        self.texts = [pairs[i] for i in kept]
        self.p = p
        self.source = BpeDropout(vocab.source, p) if p > 0 else None  # p = 0: any tokenizer kind
        self.target = self.source if vocab.target is vocab.source or p == 0 else BpeDropout(vocab.target, p)
        self.max_tokens, self.seed, self.epoch = max_tokens, seed % 2**32, 0
        self.eos = vocab.target.eos_id

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        if self.source is None or self.target is None:
            return self.items[i]
        rng = np.random.default_rng((self.seed, self.epoch, i))
        source, target = self.texts[i]
        s, t = self.source.encode(source, rng), self.target.encode(target, rng)
        if not _fits(s, t, self.max_tokens):
            return self.items[i]
        return np.asarray(s, dtype=np.int64), np.asarray([*t, self.eos], dtype=np.int64)


class _EpochSampler(BucketBatchSampler):
    """A bucket sampler that tells its :class:`DropoutPairs` the epoch the trainer starts."""

    def __init__(self, data: DropoutPairs, lengths: list[int], batch_size: int, seed: int) -> None:
        super().__init__(lengths, batch_size, shuffle=True, seed=seed)
        self.data = data

    def set_epoch(self, epoch: int) -> None:
        """Selects the epoch of the order and of the segmentations."""
        super().set_epoch(epoch)
        self.data.epoch = epoch


@check_args
def pair_loader(
    data: list[tuple[np.ndarray, np.ndarray]] | DropoutPairs,
    batch_size: int,
    shuffle: bool,
    seed: int,
    pin_memory: bool = False,
) -> Any:
    """Batches of similar length (by the deterministic segmentation) of id pairs or :class:`DropoutPairs`
    (shuffled: those are for training; with ``p = 0`` their deterministic :attr:`~DropoutPairs.items`),
    page-locked with ``pin_memory`` (for a trainer on CUDA: :func:`carrousel.core.device.pin_memory_for`)."""
    items = data.items if isinstance(data, DropoutPairs) else data
    lengths = [len(s) + len(t) for s, t in items]
    sampler: BucketBatchSampler
    if isinstance(data, DropoutPairs) and data.p > 0:
        sampler = _EpochSampler(data, lengths, batch_size, seed)
    else:  # with p = 0 the deterministic pairs, as encode_pairs gives them
        data, sampler = items, BucketBatchSampler(lengths, batch_size, shuffle=shuffle, seed=seed)
    collate = SequenceCollator(sequence_targets=True)
    return DataLoader(data, batch_sampler=sampler, collate_fn=collate, pin_memory=pin_memory)  # type: ignore[arg-type]
