"""UCSC's binary genomics files (``.2bit`` genomes, bigBed peaks), recognised by their first four bytes.

Both formats start with a 32-bit magic number written in the byte order of the machine that wrote the
file; read in the other order it is the magic byte-swapped, which says the file's order. A file is taken
for such a file by its magic whatever its name, and a file named as one (``.2bit``, ``.bb``) without the
magic is an error, not text to parse.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from carrousel.core.errors import CarrouselError

__all__ = ["BinaryFormat"]


@dataclass(frozen=True)
class BinaryFormat:
    """A binary format known by its magic number (:data:`carrousel.bio.twobit.FORMAT`, bigbed's)."""

    kind: str  # the file in words: "2bit file"
    magic: int  # the first four bytes, in the writer's byte order
    sign: str  # the magic in words, for errors: "the 2bit signature 0x1A412743"
    suffixes: tuple[str, ...]  # lower-case names of the format: (".2bit",)
    error: type[CarrouselError]  # raised for a file of this name without the magic
    fix: str  # what to do, ending that error

    def byte_order(self, head: bytes) -> str | None:
        """``"<"`` or ``">"`` (the struct byte order) when ``head`` starts with the magic, else None."""
        if len(head) >= 4:
            for order in ("<", ">"):
                if struct.unpack(f"{order}I", head[:4])[0] == self.magic:
                    return order
        return None

    def recognises(self, path: str | Path) -> bool:
        """Whether ``path`` is a regular file starting with the magic (either byte order).

        Raises:
            CarrouselError: (``error``) the file has one of ``suffixes`` but lacks the magic (damaged or
                misnamed).
        """
        p = Path(path)
        try:
            if not p.is_file():
                return False
            with open(p, "rb") as fh:
                head = fh.read(4)
        except OSError:
            return False  # the caller's file checks name the problem
        if self.byte_order(head) is not None:
            return True
        if p.name.lower().endswith(self.suffixes):
            found = f"0x{head.hex().upper()}" if len(head) == 4 else f"only {len(head)} byte(s)"
            raise self.error(
                f"{p} is not a {self.kind}: it starts with {found}, not {self.sign}; it is damaged or "
                f"misnamed: {self.fix}"
            )
        return False
