"""Fixtures of the nlp tests: sample corpora (skipped with a reason when not cached), small synthetic data,
and tiny trained models shared by several tests."""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import torch

from carrousel.core.errors import DataError
from carrousel.nlp.cli import main
from tests.cli_harness import record_toml

if TYPE_CHECKING:
    from carrousel.nlp.pipeline import SentimentModel

_POS = ["good", "great", "moving", "funny", "brilliant", "lovely", "charming", "smart"]
_NEG = ["bad", "dull", "boring", "awful", "tedious", "clumsy", "silly", "lifeless"]
_FILL = [
    "the",
    "film",
    "movie",
    "story",
    "was",
    "is",
    "really",
    "quite",
    "and",
    "its",
    "cast",
    "plot",
    "very",
]


def sample(name: str) -> Path:
    """The cached sample, or a skip saying how to get it."""
    from carrousel.nlp.samples import sample_file

    try:
        return sample_file(name)
    except DataError as exc:
        pytest.skip(f"sample {name} not cached ({exc}); run `carrousel-data fetch nlp`")


def synthetic_rows(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """Texts whose label depends on word order: a polar word, flipped by a preceding 'not'."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        positive = rng.random() < 0.5
        negated = rng.random() < 0.3
        word = rng.choice(_POS if positive != negated else _NEG)
        words = rng.sample(_FILL, rng.randint(2, 6))
        words.insert(rng.randint(0, len(words)), ("not " if negated else "") + word)
        rows.append((" ".join(words), "pos" if positive else "neg"))
    return rows


def write_csv(path: Path, rows: list[tuple[str, str]], header: tuple[str, str] = ("text", "label")) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@dataclass
class Run:
    """Exit code and captured streams of one run of the real entry point."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def nlp(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """Runs ``main()`` in this process (run() maps usage errors to exit 2, errors to one line, exit 1)."""

    def invoke(*args: str) -> Run:
        monkeypatch.setattr(sys, "argv", ["nlp", *args])
        capsys.readouterr()
        with pytest.raises(SystemExit) as done:
            main()
        out = capsys.readouterr()
        return Run(int(done.value.code or 0), out.out, out.err)

    return invoke


def bundle_data(folder: Path) -> dict[str, Any]:
    """A trained model folder's ``bundle.json`` ``data`` (its provenance: ``config``, the training's figures)."""
    data: dict[str, Any] = json.loads((folder / "bundle.json").read_text(encoding="utf-8"))["data"]
    return data


def weights_sha(folder: Path) -> str:
    """The sha256 of a model folder's weights file."""
    return hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()


def retrained(nlp: Callable[..., Run], tmp_path: Path, command: str, first: Path) -> Path:
    """Trains ``command`` again from ``first``'s recorded config alone (no flag but the output folder and
    ``-q``, which prints nothing): the new model folder."""
    conf = tmp_path / "record.toml"
    conf.write_text(record_toml(bundle_data(first)["config"]), encoding="utf-8")
    second = tmp_path / "again"
    run = nlp(command, "train", "--config", str(conf), "-o", str(second), "-q")
    assert (run.returncode, run.stdout) == (0, ""), run.stderr
    return second


@pytest.fixture
def hub_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The HF hub in offline mode, so a hub name fails at once. ``HF_HUB_OFFLINE`` is read when
    ``huggingface_hub`` is imported: setting the variable later left the hub online, and a name that could
    not be reached waited 23 s in the hub's retry backoff before failing."""
    import datasets
    import huggingface_hub

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)


@pytest.fixture
def quick_latency(monkeypatch: pytest.MonkeyPatch) -> None:
    """``nlp translate export`` times its latency figures with one sample per runner and batch, not five:
    the figures are not what the export tests check, and five samples took about 4 s of each export."""
    from carrousel.core.export.report import measure_latency
    from carrousel.nlp.pipeline import translate_deploy

    monkeypatch.setattr(translate_deploy, "measure_latency", functools.partial(measure_latency, repeats=1))


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Small recurrent models run fastest on one thread, and the machine is shared."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def synthetic_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_csv(tmp_path_factory.mktemp("data") / "synthetic.csv", synthetic_rows(400))


@pytest.fixture(scope="session")
def sentiment_model(tmp_path_factory: pytest.TempPathFactory, synthetic_csv: Path) -> Path:
    """A tiny sentiment bundle trained on the synthetic data (a few seconds)."""
    from carrousel.nlp.config import (
        FitConfig,
        SentimentNetConfig,
        SentimentTrainConfig,
        TextDataConfig,
        TokenizerConfig,
    )
    from carrousel.nlp.pipeline import train_sentiment

    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("models") / "sentiment"
    cfg = SentimentTrainConfig(
        TextDataConfig(str(synthetic_csv)),
        TokenizerConfig(kind="word", vocab_size=200, min_frequency=1),
        SentimentNetConfig(embed_dim=16, hidden_size=16),
        FitConfig(epochs=4, batch_size=16, lr=1e-2, progress=False),
    )
    train_sentiment(cfg, out)
    return out


@pytest.fixture(scope="session")
def shipped() -> SentimentModel:
    """The English sentiment model shipped in the package, loaded once: the tests that use it only read it (a
    test that patches it does so through ``monkeypatch``, undone after it). Four test files defined it."""
    from carrousel.nlp.pipeline import SentimentModel

    return SentimentModel.from_pretrained()


@pytest.fixture(scope="session")
def small_text(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 20 kB of botchan.txt (or, without the sample, a repetitive synthetic text)."""
    from carrousel.nlp.samples import sample_file

    path = tmp_path_factory.mktemp("text") / "small.txt"
    try:
        text = sample_file("nlp.botchan").read_text(encoding="utf-8-sig")[2000:22000]
    except DataError:
        rows = synthetic_rows(600, seed=1)
        text = "\n".join(f"{t}, said the {lab} reviewer." for t, lab in rows)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def lm_model(tmp_path_factory: pytest.TempPathFactory, small_text: Path) -> Path:
    """A tiny character language model trained on ``small_text`` (a few seconds)."""
    from carrousel.nlp.config import FitConfig, LMDataConfig, LMNetConfig, LMTrainConfig
    from carrousel.nlp.pipeline import train_lm

    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("models") / "lm"
    cfg = LMTrainConfig(
        LMDataConfig((str(small_text),), holdout=0.1),
        model=LMNetConfig(embed_dim=32, hidden_size=96, dropout=0.0),
        fit=FitConfig(epochs=6, batch_size=8, lr=1e-2, patience=6, progress=False),
        bptt=50,
        segment=200,
    )
    train_lm(cfg, out)
    return out


@pytest.fixture(scope="session")
def pang_lee() -> Path:
    """The 4,000 Pang & Lee sentences (skipped with a reason when not cached)."""
    return sample("nlp.pang_lee")


@pytest.fixture(scope="session")
def synthetic() -> object:
    """:func:`synthetic_rows`, for tests that need fresh synthetic rows."""
    return synthetic_rows


@pytest.fixture(scope="session")
def write_rows() -> object:
    """:func:`write_csv`, for tests that write their own CSV files."""
    return write_csv


def distill_config(folder: Path, precision: str = "fp32") -> Any:
    """The distillation tests' run: ``--teacher minilm`` on 240 synthetic reviews plus 200 unlabelled texts
    (alpha 1: the teacher's soft targets alone), a 32-unit BiLSTM for 12 epochs, in ``precision``."""
    from carrousel.nlp.config import (
        FitConfig,
        SentimentNetConfig,
        SentimentTrainConfig,
        TeacherConfig,
        TextDataConfig,
        TokenizerConfig,
    )

    data = write_csv(folder / "train.csv", synthetic_rows(240, seed=0))
    unlabelled = folder / "unlabelled.txt"
    unlabelled.write_text("\n".join(t for t, _ in synthetic_rows(200, seed=1)) + "\n", encoding="utf-8")
    return SentimentTrainConfig(
        TextDataConfig(str(data)),
        TokenizerConfig(kind="word", min_frequency=1),
        SentimentNetConfig(embed_dim=32, hidden_size=32, pooling="mean", dropout=0.1, embed_dropout=0.0),
        FitConfig(
            epochs=12,
            batch_size=16,
            lr=5e-3,
            patience=12,
            val_fraction=0.25,
            progress=False,
            precision=precision,
        ),
        teacher=TeacherConfig(unlabelled=(str(unlabelled),), augment=1, alpha=1.0, temperature=1.0),
    )


WORDS = {"read": "lies", "the": "die", "file": "Datei", "open": "öffne", "now": "jetzt", "all": "alle"}
WORDS |= {"show": "zeige", "new": "neue", "list": "Liste", "copy": "Kopie", "old": "alte", "name": "Name"}


def word_pairs(n: int, seed: int) -> set[tuple[str, str]]:
    """Up to ``n`` distinct word-for-word English -> German toy pairs of 2-5 words over :data:`WORDS`."""
    rng = random.Random(seed)
    rows = set()
    for _ in range(n):
        src = [rng.choice(sorted(WORDS)) for _ in range(rng.randint(2, 5))]
        rows.add((" ".join(src), " ".join(WORDS[w] for w in src)))
    return rows


@pytest.fixture(scope="session")
def toy_pairs() -> object:
    """:func:`word_pairs`: the training pairs are ``word_pairs(500, 0)``, unseen ones come from other seeds."""
    return word_pairs


@pytest.fixture(scope="session")
def toy_translator(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """:func:`~tests.nlp.translate_toys.cli_translator` with its defaults, trained once for the tests that
    only read it (export, ensembles)."""
    from tests.nlp.translate_toys import cli_translator

    return cli_translator(tmp_path_factory.mktemp("toy_mt"))


@pytest.fixture(scope="session")
def undertrained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny word-for-word translator on ``word_pairs(500, 0)`` stopped after four epochs (it still drops
    and garbles words), shared by the lexical-bias, fallback and consensus tests."""
    from tests.nlp.translate_toys import tiny_translator

    return tiny_translator(tmp_path_factory.mktemp("toy_mt"), word_pairs(500, 0), vocab=150, epochs=4)
