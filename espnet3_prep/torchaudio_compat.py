"""Import torchaudio robustly, even when its optional C++ extension cannot load.

Some environments pair a CPU-only ``torch`` wheel with a CUDA build of ``torchaudio``.
There a bare ``import torchaudio`` fails while loading ``torchaudio/lib/_torchaudio*.so``
(it needs ``libc10_cuda.so``), although the pure-Python parts this project uses
(``torchaudio.compliance.kaldi``, ``torchaudio.functional.resample``) would work.

The fix lives in the top-level module :mod:`espnet3_prep_torchaudio_hook`, which the
package's ``.pth`` file loads in every interpreter of the environment, so users' own
``import torchaudio`` works too. :func:`import_torchaudio` makes sure the hook is
registered (also when the ``.pth`` file is absent or disabled) and imports torchaudio. On
a healthy install nothing is patched.
"""

from __future__ import annotations

import importlib
import logging
import types

import espnet3_prep_torchaudio_hook as hook

__all__ = ["extension_stubbed", "import_torchaudio"]

_LOG = logging.getLogger(__name__)


def extension_stubbed() -> bool:
    """Return True if torchaudio was imported with its extension marked unavailable."""
    return hook.extension_stubbed()


def import_torchaudio() -> types.ModuleType:
    """Import and return the ``torchaudio`` module, tolerating a missing extension.

    Raises:
        ImportError: torchaudio is not installed.
        OSError: the import failed for a reason unrelated to the extension.
    """
    hook.register(force=True)
    module = importlib.import_module("torchaudio")
    _LOG.debug("torchaudio imported %s", "with its C++ extension marked unavailable"
               if extension_stubbed() else "normally")
    return module
