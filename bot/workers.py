"""Set-up for the parse worker processes: they die with the bot, and parse under its limits.

`ProcessPoolExecutor(..., initializer=init_worker, initargs=(os.getpid(), limits))`. A worker
asks Linux to SIGKILL it when its parent dies (prctl PR_SET_PDEATHSIG, through ctypes: the
standard library has no wrapper); elsewhere, and as a second line, a daemon thread exits the
worker once its parent is gone. Without this a SIGKILLed bot left its workers parsing on.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

from bot.digest.limits import SizeLimits, set_limits

_PR_SET_PDEATHSIG = 1
_POLL_SECONDS = 0.5


def _ask_kernel_to_kill_me_with(parent: int) -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl: the watchdog below still works
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _watch_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:  # re-parented: the bot is gone
            os._exit(1)
        time.sleep(_POLL_SECONDS)


def init_worker(parent: int, limits: SizeLimits) -> None:
    """Runs first in every worker process."""
    _ask_kernel_to_kill_me_with(parent)
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()
    set_limits(limits)  # the bot's MAX_DIGEST_* settings, not the defaults
