"""Per-item time limits that work in any thread (Dask runs tasks outside the main thread).

A watchdog timer raises :class:`~espnet3_prep.errors.ItemTimeout` inside the thread that
runs ``forward``. Python code is interrupted at once; a call blocked inside C code is
interrupted as soon as it returns to Python.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from typing import Any

from espnet3_prep.errors import ItemTimeout


def call_with_timeout(fn: Callable[[], Any], seconds: float | None) -> Any:
    """Run ``fn()``; raise :class:`ItemTimeout` if it takes longer than ``seconds``."""
    if not seconds or seconds <= 0:
        return fn()
    target = threading.get_ident()
    lock = threading.Lock()
    state = {"finished": False}

    def fire() -> None:
        with lock:
            if state["finished"]:
                return
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target),
                                                       ctypes.py_object(ItemTimeout))

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        result = fn()
        with lock:
            state["finished"] = True
    except ItemTimeout:
        raise ItemTimeout(f"took longer than runner.item_timeout_s={seconds:g} s") from None
    finally:
        timer.cancel()
        with lock:
            state["finished"] = True
    return result
