"""A path given to a Python entry point as ``~/...`` means the home folder, as it does in a shell.

Before, ``Forecaster.save("~/m")``, bio's ``train(cfg, out="~/m")`` and every other entry point but
finance's cache paths made a folder named ``~`` in the current directory (or did not find the file). Each
case runs with ``HOME`` pointed at a temporary folder and the working directory elsewhere: what it writes
must land in ``HOME`` and nothing named ``~`` may appear. The expansion lives once, in
:mod:`carrousel.core.paths`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

Case = Callable[[Path], None]  # runs an entry point with "~/..." paths; HOME is the given folder


def _core_bundle(home: Path) -> None:
    from carrousel.core.bundle import Bundle, is_bundle, load_bundle, read_manifest
    from carrousel.core.nn import RecurrentConfig, SequenceRegressor, SequenceRegressorConfig

    net = SequenceRegressor(SequenceRegressorConfig(RecurrentConfig(3, 4), out_features=1))
    assert Bundle(kind="test.user", model=net).save("~/b") == home / "b"
    assert is_bundle("~/b") and read_manifest("~/b")["kind"] == "test.user"
    assert load_bundle("~/b", kind="test.user").kind == "test.user"


def _core_module(home: Path) -> None:
    from carrousel.core.io import load_module, save_module
    from carrousel.core.nn import RecurrentConfig, RecurrentEncoder

    save_module(RecurrentEncoder(RecurrentConfig(3, 4)), "~/enc")
    assert (home / "enc").is_dir() and isinstance(load_module("~/enc"), RecurrentEncoder)


def _core_checkpoint(home: Path) -> None:
    from carrousel.core.train.checkpoint import (
        CheckpointManager,
        find_latest,
        load_checkpoint,
        resolve_resume,
        save_checkpoint,
    )

    assert save_checkpoint("~/ck.pt", {"w": torch.ones(2)}) == home / "ck.pt"
    assert load_checkpoint("~/ck.pt")["w"].tolist() == [1.0, 1.0]
    written = CheckpointManager("~/ckpts").save({"w": torch.zeros(1)}, epoch=1, step=3)
    assert written.parent == home / "ckpts"
    assert find_latest("~/ckpts") == written and resolve_resume("~/ckpts", None) == written


def _core_trainer_folders(home: Path) -> None:
    from carrousel.core.train import TrainConfig

    cfg = TrainConfig(checkpoint_dir="~/ck", log_dir="~/logs")
    assert (cfg.checkpoint_dir, cfg.log_dir) == (str(home / "ck"), str(home / "logs"))


def _core_files(home: Path) -> None:
    from carrousel.core.atomic import atomic_write_text
    from carrousel.core.config import read_toml
    from carrousel.core.errors import ConfigError
    from carrousel.core.files import check_output_dir, check_output_file, read_text

    atomic_write_text("~/run.toml", "[train]\nepochs = 3\n")
    assert read_toml("~/run.toml")["train"] == {"epochs": 3} and "epochs" in read_text("~/run.toml")
    assert check_output_file("~/out.csv") == home / "out.csv" and check_output_dir("~/o") == home / "o"
    with pytest.raises(ConfigError, match="is the input file"):  # writing it would destroy the input
        check_output_file("~/run.toml", inputs=["~/run.toml"])


def _finance_forecaster(home: Path) -> None:
    from carrousel.finance.config import FinanceConfig, ModelConfig, TrainSettings, WindowConfig
    from carrousel.finance.frames import Forecaster

    days = pd.bdate_range("2020-01-01", periods=300)
    y = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, len(days))))
    df = pd.DataFrame({"unique_id": "X", "ds": days, "y": y})
    cfg = FinanceConfig(
        window=WindowConfig(lookback=10, horizon=2),
        model=ModelConfig(hidden_size=4, members=1),
        train=TrainSettings(epochs=1, max_windows=400),
    )
    assert Forecaster.fit(df, cfg).save("~/m") == home / "m"
    assert Forecaster.from_pretrained("~/m").horizon == 2


def _finance_inputs(home: Path) -> None:
    from carrousel.finance.config import DataConfig, ExportConfig
    from carrousel.finance.frame_check import read_frame

    days = pd.bdate_range("2020-01-01", periods=5)
    pd.DataFrame({"unique_id": "X", "ds": days, "y": range(1, 6)}).to_csv(home / "f.csv", index=False)
    assert len(read_frame("~/f.csv")) == 5
    assert DataConfig(source="csv", csv_path="~/p.csv").csv_path == str(home / "p.csv")
    assert ExportConfig(model_dir="~/m").model_dir == str(home / "m")


def _bio_model(home: Path) -> None:
    from carrousel.bio.bundle import load_model, save_model
    from carrousel.bio.config import EvaluateConfig, ScanConfig, TrainConfig, TrainDataConfig
    from carrousel.bio.motifs import resolve_motifs, write_jaspar
    from carrousel.bio.scan import scan_genome

    assert save_model(load_model(), "~/panel") == home / "panel"
    motif = load_model("~/panel").motifs[0]
    (home / "m.jaspar").write_text(write_jaspar([motif]))
    (home / "g.fa").write_text(">chr1\n" + "ACGTTGCA" * 50 + "\n")
    assert [m.id for m in resolve_motifs(["~/m.jaspar"])] == [motif.id]
    assert scan_genome("~/g.fa", ScanConfig(motifs=("~/m.jaspar",))).bases == 400
    data = TrainDataConfig(positives="~/p.fa", negatives="~/n.fa")
    assert (data.positives, data.negatives) == (str(home / "p.fa"), str(home / "n.fa"))
    assert TrainConfig(data=data).data.positives == str(home / "p.fa")
    assert EvaluateConfig(model="~/panel").model == str(home / "panel")


def _bio_train(home: Path) -> None:
    from carrousel.bio import pipeline
    from carrousel.bio.config import FitConfig, NetworkConfig, TrainConfig, TrainDataConfig

    rng = np.random.default_rng(0)
    for name, site in (("p.fa", "CCGCGTGGTGGCGC"), ("n.fa", "")):
        seqs = ["".join(rng.choice(list("ACGT"), 60 - len(site))) + site for _ in range(40)]
        (home / name).write_text("".join(f">{name}{i}\n{s}\n" for i, s in enumerate(seqs)))
    cfg = TrainConfig(
        data=TrainDataConfig(positives="~/p.fa", negatives="~/n.fa", window=60),
        network=NetworkConfig(filters=4, kernel=9, hidden=4),
        fit=FitConfig(epochs=1, patience=0, n_null=50),
    )
    result = pipeline.train(cfg, out="~/m")
    assert result.out == home / "m" and (home / "m" / "bundle.json").is_file()


def _nlp(home: Path) -> None:
    from carrousel.nlp.config import LMDataConfig, TextDataConfig
    from carrousel.nlp.pipeline.sentiment import SentimentModel

    SentimentModel.from_pretrained().bundle.save("~/sentiment")
    assert SentimentModel.from_pretrained("~/sentiment").bundle.kind
    assert TextDataConfig(source="~/d.csv").source == str(home / "d.csv")
    assert TextDataConfig(source="imdb").source == "imdb"  # a hub name is no path
    assert LMDataConfig(files=("~/a.txt", "b.txt")).files == (str(home / "a.txt"), "b.txt")


def _speech(home: Path) -> None:
    import soundfile as sf

    from carrousel.speech.audio import read_audio
    from carrousel.speech.config import TranscribeConfig
    from carrousel.speech.recognizer import Recognizer

    assert Recognizer.from_pretrained().save("~/asr") == home / "asr"
    assert Recognizer.from_pretrained("~/asr").alphabet
    tone = 0.3 * np.sin(2 * math.pi * 440 * np.arange(1600) / 16000)
    sf.write(home / "a.wav", tone.astype(np.float32), 16000)
    assert read_audio("~/a.wav").shape == (1600,)
    assert TranscribeConfig(model="~/asr").model == str(home / "asr")


def _bio_readers(home: Path) -> None:
    from carrousel.bio.bed import read_bed, read_peaks
    from carrousel.bio.fasta import count_bases, iter_records, read_sequences
    from carrousel.bio.genome import Genome, open_genome

    (home / "g.fa").write_text(">chr1\n" + "ACGTTGCA" * 50 + "\n")
    (home / "p.bed").write_text("chr1\t10\t60\n")
    assert read_sequences("~/g.fa")[0] == ["chr1"]
    assert [name for name, _ in iter_records("~/g.fa")] == ["chr1"]
    assert count_bases("~/g.fa")[2][0].length == 400
    assert (
        [(p.chrom, p.start) for p in read_peaks("~/p.bed")] == [("chr1", 10)] == [read_bed("~/p.bed")[0][:2]]
    )
    with Genome.open("~/g.fa") as genome:
        assert genome.lengths == {"chr1": 400}
    with open_genome("~/g.fa") as genome:
        assert genome.lengths == {"chr1": 400}


def _nlp_readers(home: Path) -> None:
    from carrousel.nlp.data import read_column, read_lines
    from carrousel.nlp.gettext_pairs import read_po
    from carrousel.nlp.parallel import read_pairs
    from carrousel.nlp.vectors import read_vectors

    (home / "t.csv").write_text("text,label\ngood film,1\nbad film,0\n")
    (home / "a.txt").write_text("hello\nworld\n")
    (home / "b.txt").write_text("hallo\nwelt\n")
    (home / "p.tsv").write_text("hello\thallo\n")
    assert read_column("~/t.csv", "text") == ["good film", "bad film"]
    assert read_lines("~/a.txt") == ["hello", "world"]
    assert read_pairs(["~/a.txt", "~/b.txt"]) == [("hello", "hallo"), ("world", "welt")]
    assert read_pairs(["~/p.tsv"]) == [("hello", "hallo")]
    (home / "a.po").write_text('msgid ""\nmsgstr "Language: de\\n"\n\nmsgid "hello"\nmsgstr "hallo"\n')
    assert read_po("~/a.po") == [("hello", "hallo")]
    (home / "v.txt").write_text("film 0.1 0.2\ngood 0.3 0.4\n")
    assert set(read_vectors("~/v.txt", {"film"})) == {"film"}


def _finance_table(home: Path) -> None:
    from carrousel.finance.runs import write_table

    table = pd.DataFrame({"unique_id": ["X"], "ds": ["2020-01-01"], "y": [1.0]})
    assert write_table(table, "~/f.csv") == home / "f.csv" and (home / "f.csv").is_file()


def _speech_corpus(home: Path) -> None:
    import soundfile as sf

    from carrousel.speech.data import load_corpus
    from carrousel.speech.lm import load_lm
    from carrousel.speech.manifests import read_manifest

    tone = 0.3 * np.sin(2 * math.pi * 440 * np.arange(1600) / 16000)
    (home / "c").mkdir()
    sf.write(home / "c" / "a.wav", tone.astype(np.float32), 16000)
    (home / "c" / "a.txt").write_text("one\n")
    (home / "m.tsv").write_text(f"path\ttranscript\n{home / 'c' / 'a.wav'}\tone\n")
    (home / "lm.txt").write_text("one two\n")
    assert [u.text for u in load_corpus("~/c")] == ["one"]
    assert [u.text for u in load_corpus("manifest:~/m.tsv")] == ["one"]
    (home / "r.tsv").write_text("path\ttranscript\nc/a.wav\tone\n")  # a recording named beside the manifest
    assert [row[0] for row in read_manifest(Path("~/r.tsv"))] == [home / "c" / "a.wav"]
    assert load_lm("~/lm.txt") is not None


CASES: dict[str, Case] = {
    "core bundle save/load": _core_bundle,
    "core save_module/load_module": _core_module,
    "core checkpoints": _core_checkpoint,
    "core Trainer folders": _core_trainer_folders,
    "core atomic writes, TOML, file checks": _core_files,
    "finance Forecaster.save/from_pretrained": _finance_forecaster,
    "finance read_frame and config paths": _finance_inputs,
    "bio save_model/load_model and config paths": _bio_model,
    "bio train(out=...)": _bio_train,
    "nlp bundle and config paths": _nlp,
    "speech Recognizer.save/from_pretrained, read_audio": _speech,
    "bio readers: FASTA, BED, Genome.open": _bio_readers,
    "nlp readers: read_column, read_lines, read_pairs": _nlp_readers,
    "finance write_table": _finance_table,
    "speech corpus specs and load_lm": _speech_corpus,
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_tilde_path_means_the_home_folder(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    CASES[case](home)
    assert list(cwd.iterdir()) == []  # before: a folder named '~' here


def test_an_expanded_path_is_left_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Expanding twice changes nothing: a CLI value the shell already expanded, a relative path, ``-``."""
    from carrousel.core.paths import expand_user_fields, user_path, user_spec

    monkeypatch.setenv("HOME", str(tmp_path))
    assert user_spec("~/a.csv") == str(tmp_path / "a.csv") and user_spec(Path("~/a")) == tmp_path / "a"
    assert user_spec("./user//set") == "./user//set"  # a name that is no path keeps its exact text
    assert user_path("~/m") == user_path(user_path("~/m")) == tmp_path / "m"
    for given in ("m", "./~", "/dev/stdout", "-", "a/~/b"):
        assert user_path(given) == Path(given)

    class Cfg:
        files = ("~/a", "b")
        model = None

    cfg = Cfg()
    expand_user_fields(cfg, "files", "model")
    assert cfg.files == (str(tmp_path / "a"), "b") and cfg.model is None


def test_the_cli_reads_a_path_the_shell_left_with_a_tilde_literally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CLI never expands ``~`` itself: the shell did. A ``Path`` option given ``./~/m`` (``Path`` shortens it to
    ``~/m``) or a quoted ``'~/m'`` keeps meaning a folder ``~`` in the working directory, as before."""
    from typer.testing import CliRunner

    from carrousel.core.cli import command, create_app
    from carrousel.core.paths import user_path

    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    app, seen = create_app("demo", "A demo.", "demo 0"), []

    @command(app, "go")
    def go(out: Path, more: list[Path]) -> None:
        seen.extend(user_path(p) for p in (out, *more))

    result = CliRunner().invoke(app, ["go", "./~/m", "~/x", str(home / "y")])
    assert result.exit_code == 0, result.output
    assert seen == [cwd / "~" / "m", cwd / "~" / "x", home / "y"]
