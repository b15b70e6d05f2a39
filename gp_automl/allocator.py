"""Have the C allocator give large freed blocks back to the system, so a long search's driver stays flat.

glibc's malloc serves blocks of 128 KiB and more with their own memory maps, returned when freed; but
each time such a block is freed it raises that threshold (up to 32 MiB), and with it how much free
memory it keeps. From then on large short-lived allocations come from the heap, and what they leave
behind stays with the process: over 40,000 evaluations the driver stepped up twice by about 3.5 MiB of
memory malloc kept free (benchmarks/README.md). Setting the thresholds, as Dask does for its workers
(``MALLOC_TRIM_THRESHOLD_``), turns that adjustment off.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (glibc's malloc.h)
TRIM_THRESHOLD = 64 * 1024  # what Dask's nanny gives its workers
MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value, which earlier frees may have raised
USER_SETTINGS = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES")


def fix_malloc_thresholds() -> bool:
    """Set glibc's mmap and trim thresholds for this process. False where that is not done: not
    Linux, no ``mallopt`` (a C library other than glibc), or the user tuned malloc themselves."""
    if not sys.platform.startswith("linux") or any(name in os.environ for name in USER_SETTINGS):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
