"""The subword vocabularies of a translator: one shared by both languages, or one per language.

A shared vocabulary (the default) is trained on the training sources and targets together; separate ones
each on their own side. Either way they are trained on the training split only and stored in the bundle
(:data:`~carrousel.nlp.pipeline.common.TOKENIZER_FILE` holds the shared or the source vocabulary,
:data:`TARGET_TOKENIZER_FILE` the target one when separate; bundles without it share one). With separate
vocabularies the pointer-generator copies a source piece to the target id of the same piece
(:func:`copy_targets`), and the lexicon's rows are source ids whose entries are target ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from carrousel.nlp.config import TokenizerConfig
from carrousel.nlp.pipeline.common import TOKENIZER_FILE
from carrousel.nlp.tokenization import SPECIALS, TextTokenizer, train_tokenizer

__all__ = ["TARGET_TOKENIZER_FILE", "Vocabularies", "copy_targets", "encode_pairs", "train_vocabularies"]

TARGET_TOKENIZER_FILE = "target_tokenizer.json"  # the target side's vocabulary, when not shared


@dataclass(frozen=True)
class Vocabularies:
    """The source and target tokenizers (the same object when shared)."""

    source: TextTokenizer
    target: TextTokenizer

    @property
    def shared(self) -> bool:
        """Whether both languages use one vocabulary."""
        return self.source is self.target

    def files(self) -> dict[str, bytes]:
        """The bundle files that hold them."""
        out = {TOKENIZER_FILE: self.source.to_bytes()}
        if not self.shared:
            out[TARGET_TOKENIZER_FILE] = self.target.to_bytes()
        return out

    @classmethod
    def from_files(cls, files: Mapping[str, bytes], kind: str) -> Vocabularies:
        """Reads what :meth:`files` wrote (a bundle without a target file shares one vocabulary)."""
        source = TextTokenizer.from_bytes(files[TOKENIZER_FILE], kind)
        target = files.get(TARGET_TOKENIZER_FILE)
        return cls(source, source if target is None else TextTokenizer.from_bytes(target, kind))

    def copy_targets(self) -> np.ndarray | None:
        """``(V_src,)`` target id of each source id (None when shared: the same ids); see :func:`copy_targets`."""
        return None if self.shared else copy_targets(self.source, self.target)


def train_vocabularies(
    pairs: Sequence[tuple[str, str]], cfg: TokenizerConfig, shared: bool, alphabet: Sequence[str] = ()
) -> Vocabularies:
    """Trains one vocabulary on both sides of ``pairs`` (``shared``), or one per side, each with ``cfg``.

    Raises:
        TokenizerError: a side yields no vocabulary beyond the special tokens.
    """
    sources, targets = [s for s, _ in pairs], [t for _, t in pairs]
    if shared:
        both = train_tokenizer(sources + targets, cfg, alphabet)
        return Vocabularies(both, both)
    return Vocabularies(train_tokenizer(sources, cfg, alphabet), train_tokenizer(targets, cfg, alphabet))


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


def encode_pairs(
    vocab: Vocabularies, pairs: Sequence[tuple[str, str]], max_tokens: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(source ids, target ids + [EOS])`` of the pairs whose sides fit ``max_tokens`` (others skipped)."""
    src = vocab.source.encode_batch([s for s, _ in pairs])
    tgt = vocab.target.encode_batch([t for _, t in pairs])
    eos = vocab.target.eos_id
    out = []
    for s, t in zip(src, tgt, strict=True):
        if 0 < len(s) <= max_tokens and 0 < len(t) < max_tokens:
            out.append((np.asarray(s, dtype=np.int64), np.asarray([*t, eos], dtype=np.int64)))
    return out
