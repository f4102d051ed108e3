"""``-m`` with ``--method model|both`` and a trained panel: each motif given is first looked up among the
panel's outputs (by ID, versionless ID, then name). Before, every spec went to JASPAR first: ``-m site``
(an output of the panel, from a motif file) failed as 'no JASPAR motif named site'; ``-m CTCF`` on a panel
trained on MA0139.1 became JASPAR's MA0139.2 and was refused as 'not outputs of the model' (naming
neither the panel's outputs nor its CTCF); ``--method both -m CTCF`` scanned MA0139.2's PWM and no model
output, without a word; and a scan of one output reported every output of the panel as its motifs."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from carrousel.bio import pipeline
from carrousel.bio.config import ScanConfig
from carrousel.bio.errors import ScanConfigError
from carrousel.bio.models import DanQConfig
from carrousel.bio.motifs import Motif
from carrousel.bio.pipeline import save_model
from carrousel.bio.training import fit_model
from carrousel.core.train import TrainConfig

CTCF_V1 = np.array([[87, 167, 281, 56, 8, 744, 40, 107, 851, 5, 333, 54, 12, 56, 104, 372, 82, 117, 402],
                    [291, 145, 49, 800, 903, 13, 528, 433, 11, 0, 3, 12, 0, 8, 733, 13, 482, 322, 181],
                    [76, 414, 449, 21, 0, 65, 334, 48, 32, 903, 566, 504, 890, 775, 5, 507, 307, 73, 266],
                    [459, 187, 134, 36, 2, 91, 11, 324, 18, 3, 9, 341, 8, 71, 67, 17, 37, 396, 59]]).T  # fmt: skip


@pytest.fixture(scope="module")
def panel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny two-output panel (a motif file's ``site`` and JASPAR's older CTCF MA0139.1) and a genome."""
    tmp = tmp_path_factory.mktemp("panel")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, size=(120, 40)).astype(np.uint8)
    y = np.zeros((120, 2), dtype=np.float32)
    y[:60, 0], y[30:90, 1] = 1, 1
    motifs = [
        Motif("site", "my site", np.eye(4)[[3, 3, 2, 0, 1, 2, 1, 0]] * 20),
        Motif("MA0139.1", "CTCF", CTCF_V1),
    ]
    fit = fit_model(
        x, y, motifs, DanQConfig(n_outputs=2, filters=4, kernel=9, hidden=4, window=40),
        TrainConfig(epochs=1, lr=1e-2, device="cpu", progress=False, seed=0), batch_size=32, n_null=150,
    )  # fmt: skip
    genome = tmp / "g.fa"
    genome.write_text(">r\n" + "".join("ACGT"[i] for i in rng.integers(0, 4, 3000)) + "\n")
    return save_model(fit.model, tmp / "m"), genome


@pytest.mark.parametrize("spec", ["site", "my site", "CTCF", "ctcf", "MA0139", "MA0139.1"])
@pytest.mark.parametrize("method", ["model", "both"])
def test_a_motif_of_the_panel_is_its_output(panel: tuple[Path, Path], spec: str, method: str) -> None:
    folder, genome = panel
    res = pipeline.scan(ScanConfig(method=method, motifs=(spec,), model=str(folder)), genome)
    want = ("site", "my site") if "site" in spec else ("MA0139.1", "CTCF")
    assert res.motifs == [want], res.motifs  # the one output tested, never the whole panel
    assert f"{want[0]}:model" in res.tests and (method == "model") == (want[0] not in res.tests), res.tests


@pytest.mark.parametrize("spec", ["REST", "MA0139.2", "nosuch"])
def test_a_motif_the_panel_lacks_is_one_line_naming_its_outputs(panel: tuple[Path, Path], spec: str) -> None:
    folder, genome = panel
    with pytest.raises(ScanConfigError) as exc:
        pipeline.scan(ScanConfig(method="model", motifs=(spec,), model=str(folder)), genome)
    text = str(exc.value)
    assert f"motif {spec!r} is not an output of the model" in text and "\n" not in text, text
    assert "site (my site), MA0139.1 (CTCF)" in text and "method='pwm' or both" in text, text


def test_both_scans_a_motif_the_panel_lacks_by_its_pwm_and_says_so(panel: tuple[Path, Path], caplog) -> None:  # type: ignore[no-untyped-def]
    folder, genome = panel
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        res = pipeline.scan(ScanConfig(method="both", motifs=("MA0139.2", "site"), model=str(folder)), genome)
    assert res.motifs == [("MA0139.2", "CTCF"), ("site", "my site")]
    assert "MA0139.2" in res.tests and "MA0139.2:model" not in res.tests and "site:model" in res.tests
    assert "'MA0139.2' is not an output of the model" in caplog.text and "PWM only" in caplog.text, (
        caplog.text
    )
