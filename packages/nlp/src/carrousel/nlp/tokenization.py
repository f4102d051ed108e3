"""Tokenisation with HuggingFace ``tokenizers``: BPE, unigram, word and character level.

Every tokenizer normalises with NFKC (full-width forms, ligatures and composed accents unified; accents,
emoji and CJK characters are kept), optionally lowercases, and is trained on the training split only. A
translator's target side keeps the full-width punctuation and symbols (``：，（）！？；``, Unicode's ``<wide>``
forms other than letters, digits and the ideographic space) that NFKC would fold to ASCII: Chinese and
Japanese write them, so a translator must be able to (``keep_fullwidth``); its source side folds them.
Subword and word tokenizers split like SentencePiece (``▁`` marks a preceding space, so decoding restores
the spacing), with punctuation, digits and CJK characters as their own pieces (as BERT does); the character tokenizer keeps every
character, whitespace and newlines included. Anything not learned becomes ``[UNK]`` (id 1); ``[PAD]``
is id 0 (the embedding's padding index), then ``[BOS]`` and ``[EOS]``.

A tokenizer can read emoji as words (``emoji="names"``, :mod:`carrousel.nlp.emoji_names`: ``😡`` ->
``pouting face``) before all of this, in training and in every encoding alike; ``"keep"`` (the default)
leaves them as written. It can then fold the characters its vocabulary never contains to ones it knows
(``fold="unknown"``, :mod:`carrousel.nlp.char_fold`: ``’`` -> ``'``, ``é`` -> ``e``); ``"none"`` (the
default) leaves them, each an ``[UNK]``.

A tokenizer is stored in a model bundle as the file asset ``tokenizer.json`` (HF's own format), so it
reloads with the model; the emoji reading and the folding are bundle assets beside it (``emoji``, absent: ``keep``; ``fold``, absent:
``none``).
"""

from __future__ import annotations

import json
import logging
import unicodedata
from collections.abc import Collection, Iterable, Sequence

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

from carrousel.core.args import check_args
from carrousel.core.option_names import option
from carrousel.nlp.char_fold import FOLD_MODES, CharFolder
from carrousel.nlp.config import TokenizerConfig
from carrousel.nlp.emoji_names import EMOJI_MODES, name_emoji
from carrousel.nlp.errors import TokenizerError

__all__ = [
    "BOS",
    "EOS",
    "FULLWIDTH_KEPT",
    "PAD",
    "SPECIALS",
    "UNK",
    "TextTokenizer",
    "read_emoji",
    "train_tokenizer",
]

logger = logging.getLogger(__name__)

PAD, UNK, BOS, EOS = "[PAD]", "[UNK]", "[BOS]", "[EOS]"
SPECIALS = (PAD, UNK, BOS, EOS)  # ids 0, 1, 2, 3 in every tokenizer
_CJK = r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]"  # written without spaces: one piece per character


# the full-width punctuation and symbols a target side keeps (U+FF01..U+FF60 and U+FFE0..U+FFE6 less letters and
# digits: 41 characters); each waits in NFKC as a plane-15 private-use character, which no text holds
FULLWIDTH_KEPT = "".join(
    c
    for c in map(chr, range(0x3000, 0x10000))
    if unicodedata.decomposition(c).startswith("<wide>") and not (c.isalnum() or c.isspace())
)
_SHELTER = 0xF0000


def _normalizer(lowercase: bool, keep_fullwidth: bool = False) -> normalizers.Normalizer:
    shelter = [(c, chr(_SHELTER + i)) for i, c in enumerate(FULLWIDTH_KEPT)] if keep_fullwidth else []
    parts: list[normalizers.Normalizer] = [normalizers.Replace(c, p) for c, p in shelter]
    parts.append(normalizers.NFKC())
    parts += [normalizers.Replace(p, c) for c, p in shelter]
    if lowercase:
        parts.append(normalizers.Lowercase())
    return normalizers.Sequence(parts)


def _build(
    cfg: TokenizerConfig, alphabet: Sequence[str] = (), keep_fullwidth: bool = False, lines: bool = False
) -> tuple[Tokenizer, trainers.Trainer]:
    specials = list(SPECIALS)
    if cfg.kind == "char":
        tok = Tokenizer(models.WordLevel(unk_token=UNK))
        tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
        tok.decoder = decoders.Fuse()
        trainer: trainers.Trainer = trainers.WordLevelTrainer(
            vocab_size=cfg.vocab_size,
            min_frequency=cfg.min_frequency,
            special_tokens=specials,
            show_progress=False,
        )
    else:
        if cfg.kind == "bpe":
            tok = Tokenizer(models.BPE(unk_token=UNK, fuse_unk=True))
            trainer = trainers.BpeTrainer(
                vocab_size=cfg.vocab_size,
                min_frequency=cfg.min_frequency,
                special_tokens=specials,
                initial_alphabet=list(alphabet),
                show_progress=False,
            )
        elif cfg.kind == "unigram":
            tok = Tokenizer(models.Unigram())
            trainer = trainers.UnigramTrainer(
                vocab_size=cfg.vocab_size,
                special_tokens=specials,
                unk_token=UNK,
                initial_alphabet=list(alphabet),
                show_progress=False,
            )
        else:  # word
            tok = Tokenizer(models.WordLevel(unk_token=UNK))
            trainer = trainers.WordLevelTrainer(
                vocab_size=cfg.vocab_size,
                min_frequency=cfg.min_frequency,
                special_tokens=specials,
                show_progress=False,
            )
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Metaspace(),
                *([pre_tokenizers.Split("\n", behavior="isolated")] if lines else []),  # after: no ▁ added
                pre_tokenizers.Punctuation(),
                pre_tokenizers.Digits(individual_digits=True),
                pre_tokenizers.Split(Regex(_CJK), behavior="isolated"),
            ]
        )
        tok.decoder = decoders.Metaspace()
    tok.normalizer = _normalizer(cfg.lowercase, keep_fullwidth)
    return tok, trainer


def read_emoji(text: str, emoji: str) -> str:
    """``text`` with its emoji read as ``emoji`` says (``"names"``: as their Unicode names,
    :func:`~carrousel.nlp.emoji_names.name_emoji`; ``"keep"``: as written): the first step of
    :meth:`TextTokenizer.prepare`, the one that needs no vocabulary, so that a tokenizer's training texts and
    a distillation teacher's texts (read before the student's tokenizer exists) are read as it reads them."""
    return name_emoji(text) if emoji == "names" else text


def _check_readings(emoji: str, fold: str, upgrade: str | None = None) -> None:
    """Refuses an emoji reading or a character folding that is not one (:data:`EMOJI_MODES`, :data:`FOLD_MODES`);
    ``upgrade``: what to say instead of the choices (a newer carrousel's bundle recorded the reading)."""
    if emoji not in EMOJI_MODES:
        fix = upgrade or f"use one of {', '.join(EMOJI_MODES)}"
        raise TokenizerError(f"unknown emoji reading {emoji!r}; {fix}")
    if fold not in FOLD_MODES:
        fix = upgrade or f"use one of {', '.join(FOLD_MODES)}"
        raise TokenizerError(f"unknown character folding {fold!r}; {fix}")


def _check_specials(tokenizer: Tokenizer, upgrade: str | None = None) -> None:
    """Refuses a tokenizer whose first ids are not :data:`SPECIALS`; ``upgrade``: as :func:`_check_readings`."""
    for i, special in enumerate(SPECIALS):
        if tokenizer.token_to_id(special) != i:
            fix = upgrade or "train it again with carrousel.nlp"
            raise TokenizerError(f"tokenizer lacks {special} at id {i}; {fix}")


class TextTokenizer:
    """A trained tokenizer: text <-> token ids, serialisable into a bundle.

    Args:
        tokenizer: a HF ``tokenizers.Tokenizer`` whose first ids are :data:`SPECIALS`.
        kind: ``"bpe"``, ``"unigram"``, ``"word"`` or ``"char"``.
        emoji: ``"names"``: every text is read with its emoji as their names (:meth:`prepare`) before the HF
            tokenizer sees it, so offsets and pieces refer to that text; ``"keep"``: as written.
        fold: ``"unknown"``: then every character the vocabulary never contains is folded to known ones
            where it can be (:mod:`carrousel.nlp.char_fold`), in :meth:`prepare` too; ``"none"``: as written.
        upgrade: what the errors say instead of their own fix (:meth:`from_bytes`; None: their own fix).
    """

    def __init__(
        self,
        tokenizer: Tokenizer,
        kind: str,
        emoji: str = "keep",
        fold: str = "none",
        upgrade: str | None = None,
    ) -> None:
        _check_readings(emoji, fold, upgrade)
        _check_specials(tokenizer, upgrade)
        self._tok = tokenizer
        self.kind = kind
        self.emoji = emoji
        self.fold = fold
        self._folder: CharFolder | None = None  # built on first use (the vocabulary's alphabet)

    pad_id, unk_id, bos_id, eos_id = 0, 1, 2, 3

    @property
    def vocab_size(self) -> int:
        """Number of ids, specials included."""
        return int(self._tok.get_vocab_size(with_added_tokens=True))

    def alphabet(self) -> frozenset[str]:
        """Every character of every vocabulary entry, specials left out; a space too where ``▁`` marks one
        (every kind but ``char``)."""
        chars = {c for entry in self.vocabulary()[len(SPECIALS) :] for c in entry}
        return frozenset(chars | ({" "} if self.kind != "char" else set()))

    def prepare(self, text: str) -> str:
        """``text`` as the HF tokenizer receives it: emoji named (``emoji="names"``), then characters outside
        the vocabulary folded (``fold="unknown"``); else unchanged."""
        text = read_emoji(text, self.emoji)
        if self.fold == "unknown":
            if self._folder is None:
                norm = self._tok.normalizer
                self._folder = CharFolder(self.alphabet(), norm.normalize_str if norm else str)
            text = self._folder(text)
        return text

    def _prepared(self, texts: Sequence[str]) -> list[str]:
        return (
            [self.prepare(t) for t in texts] if self.emoji == "names" or self.fold != "none" else list(texts)
        )

    def encode(self, text: str) -> list[int]:
        """Token ids of one text (no specials added)."""
        return list(self._tok.encode(self.prepare(text), add_special_tokens=False).ids)

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of many texts (parallel in Rust)."""
        return [list(e.ids) for e in self._tok.encode_batch(self._prepared(texts), add_special_tokens=False)]

    def encode_batch_spans(self, texts: Sequence[str]) -> tuple[list[list[int]], list[list[tuple[int, int]]]]:
        """:meth:`encode_batch`, with each token's ``(start, end)`` characters in its text as :meth:`prepare`
        gives it (the text itself, unless emoji are named) (one tokenization)."""
        encoded = self._tok.encode_batch(self._prepared(texts), add_special_tokens=False)
        return [list(e.ids) for e in encoded], [list(e.offsets) for e in encoded]

    def pretokenize(self, text: str) -> list[str]:
        """The words the model segments one by one: ``text`` normalised and pre-tokenized (``▁`` marks a space)."""
        pre, text = self._tok.pre_tokenizer, self.normalize(text)
        return [w for w, _ in pre.pre_tokenize_str(text)] if pre is not None else [text]

    def word_ids(self, word: str) -> list[int]:
        """Token ids of one pre-tokenized word (:meth:`pretokenize`) by the model alone."""
        return [t.id for t in self._tok.model.tokenize(word)]

    def token_words(self, text: str) -> list[tuple[int, str]]:
        """Each token of ``text`` (the ids of :meth:`encode`) with the pre-tokenized word it came from, ``▁``
        removed: a word tokenizer's ``[UNK]`` tokens with the words it could not read."""
        return [(i, w.removeprefix("▁")) for w in self.pretokenize(text) for i in self.word_ids(w)]

    def unknown_words(self, text: str) -> list[str]:
        """The words of ``text`` (:meth:`pretokenize`, ``▁`` removed) the vocabulary cannot spell: each holds
        an ``[UNK]`` id. A word tokenizer has one for every word it was not trained on; a subword one only
        for characters it never saw."""
        return [w.removeprefix("▁") for w in self.pretokenize(text) if self.unk_id in self.word_ids(w)]

    def unreadable(self, text: str) -> list[str]:
        """What the vocabulary cannot read in ``text`` (each becomes ``[UNK]``), in order, repeats kept: the
        unknown words for a word tokenizer, the unknown characters (after NFKC) for the others."""
        if self.kind == "char":
            return [c for c in self.pretokenize(text) if self.unk_id in self.word_ids(c)]
        words = self.unknown_words(text)
        if self.kind == "word":
            return words
        return [c for w in words for c in ([c for c in w if self.unk_id in self.word_ids(c)] or [w])]

    def unread(self, encoded: Sequence[Collection[int]]) -> list[int]:
        """Indices of the id sequences holding ``[UNK]`` and no other token with a letter or digit (spaces and
        punctuation aside): texts of which the model knows no word, such as another language or script."""
        ids = {int(i) for seq in encoded for i in seq}
        known = {i for i in ids if i != self.unk_id and any(map(str.isalnum, self.id_to_token(i)))}
        return [
            n for n, seq in enumerate(encoded) if self.unk_id in seq and not known.intersection(map(int, seq))
        ]

    def bpe_model(self) -> tuple[dict[str, int], list[tuple[str, str]]]:
        """A BPE tokenizer's vocabulary (entry -> id) and merges, best-ranked first.

        Raises:
            TokenizerError: the tokenizer is not a BPE one.
        """
        model = json.loads(self._tok.to_str())["model"]
        if model.get("type") != "BPE":
            raise TokenizerError(f"a {self.kind} tokenizer has no BPE merges")
        merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in model["merges"]]
        return dict(model["vocab"]), [(a, b) for a, b in merges]

    def pieces(self, text: str) -> list[str]:
        """The text of each token of ``text`` as it appears in the input, emoji as their names where the
        tokenizer names them (for showing attention)."""
        text = self.prepare(text)
        enc = self._tok.encode(text, add_special_tokens=False)
        norm = self._tok.normalizer
        if norm is not None:  # offsets point into the original text; a lone "▁" (the space the pre-tokenizer
            # puts before the first word) points at that word's first character: it is shown as the space it is
            return [
                " " if tok == "▁" else text[a:b] or tok
                for (a, b), tok in zip(enc.offsets, enc.tokens, strict=True)
            ]
        return list(enc.tokens)

    def decode(self, ids: Iterable[int]) -> str:
        """Text of ``ids``; specials (``[UNK]`` included) are dropped."""
        return str(self._tok.decode(list(ids), skip_special_tokens=True))

    def id_to_token(self, index: int) -> str:
        """The vocabulary entry of one id."""
        return str(self._tok.id_to_token(index))

    def vocabulary(self) -> list[str]:
        """Every entry, by id."""
        vocab = self._tok.get_vocab(with_added_tokens=True)
        out = [""] * len(vocab)
        for entry, index in vocab.items():
            out[index] = entry
        return out

    @check_args
    def folding_fullwidth(self, lowercase: bool) -> TextTokenizer:
        """A copy with the same vocabulary whose normaliser is plain NFKC (lowercasing with ``lowercase``):
        the source side of a vocabulary shared with a target side that keeps full-width punctuation."""
        tok = Tokenizer.from_str(self._tok.to_str())
        tok.normalizer = _normalizer(lowercase)
        return TextTokenizer(tok, self.kind, self.emoji, self.fold)

    def same_model(self, other: TextTokenizer) -> bool:
        """Whether ``other`` has the same vocabulary and segmentation (its normaliser may differ)."""
        return bool(json.loads(self._tok.to_str())["model"] == json.loads(other._tok.to_str())["model"])

    def normalize(self, text: str) -> str:
        """``text`` as the tokenizer normalises it (emoji named or not, NFKC, full-width punctuation kept or
        not, lowercasing)."""
        norm, text = self._tok.normalizer, self.prepare(text)
        return str(norm.normalize_str(text)) if norm is not None else text

    def to_bytes(self) -> bytes:
        """The HF ``tokenizer.json`` document, UTF-8."""
        return self._tok.to_str().encode("utf-8")

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        kind: str,
        emoji: str = "keep",
        fold: str = "none",
        upgrade: str | None = None,
    ) -> TextTokenizer:
        """Reads what :meth:`to_bytes` wrote; ``emoji`` and ``fold``: the bundle's records of the emoji reading
        and the character folding; ``upgrade``: a loader passes core's
        :func:`~carrousel.core.provenance.upgrade_hint` of its bundle, which every error here says instead of
        its own fix when a newer carrousel wrote the bundle (None: it did not).

        Raises:
            TokenizerError: the document is not a tokenizer this package wrote (unreadable, or a special token
                off its id), or ``emoji`` or ``fold`` is not a reading.
        """
        try:
            tok = Tokenizer.from_str(data.decode("utf-8"))
        except Exception as exc:  # the Rust side raises plain Exception on a bad document
            raise TokenizerError(
                f"tokenizer.json cannot be read ({exc}); {upgrade or 'train the model again'}"
            ) from None
        return cls(tok, kind, emoji, fold, upgrade)  # its checks say the bundle's upgrade hint


@check_args
def train_tokenizer(
    texts: Iterable[str],
    cfg: TokenizerConfig,
    alphabet: Sequence[str] = (),
    keep_fullwidth: bool = False,
    emoji: str = "keep",
    fold: str = "none",
    lines: bool = False,
) -> TextTokenizer:
    """Trains a tokenizer on ``texts`` (the training split only).

    ``alphabet``: characters every subword vocabulary keeps as tokens even when the texts lack them
    (translation's placeholder symbols, :mod:`carrousel.nlp.placeholders`). ``keep_fullwidth``: NFKC leaves
    :data:`FULLWIDTH_KEPT` as written (a translator's target side; otherwise ``：`` becomes ``:``).
    ``emoji``: ``"names"`` reads emoji as their names, here and in every later encoding
    (:mod:`carrousel.nlp.emoji_names`); ``"keep"`` as written. ``fold``: ``"unknown"`` folds, in every later
    encoding, the characters the trained vocabulary lacks (:mod:`carrousel.nlp.char_fold`); ``"none"`` not.
    ``lines``: a subword or word tokenizer reads each ``\n`` as a token of its own (a word language model's
    multi-line text); else a line break stays inside the word around it (``man\nthe``: one, mostly unknown).

    Raises:
        TokenizerError: when the texts yield no vocabulary beyond the special tokens, or ``emoji`` or ``fold``
            is not a reading.
    """
    _check_readings(emoji, fold)  # before the training, not after it
    tok, trainer = _build(cfg, alphabet, keep_fullwidth, lines)
    tok.train_from_iterator((read_emoji(t, emoji) for t in texts), trainer)
    if tok.get_vocab_size() <= len(SPECIALS):
        raise TokenizerError(
            f"the training texts gave an empty vocabulary; give more text or lower {option('tokenizer.min_frequency')}"
        )
    logger.info("trained a %s tokenizer with %d entries", cfg.kind, tok.get_vocab_size())
    return TextTokenizer(tok, cfg.kind, emoji, fold)
