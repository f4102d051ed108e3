"""carrousel-nlp translation pairs in Qt's own catalogues: how many each language's ``.qm`` files give.

Counts, no timing and no model: for each language of ``--lang`` (Debian's ``qttranslations5-l10n`` puts
them under ``/usr/share/qt5/translations``), every ``*_LANG.qm`` file of ``--dir`` is read by
:func:`carrousel.nlp.parallel.read_pairs` (``qt_LANG.qm``, which only loads the others, is skipped), and the
raw pairs of ``qtbase_LANG.qm`` and of all files together go through
:func:`carrousel.nlp.parallel.clean_pairs` (duplicate sources dropped across files): the pairs ``nlp
translate train|evaluate --pairs`` would use. With ``--lconvert`` (Debian's ``qttools5-dev-tools``) each
file is also converted to ``.ts`` by Qt's own ``lconvert`` and the ``.ts`` reader's pairs are compared with the
``.qm`` reader's, as sorted lists.

Usage: ``python benchmarks/bench_nlp_qt_catalogues.py [--dir /usr/share/qt5/translations] [--lang de fr ru
zh_CN] [--lconvert]``; prints a Markdown table.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

from carrousel.nlp.errors import TextDataError
from carrousel.nlp.parallel import clean_pairs, read_pairs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=Path("/usr/share/qt5/translations"))
    ap.add_argument("--lang", nargs="+", default=["de", "fr", "ru", "zh_CN"])
    ap.add_argument(
        "--lconvert", action="store_true", help="check the .ts lconvert writes gives the same pairs"
    )
    args = ap.parse_args()
    lconvert = shutil.which("lconvert") if args.lconvert else None
    if args.lconvert and not lconvert:
        raise SystemExit("no lconvert on PATH (Debian: apt-get install qttools5-dev-tools)")
    print("| language | files | qtbase raw | qtbase clean | all raw | all clean | .ts agrees |")
    print("|---|---|---|---|---|---|---|")
    for lang in args.lang:
        tgt = lang.split("_")[0]
        files = sorted(p for p in args.dir.glob(f"*_{lang}.qm") if p.name != f"qt_{lang}.qm")
        per_file: dict[str, list[tuple[str, str]]] = {}
        agree = 0
        for path in files:
            try:
                per_file[path.stem] = read_pairs([path], "en", tgt)
            except TextDataError as exc:
                print(f"skipped {path.name}: {exc}")
                continue
            if lconvert:
                with tempfile.TemporaryDirectory() as tmp:
                    ts = Path(tmp) / f"{path.stem}.ts"
                    subprocess.run(
                        [lconvert, "-i", str(path), "-o", str(ts)], check=True, capture_output=True
                    )
                    agree += sorted(read_pairs([ts], "en", tgt)) == sorted(per_file[path.stem])
        base = per_file.get(f"qtbase_{lang}", [])
        together = [pair for pairs in per_file.values() for pair in pairs]
        checked = f"{agree}/{len(per_file)}" if lconvert else "-"
        print(
            f"| {lang} | {len(per_file)} | {len(base)} | {len(clean_pairs(base))} | {len(together)} | "
            f"{len(clean_pairs(together))} | {checked} |"
        )


if __name__ == "__main__":
    main()
