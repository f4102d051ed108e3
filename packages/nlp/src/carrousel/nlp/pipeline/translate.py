"""``nlp translate run``: :class:`Translator`, a trained translator with its tokenizers, dictionary and
decoding choices. ``train_translator`` is in :mod:`carrousel.nlp.pipeline.translate_train` (re-exported
here), ``evaluate_translator`` in :mod:`carrousel.nlp.pipeline.translate_eval`.

A bundle of several networks (``nlp translate train --members N``) and the bundles given as ``members``
(``--ensemble DIR``) are decoded as one ensemble (:mod:`carrousel.nlp.seq2seq_ensemble`).
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from carrousel.core.args import check_args
from carrousel.core.bundle import Bundle, load_bundle, model_repr
from carrousel.core.decode import Hypothesis
from carrousel.core.provenance import PrecisionReport, bundle_precision_report, upgrade_hint
from carrousel.nlp.baselines import WordDictionary
from carrousel.nlp.clauses import by_clauses
from carrousel.nlp.config import DecodeConfig, TranslateDataConfig
from carrousel.nlp.consensus import consensus
from carrousel.nlp.copying import copy_unknown_words
from carrousel.nlp.data import check_texts
from carrousel.nlp.lexical_bias import LEXICON_FILE, BiasedNetwork, fit_lexicon, lexicon_from_bytes
from carrousel.nlp.parallel import read_spaced
from carrousel.nlp.pipeline.common import TOKENIZER_FILE
from carrousel.nlp.pipeline.translate_known import bundle_unknown
from carrousel.nlp.pipeline.translate_train import (
    DICTIONARY_FILE,
    KIND,
    KNOWN_FILE,
    TranslateTrainResult,
    known_words,
    load_split,
    train_translator,
    unknown_to,
)
from carrousel.nlp.pipeline.translate_types import Searched, Translation, attention_plot
from carrousel.nlp.pipeline.translate_vocab import (
    TARGET_TOKENIZER_FILE,
    Vocabularies,
    encode_pairs,
    encode_sources,
)
from carrousel.nlp.placeholders import mask_pair, unmask
from carrousel.nlp.seq2seq import Seq2Seq
from carrousel.nlp.seq2seq_decode import decode_nbest
from carrousel.nlp.seq2seq_ensemble import EnsembleNetwork, check_members, networks_of
from carrousel.nlp.seq2seq_export import exported_network
from carrousel.nlp.seq2seq_precision import network_in_precision
from carrousel.nlp.usage_lines import is_usage_line

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

_SAME_FILES = (TOKENIZER_FILE, TARGET_TOKENIZER_FILE, KNOWN_FILE)  # equal in every member of an ensemble


def _one_or_mixed(values: Sequence[str | None]) -> str | None:
    """The one value of ``values`` where they agree, else ``"mixed (a, b, ...)"`` in their order (None, a
    bundle that records none: ``unrecorded``)."""
    if len(set(values)) == 1:
        return values[0]
    return f"mixed ({', '.join(v or 'unrecorded' for v in values)})"


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
        self.others = list(members)  # the bundles decoded with it as one ensemble (--ensemble DIR)
        own = networks_of(bundle.model)  # the bundle's networks: one, or an ensemble's members
        self.model: Seq2Seq = own[0].eval()  # its first (the one network of the searches' extras)
        upgrade = upgrade_hint(bundle)  # what the tokenizers' errors say when a newer carrousel wrote it
        self.vocab = Vocabularies.from_files(
            bundle.files, str(bundle.assets["tokenizer_kind"]), upgrade=upgrade
        )
        self.tokenizer, self.target_tokenizer = self.vocab.source, self.vocab.target
        self.dictionary = WordDictionary(json.loads(bundle.files[DICTIONARY_FILE].decode("utf-8")))
        self.src, self.tgt = str(bundle.assets["src"]), str(bundle.assets["tgt"])
        self.max_tokens = int(bundle.assets.get("max_tokens", 100))
        self.placeholders = bool(bundle.assets.get("placeholders", False))
        self.unknown = bundle_unknown(bundle.assets, bundle.files)  # rare words, caps names (or None)
        # ONNX Runtime's steps for an exported bundle; then the bundle's other members and those given
        self.network = exported_network(bundle, self.model)
        self.members = [exported_network(bundle, m.eval(), i) for i, m in enumerate(own[1:], 1)]
        for b in members:
            self.members += [exported_network(b, m.eval(), i) for i, m in enumerate(networks_of(b.model))]
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

    def dictionary_text(self, source: str) -> str:
        """The word dictionary's translation of ``source`` (the fallback's and the consensus's), its
        placeholders (options, formats, paths, numbers) kept as written, as in the baseline of ``evaluate``
        (:class:`~carrousel.nlp.baselines.WordDictionary`; once the dictionary turned ``--help`` into
        ``--Hilfe``, ``%s`` into ``%x``)."""
        return self.dictionary.translate(source)

    def is_known(self, word: str) -> bool:
        """Whether a source word occurred in the training sources (the dictionary baseline's table)."""
        return word.casefold() in self.dictionary.table

    def __repr__(self) -> str:
        return model_repr(
            self, src=self.src, tgt=self.tgt, networks=1 + len(self.members), bundles=1 + len(self.others)
        )

    @classmethod
    def from_pretrained(
        cls, path: str | Path, device: str = "cpu", members: Sequence[str | Path] = ()
    ) -> Translator:
        """Loads a bundle written by :func:`train_translator`; with ``members`` (a list, or one folder), more
        bundles trained on the same pairs and vocabulary, decoded with it as one ensemble
        (:mod:`carrousel.nlp.seq2seq_ensemble`).

        Raises:
            NLPConfigError: a member has another vocabulary, languages or placeholder settings.
        """
        if isinstance(members, str | os.PathLike):  # one folder: before, read letter by letter ('folder t')
            members = (members,)
        others = [load_bundle(p, kind=KIND, map_location=device) for p in members]
        return cls(load_bundle(path, kind=KIND, map_location=device), others, [str(p) for p in members])

    def precisions(self, run: str) -> PrecisionReport:
        """``trained_precision`` (the bundles' record) and ``precision`` (what decoding in ``run``,
        ``DecodeConfig.precision``, runs in: an exported bundle's ONNX file's, else ``run``), as ``--json``
        reports them, true of every network decoded: the bundle's (a ``--members N`` bundle's networks are
        trained with its one ``--precision``) and each ``--ensemble`` bundle's. Where these bundles differ, each
        key is ``"mixed (bf16, fp32)"``, the bundles' values in the order given (the model's first)."""
        reports = [bundle_precision_report(b.data, b.assets, run) for b in (self.bundle, *self.others)]
        return PrecisionReport(
            trained_precision=_one_or_mixed([r["trained_precision"] for r in reports]),
            precision=str(_one_or_mixed([r["precision"] for r in reports])),
        )

    @check_args
    def translate(
        self,
        texts: Iterable[str],
        decode: DecodeConfig | None = None,
        attention: bool = False,
        warn_long: bool = True,
    ) -> list[Translation]:
        """Translates ``texts`` (a list, a pandas column...), in batches of similar length: :meth:`search`,
        then :meth:`choose`. ``warn_long``: one warning counts the texts longer than ``max_tokens`` (False:
        the caller says it, as :meth:`translate_blocks` does).

        Raises:
            TextDataError: one string instead of a list; EmptyTextError: a missing, empty or blank text.
        """
        dc = decode or DecodeConfig()
        return self.choose(self.search(texts, dc, warn_long), dc, attention)

    @check_args
    def translate_blocks(
        self, texts: Iterable[str], decode: DecodeConfig, block: int, attention: bool = False
    ) -> Iterator[list[Translation]]:
        """:meth:`translate` of ``block`` texts at a time (``nlp translate run``: each block written before the
        next is translated, so memory is bounded by a block), the texts longer than ``max_tokens`` counted
        in one warning over them all, before the first block (before, one warning per block counted that
        block's alone: 19 texts, 3 of them long, in blocks of 16 said ``3 of 3 texts are longer``)."""
        texts = check_texts(texts, "input")  # every text checked before the first block is translated
        encode_sources(  # the warning
            self.tokenizer, texts, self.unknown, self.placeholders, self.max_tokens,
            usage_commands=decode.usage_commands,
        )  # fmt: skip
        for at in range(0, len(texts), block):
            yield self.translate(texts[at : at + block], decode, attention, warn_long=False)

    @check_args
    def search(self, texts: Iterable[str], decode: DecodeConfig, warn_long: bool = True) -> list[Searched]:
        """The network's hypotheses per text (the best; with ``mbr`` the beam's n-best); as :meth:`translate`."""
        dc, texts = decode, check_texts(texts, "input")  # a list (or a pandas column...), no blank text
        tok, out_tok = self.tokenizer, self.target_tokenizer
        masked, ids = encode_sources(
            tok, texts, self.unknown, self.placeholders, self.max_tokens, warn_long, dc.usage_commands
        )
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
                block_ngram_repeat=dc.block_ngram_repeat,
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

    @check_args
    def choose(
        self, searched: Sequence[Searched], decode: DecodeConfig, attention: bool = False
    ) -> list[Translation]:
        """The translation of each searched text: the network's best; the dictionary's where the best's
        mean -log p is above ``decode.fallback_nll``; else with ``decode.mbr`` the consensus pick among
        the n-best, the dictionary's and (``mbr_copy``) the source (:mod:`carrousel.nlp.consensus`).

        ``model_text``, ``nll``, ``score``, tokens and attention are those of the network's hypothesis
        that was chosen (its best when the dictionary's or the source is chosen). A network's empty text of a
        non-empty source stays empty (the network's own, as evaluate and the learning curve score it), with a
        warning naming it. With
        ``decode.fallback_clauses`` a text the fallback took is redone clause by clause
        (:func:`carrousel.nlp.clauses.by_clauses`, cut from the text as read by :func:`read_spaced`; ``chosen``
        "clauses" where that changes its text). With ``decode.usage_dictionary`` a usage line
        (:func:`carrousel.nlp.usage_lines.is_usage_line`) is the dictionary's, as if it fell back, and is not
        redone clause by clause. (``decode.usage_commands`` acts in :meth:`search`: a usage line's command
        words, each command's after an ``or`` too, are masked, kept as written; the network translates the rest.)
        """
        dc, tok, out, empty = decode, self.tokenizer, [], []
        reads = [read_spaced(s.source) for s in searched]  # as the network read them, as the training pairs
        unsure: list[bool] = []  # fallen back for their -log p (not usage lines, not MBR's): redone by clause
        for s, read in zip(searched, reads, strict=True):
            choice, rank = "model", 0
            dictionary = self.dictionary_text(read)  # the fallback's text and the consensus's candidate
            nll = -float(s.hyps[0].log_prob) / (len(s.hyps[0].labels) + 1)
            word_by_word = dc.usage_dictionary and is_usage_line(read)
            unsure.append(not word_by_word and 0 < dc.fallback_nll < nll)
            if word_by_word or unsure[-1]:
                choice = "dictionary"
            elif dc.mbr:
                choice, rank = consensus(
                    [self._own_text(s, h, dc.copy_unknown) for h in s.hyps],
                    [float(h.log_prob) for h in s.hyps],
                    dictionary,
                    read,
                    temperature=dc.mbr_temperature,
                    model_weight=math.exp(-dc.mbr_confidence * nll),
                    dictionary_weight=dc.mbr_dictionary,
                    copy_weight=dc.mbr_copy,
                )
            h = s.hyps[rank]
            own = self._own_text(s, h, dc.copy_unknown)
            text = {"model": own, "dictionary": dictionary, "copy": read}[choice]
            if not text and read:  # an empty translation of a text (--fallback-nll 0 --no-mbr on 漢字): named
                empty.append(s.source)
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
        if empty:  # before, an empty line with no word (the default settings' dictionary copies such a text)
            named = ", ".join(repr(x) for x in empty[:3]) + (", ..." if len(empty) > 3 else "")
            logger.warning(
                "the network's translation of %d text(s) is empty (%s); the dictionary fallback (a --fallback-nll"
                " above 0) or MBR (the defaults) translates such texts",
                len(empty), named,
            )  # fmt: skip
        if dc.fallback_clauses:  # the unsure texts again, clause by clause (carrousel.nlp.clauses)
            sub = replace(dc, fallback_clauses=False)
            redo = by_clauses(
                reads,  # as read: no stray spaces around or between clauses
                unsure,
                lambda xs: [t.text for t in self.choose(self.search(xs, sub), sub)],
            )
            out = [
                t if x is None or x == t.text else replace(t, text=x, chosen="clauses", fallback=False)
                for t, x in zip(out, redo, strict=True)
            ]
        return out
