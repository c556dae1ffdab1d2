"""Import torchaudio robustly, even when its optional C++ extension cannot load.

Some environments pair a CPU-only ``torch`` wheel with a CUDA build of ``torchaudio``.
There ``import torchaudio`` fails while loading ``torchaudio/lib/_torchaudio*.so``
(it needs ``libc10_cuda.so``), although the pure-Python parts this project uses
(``torchaudio.compliance.kaldi``, ``torchaudio.functional.resample``) would work.

:func:`import_torchaudio` first tries a plain import. Only when that fails *because of
the extension* does it register a stub ``torchaudio._extension`` module that reports the
extension as unavailable, and import again. On a healthy install nothing is patched.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import traceback
import types
from collections.abc import Callable
from typing import Any

__all__ = ["extension_stubbed", "import_torchaudio"]

_LOG = logging.getLogger(__name__)
_EXT_MODULE = "torchaudio._extension"
_STUB_MARKER = "__espnet3_prep_stub__"


def _fail_if_no_align(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator used by torchaudio for ops needing the (missing) alignment extension."""

    def wrapped(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError(
            f"{func.__name__} requires torchaudio's C++ extension, which could not be "
            "loaded in this environment (stubbed by espnet3_prep.torchaudio_compat)."
        )

    wrapped.__name__ = func.__name__
    wrapped.__doc__ = func.__doc__
    return wrapped


def _load_lib(_lib: str) -> bool:
    """Stub of ``torchaudio._extension._load_lib``: never loads anything."""
    return False


def _check_cuda_version() -> None:
    """Stub of ``torchaudio._extension._check_cuda_version``."""
    return None


def _make_stub() -> types.ModuleType:
    """Build a module providing every attribute torchaudio's Python code reads from
    ``torchaudio._extension`` (checked against torchaudio 2.11's sources)."""
    stub = types.ModuleType(_EXT_MODULE, "espnet3_prep stub: torchaudio C++ extension absent")
    stub._IS_TORCHAUDIO_EXT_AVAILABLE = False  # read by functional/filtering.py
    stub._IS_ALIGN_AVAILABLE = False
    stub.fail_if_no_align = _fail_if_no_align  # read by functional/_alignment.py
    stub._load_lib = _load_lib  # read by models/decoder/_cuda_ctc_decoder.py
    stub._check_cuda_version = _check_cuda_version
    stub.__all__ = ["_check_cuda_version", "_IS_TORCHAUDIO_EXT_AVAILABLE"]
    setattr(stub, _STUB_MARKER, True)
    return stub


def _is_extension_failure(exc: BaseException) -> bool:
    """True if ``exc`` (or an exception it chains) came from loading torchaudio's extension."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    ext_dir = os.sep + os.path.join("torchaudio", "_extension") + os.sep
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ModuleNotFoundError) and cur.name == "torchaudio":
            return False  # torchaudio itself is not installed: nothing to work around
        msg = str(cur)
        if "_torchaudio" in msg or "libtorchaudio" in msg or "libc10_cuda" in msg:
            return True
        frames = traceback.extract_tb(cur.__traceback__) if cur.__traceback__ else []
        if any(ext_dir in f.filename for f in frames):
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def _purge_torchaudio_modules() -> None:
    """Drop partially imported ``torchaudio`` modules so the package can be re-imported."""
    for name in [n for n in sys.modules if n == "torchaudio" or n.startswith("torchaudio.")]:
        del sys.modules[name]


def extension_stubbed() -> bool:
    """Return True if torchaudio was imported with the stubbed extension module."""
    mod = sys.modules.get(_EXT_MODULE)
    return bool(mod is not None and getattr(mod, _STUB_MARKER, False))


def import_torchaudio() -> types.ModuleType:
    """Import and return the ``torchaudio`` module.

    Tries a normal import first. If it fails with an ``OSError``/``ImportError`` caused by
    torchaudio's C++ extension, partially imported ``torchaudio*`` modules are removed,
    a stub ``torchaudio._extension`` is registered and the import is retried. Which path
    was taken is logged at DEBUG level (see also :func:`extension_stubbed`).

    Raises:
        ImportError: torchaudio is not installed.
        OSError: the import failed for a reason unrelated to the extension, or the
            retry with the stub failed too (the original error is chained).
    """
    if "torchaudio" in sys.modules and getattr(sys.modules["torchaudio"], "compliance", None):
        return sys.modules["torchaudio"]
    try:
        module = importlib.import_module("torchaudio")
    except (OSError, ImportError) as exc:
        if not _is_extension_failure(exc):
            raise
        _LOG.debug("torchaudio extension failed to load (%s); importing with a stub", exc)
        _purge_torchaudio_modules()
        sys.modules[_EXT_MODULE] = _make_stub()
        try:
            module = importlib.import_module("torchaudio")
        except BaseException:
            _purge_torchaudio_modules()
            raise
        return module
    _LOG.debug("torchaudio imported normally (stubbed extension: %s)", extension_stubbed())
    return module
