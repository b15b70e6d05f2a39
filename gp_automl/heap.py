"""Hand the driver's freed heap memory back to the operating system.

glibc's allocator keeps memory that Python has freed, and with the Dask client's threads the pages
it keeps grow slowly with every evaluation: an overnight driver's resident memory creeps up
although nothing is alive in it (issue 3). ``malloc_trim`` returns what is free; Dask's workers do
the same. Elsewhere (macOS, Windows, musl) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


def give_back_free_memory() -> None:
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
