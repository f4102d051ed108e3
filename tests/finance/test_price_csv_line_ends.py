"""A price CSV whose lines end in CR alone (an old Mac's) reads the prices of its LF twin.

Before, core's line-length bound took the whole CR-only file for one line and ``--csv`` refused it with
"line 1 is over 10,000 characters; is this really CSV?".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from carrousel.finance.data import read_price_csv


def test_a_cr_only_price_file_reads_as_its_lf_twin(tmp_path: Path) -> None:
    days = pd.bdate_range("2020-01-01", periods=300)
    close = 100 + pd.Series(range(300), dtype=float) * 0.25
    frame = pd.DataFrame({"Date": days.strftime("%Y-%m-%d"), "Open": close, "High": close + 1,
                          "Low": close - 1, "Close": close, "Volume": 1000})  # fmt: skip
    text = frame.to_csv(index=False, lineterminator="\n")
    assert len(text) > 10_000  # the bound the CR-only file broke as one line
    (lf := tmp_path / "lf.csv").write_text(text)
    (cr := tmp_path / "cr.csv").write_bytes(text.replace("\n", "\r").encode())
    expected = read_price_csv(lf)
    pd.testing.assert_frame_equal(read_price_csv(cr), expected)
    assert expected["close"].tolist() == close.tolist()
