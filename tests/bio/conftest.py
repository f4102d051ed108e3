"""Fixtures of the carrousel-bio tests: small FASTA files and sample genomes (skipped when not cached)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

warnings.filterwarnings("ignore", message="Zero motifs returned")


TWO_SITES = ("TTGACGT", "GCATGCA")  # filter 0's and filter 1's in two_detectors()


def two_detectors() -> tuple[Any, np.ndarray]:
    """A tiny DanQ whose filters 0 and 1 detect exactly ``TWO_SITES`` (the output reads filter 0 alone), and 200
    random windows (200, 50) of base codes: site 0 planted in the first 100, site 1 in windows 50 to 149."""
    import torch

    from carrousel.bio.fasta import encode
    from carrousel.bio.models import DanQ, DanQConfig

    model = DanQ(DanQConfig(n_outputs=1, filters=4, kernel=7, hidden=4, window=50))
    with torch.no_grad():
        for f, site in enumerate(TWO_SITES):
            w = np.full((4, 7), -1.0, dtype=np.float32)
            w[encode(site), np.arange(7)] = 1.0
            model.conv.weight[f] = torch.from_numpy(w)
            model.conv.bias[f] = -6.0
        model.head.weight.zero_()
        model.head.weight[0, -4] = 3.0
    codes = np.random.default_rng(0).integers(0, 4, size=(200, 50)).astype(np.uint8)
    codes[:100, 20:27] = encode(TWO_SITES[0])
    codes[50:150, 5:12] = encode(TWO_SITES[1])
    return model.eval(), codes


def fit_without_motifs(info: dict[str, Any] | None = None) -> tuple[Any, np.ndarray]:
    """A one-output DanQ (4 filters of 7) fitted one epoch without motifs (``allow_no_motifs``, ``info`` as
    given) on 80 random windows (80, 40), ``TWO_SITES[0]`` planted in the first 40 (the positives); gives back
    the model and the windows."""
    from carrousel.bio.fasta import encode
    from carrousel.bio.models import DanQConfig
    from carrousel.bio.training import fit_model
    from carrousel.core.train import TrainConfig

    x = np.random.default_rng(0).integers(0, 4, size=(80, 40)).astype(np.uint8)
    y = np.zeros((80, 1), dtype=np.float32)
    y[:40, 0] = 1
    x[:40, 10:17] = encode(TWO_SITES[0])
    fit = fit_model(
        x, y, [], DanQConfig(n_outputs=1, filters=4, kernel=7, hidden=4, window=40),
        TrainConfig(epochs=1, lr=1e-2, device="cpu", progress=False, seed=0), batch_size=32, n_null=50,
        info=info, allow_no_motifs=True,
    )  # fmt: skip
    return fit.model, x


def _sample(name: str) -> Path:
    from carrousel.core.errors import CarrouselError
    from carrousel.core.samples import sample_path

    try:
        return sample_path(name)
    except CarrouselError as exc:  # not fetched on this machine: `carrousel-data fetch bio`
        pytest.skip(f"sample {name} not cached: {exc}")


@pytest.fixture(scope="session")
def lambda_fa() -> Path:
    """Phage lambda genome (48.5 kb, gzipped FASTA)."""
    return _sample("bio.lambda")


@pytest.fixture(scope="session")
def ecoli_fa() -> Path:
    """E. coli 536 genome (4.94 Mb, gzipped FASTA)."""
    return _sample("bio.ecoli")


@pytest.fixture(scope="session")
def oct4_fa() -> Path:
    """Real 200-bp Oct4 ChIP-seq peak sequences."""
    return _sample("bio.oct4")


@pytest.fixture(scope="session")
def mafk_fa() -> Path:
    """Real 200-bp Mafk ChIP-seq peak sequences."""
    return _sample("bio.mafk")


def _write_fasta(path: Path, records: dict[str, str], width: int = 60, eol: str = "\n") -> Path:
    with open(path, "w", newline="") as fh:
        for name, seq in records.items():
            fh.write(f">{name} test record{eol}")
            for i in range(0, len(seq), width):
                fh.write(seq[i : i + width] + eol)
    return path


def _lcg(n: int, seed: int) -> str:
    """Reproducible pseudo-random DNA on every platform (no NumPy stream involved)."""
    x, out = seed, []
    for _ in range(n):
        x = (1103515245 * x + 12345) % 2**31
        out.append("ACGT"[(x >> 16) & 3])
    return "".join(out)


@pytest.fixture(scope="session")
def lcg_dna():  # type: ignore[no-untyped-def]
    """``lcg_dna(n, seed) -> str``: reproducible pseudo-random DNA (a linear congruential generator)."""
    return _lcg


@pytest.fixture
def write_fasta():  # type: ignore[no-untyped-def]
    """``write_fasta(path, {name: seq}, width=60, eol="\\n")`` writes a FASTA file and returns its path."""
    return _write_fasta


@pytest.fixture
def peak_pair(oct4_fa: Path, mafk_fa: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """``peak_pair(n, names=("p.fa", "n.fa"))``: the first ``n`` real Oct4 peaks (``p0``...) and the first
    ``n`` Mafk peaks (``n0``...) written as two FASTA files in ``tmp_path``; their paths."""
    from carrousel.bio.fasta import read_sequences

    def make(n: int, names: tuple[str, str] = ("p.fa", "n.fa")) -> tuple[Path, Path]:
        _, pos = read_sequences(oct4_fa)
        _, neg = read_sequences(mafk_fa)
        return (
            _write_fasta(tmp_path / names[0], {f"p{i}": s for i, s in enumerate(pos[:n])}),
            _write_fasta(tmp_path / names[1], {f"n{i}": s for i, s in enumerate(neg[:n])}),
        )

    return make


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator."""
    return np.random.default_rng(0)


SITE = "CCGCGTGGTGGCGC"  # the site the toy learns (planted in its positives)


@pytest.fixture
def planted_windows(tmp_path: Path, lambda_fa: Path):  # type: ignore[no-untyped-def]
    """``planted_windows(n=150) -> (pos.fa, neg.fa)`` in ``tmp_path``: ``n`` lambda windows of 100 bases
    (seed 0) with :data:`SITE` planted at a random place (positives) and the same ``n`` without (negatives)."""
    from carrousel.bio.fasta import decode, iter_records

    def make(n: int = 150) -> tuple[Path, Path]:
        (_, codes), *_ = list(iter_records(lambda_fa))
        rng = np.random.default_rng(0)
        pos, neg = {}, {}
        for i in range(n):
            s = int(rng.integers(0, codes.size - 100))
            win = decode(codes[s : s + 100])
            neg[f"n{i}"] = win
            p = int(rng.integers(0, 100 - len(SITE)))
            pos[f"p{i}"] = win[:p] + SITE + win[p + len(SITE) :]
        return _write_fasta(tmp_path / "pos.fa", pos), _write_fasta(tmp_path / "neg.fa", neg)

    return make


def _fasta(path: Path, lcg_dna, start: int, n: int, site: bool) -> Path:  # type: ignore[no-untyped-def]
    rows = []
    for i in range(start, start + n):
        seq = lcg_dna(60, 2 * i + (1 if site else 2))
        if site:
            at = 5 + i % 40
            seq = seq[:at] + SITE + seq[at + len(SITE) :]
        rows.append(f">{'p' if site else 'n'}{i}\n{seq}\n")
    path.write_text("".join(rows))
    return path


@pytest.fixture(scope="session")
def toy(tmp_path_factory: pytest.TempPathFactory, lcg_dna) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    """A toy that learned a planted site (for ``bio export --prune`` / ``--distill``) (120 + 120 training windows, 8 units, 20 epochs), and 40 + 40 held out."""
    from typer.testing import CliRunner

    from carrousel.bio.cli import app

    root = tmp_path_factory.mktemp("biotoy")
    files = {
        "pos": _fasta(root / "pos.fa", lcg_dna, 0, 120, True),
        "neg": _fasta(root / "neg.fa", lcg_dna, 0, 120, False),
        "test_pos": _fasta(root / "tpos.fa", lcg_dna, 500, 40, True),
        "test_neg": _fasta(root / "tneg.fa", lcg_dna, 500, 40, False),
    }
    sizes = [
        "--window",
        "60",
        "--epochs",
        "20",
        "--lr",
        "5e-3",
        "--filters",
        "8",
        "--kernel",
        "9",
        "--hidden",
        "8",
    ]
    res = CliRunner().invoke(
        app,
        [
            "train",
            "--positives",
            str(files["pos"]),
            "--negatives",
            str(files["neg"]),
            *sizes,
            "-o",
            str(root / "m"),
        ],
    )
    assert res.exit_code == 0, res.output
    return {**files, "model": root / "m"}


def planted_scan_beds(tmp_path: Path, models: dict[str, Path]) -> dict[str, str]:
    """``bio scan --method model --pvalue 0.05`` of each model on one genome holding :data:`SITE` at 499 and
    1013 (background from :func:`_lcg`): the BED text per name."""
    from typer.testing import CliRunner

    from carrousel.bio.cli import app

    genome = tmp_path / "g.fa"
    genome.write_text(">chr1\n" + _lcg(500, 7) + SITE + _lcg(500, 8) + SITE + _lcg(300, 9) + "\n")
    beds = {}
    for name, folder in models.items():
        bed = tmp_path / f"{name}.bed"
        args = ["scan", str(genome), "--model", str(folder), "--method", "model", "--pvalue", "0.05"]
        res = CliRunner().invoke(app, [*args, "-o", str(bed)])
        assert res.exit_code == 0, res.output
        beds[name] = bed.read_text()
    return beds
