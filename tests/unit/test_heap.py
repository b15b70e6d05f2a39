"""Giving freed heap memory back to the OS: found on glibc, harmless everywhere."""

import platform
import sys

import pytest

from gp_automl.heap import _malloc_trim, give_back_free_memory


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_glibc_malloc_trim_is_found_and_returns_memory():
    garbage = [bytes(1000) for _ in range(100_000)]  # ~100 MB in small blocks, then freed
    del garbage
    assert _malloc_trim() is not None
    assert _malloc_trim()(0) == 1  # glibc: 1 when memory was released
    give_back_free_memory()
