"""SIGINT / SIGTERM during a search: the first asks the loop to stop and wrap up, a second
Ctrl-C stops at once. A batch scheduler's SIGTERM so leaves a checkpointed, resumable run."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def graceful_stop(request_stop: Callable[[int], None]) -> Iterator[None]:
    """While inside, the first SIGINT/SIGTERM calls ``request_stop(signum)``; another SIGINT raises
    KeyboardInterrupt. Outside the main thread (signals cannot be caught there) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def handler(signum, frame):
        if received and signum == signal.SIGINT:
            raise KeyboardInterrupt
        received.append(signum)
        request_stop(signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
