"""Fixtures of the carrousel-bio tests: small FASTA files and sample genomes (skipped when not cached)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

warnings.filterwarnings("ignore", message="Zero motifs returned")


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
def rng() -> np.random.Generator:
    """A seeded generator."""
    return np.random.default_rng(0)
