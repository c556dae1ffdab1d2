"""Make a plain ``import torchaudio`` work when torchaudio's C++ extension cannot load.

CPU ``torch`` paired with the (CUDA-built) torchaudio 2.11 wheel fails at ``import
torchaudio``: ``torchaudio/_extension/__init__.py`` loads ``_torchaudio.abi3.so``, which
needs ``libc10_cuda.so``. Everything this project and most users need from torchaudio
(``compliance.kaldi``, ``functional``, ``transforms``) is pure Python and works without it.

This top-level module is imported at interpreter start by ``espnet3_prep_torchaudio_hook.pth``
in site-packages (installed with the wheel, or by ``python -m espnet3_prep_torchaudio_hook
install`` — ``make install`` runs it for the editable venv). It registers a meta-path finder
for the single module ``torchaudio._extension``; it imports nothing else, so start-up stays
cheap. When torchaudio is imported:

- the real ``torchaudio._extension`` runs first; on a healthy install (e.g. a GPU machine
  with a matching torch) it succeeds and nothing is changed;
- only if it fails *because the extension library cannot be loaded* is the module
  completed as "extension unavailable" (``_IS_TORCHAUDIO_EXT_AVAILABLE = False``, compiled
  ops such as ``forced_align`` raise a clear ``RuntimeError``). Any other error propagates.

Set ``ESPNET3_PREP_TORCHAUDIO_HOOK=0`` to disable it. ``python -m espnet3_prep_torchaudio_hook
status`` reports whether the hook is installed and whether torchaudio needed it.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # start-up stays cheap: no typing, no importlib.abc (~20 modules)
if TYPE_CHECKING:
    import types
    from collections.abc import Callable, Sequence
    from importlib.machinery import ModuleSpec
    from pathlib import Path
    from typing import Any

__all__ = ["EXT_MODULE", "PTH_NAME", "extension_stubbed", "install", "is_extension_failure",
           "register", "stub_extension"]

EXT_MODULE = "torchaudio._extension"
PTH_NAME = "espnet3_prep_torchaudio_hook.pth"
PTH_LINE = ('import sys; exec("try:\\n import espnet3_prep_torchaudio_hook\\n"'
            '"except ImportError:\\n pass")\n')
"""The .pth line: imports the hook, and is silent if the package was uninstalled."""
STUB_MARKER = "__espnet3_prep_stub__"
FINDER_MARKER = "_espnet3_prep_torchaudio_hook"
DISABLE_ENV = "ESPNET3_PREP_TORCHAUDIO_HOOK"


def _fail_if_no_align(func: Callable[..., Any]) -> Callable[..., Any]:
    """torchaudio's decorator for ops needing the (missing) alignment extension."""

    def wrapped(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError(
            f"{func.__name__} requires torchaudio's C++ extension, which cannot be loaded "
            "in this environment (CPU torch with a CUDA torchaudio build); the pure-Python "
            "parts of torchaudio work (espnet3_prep_torchaudio_hook).")

    wrapped.__name__ = func.__name__
    wrapped.__doc__ = func.__doc__
    return wrapped


def _load_lib(_lib: str) -> bool:
    """Stand-in for ``torchaudio._extension._load_lib``: never loads anything."""
    return False


def _check_cuda_version() -> None:
    """Stand-in for ``torchaudio._extension._check_cuda_version``."""
    return None


def stub_extension(module: types.ModuleType) -> types.ModuleType:
    """Give ``module`` every attribute torchaudio's Python code reads from
    ``torchaudio._extension`` (checked against torchaudio 2.11), marked as stubbed."""
    module._IS_TORCHAUDIO_EXT_AVAILABLE = False  # read by functional/filtering.py
    module._IS_ALIGN_AVAILABLE = False
    module.fail_if_no_align = _fail_if_no_align  # read by functional/_alignment.py
    module._load_lib = _load_lib  # read by models/decoder/_cuda_ctc_decoder.py
    module._check_cuda_version = _check_cuda_version
    module.__all__ = ["_check_cuda_version", "_IS_TORCHAUDIO_EXT_AVAILABLE"]
    setattr(module, STUB_MARKER, True)
    return module


def is_extension_failure(exc: BaseException) -> bool:
    """True if ``exc`` (or an exception it chains) is torchaudio failing to load its
    extension library; False for anything else (torchaudio or torch missing, a bug)."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ModuleNotFoundError) and cur.name in ("torchaudio", "torch"):
            return False
        msg = str(cur)
        if any(part in msg for part in ("_torchaudio", "libtorchaudio", "libc10_cuda")):
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def extension_stubbed() -> bool:
    """True if torchaudio was imported with its extension marked unavailable."""
    module = sys.modules.get(EXT_MODULE)
    return bool(module is not None and getattr(module, STUB_MARKER, False))


class _TolerantLoader:
    """Runs the real ``torchaudio._extension``; completes it as a stub only when the
    extension library fails to load."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def create_module(self, spec: ModuleSpec) -> types.ModuleType | None:
        return self.real.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        try:
            self.real.exec_module(module)
        except (OSError, ImportError) as exc:
            if not is_extension_failure(exc):
                raise
            stub_extension(module)
            module.__espnet3_prep_error__ = f"{type(exc).__name__}: {exc}"


class _ExtensionFinder:
    """Finds ``torchaudio._extension`` with the other finders and wraps its loader."""

    _espnet3_prep_torchaudio_hook = True  # FINDER_MARKER: one finder, however imported

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: types.ModuleType | None = None) -> ModuleSpec | None:
        if fullname != EXT_MODULE:
            return None
        others = [f for f in sys.meta_path if not getattr(f, FINDER_MARKER, False)]
        for finder in others:
            find = getattr(finder, "find_spec", None)
            spec = find(fullname, path, target) if find else None
            if spec is not None and spec.loader is not None:
                spec.loader = _TolerantLoader(spec.loader)
                return spec
        return None


def register(force: bool = False) -> bool:
    """Put the finder first on ``sys.meta_path`` (idempotent). Returns False, doing
    nothing, when ``ESPNET3_PREP_TORCHAUDIO_HOOK=0`` disables it (unless ``force``)."""
    disabled = os.environ.get(DISABLE_ENV, "1").strip().lower() in ("0", "false", "no", "off")
    if disabled and not force:
        return False
    if not any(getattr(f, FINDER_MARKER, False) for f in sys.meta_path):
        sys.meta_path.insert(0, _ExtensionFinder())
    return True


def install(site_dir: str | None = None) -> Path:
    """Write ``espnet3_prep_torchaudio_hook.pth`` into ``site_dir`` (default: this
    interpreter's purelib site-packages); rewriting an identical file is a no-op."""
    import sysconfig
    from pathlib import Path

    target = Path(site_dir or sysconfig.get_paths()["purelib"]) / PTH_NAME
    if target.exists() and target.read_text() == PTH_LINE:
        return target
    tmp = target.with_name(f".{PTH_NAME}.{os.getpid()}.tmp")
    tmp.write_text(PTH_LINE)
    os.replace(tmp, target)
    return target


def _status() -> str:
    import sysconfig
    from pathlib import Path

    pth = Path(sysconfig.get_paths()["purelib"]) / PTH_NAME
    try:
        import torchaudio  # noqa: F401

        state = ("extension unavailable, pure-Python torchaudio usable" if extension_stubbed()
                 else "imported normally (hook not needed)")
    except ImportError as exc:
        state = f"not importable: {exc}"
    return f"{pth}: {'present' if pth.exists() else 'MISSING'}; torchaudio {state}"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m espnet3_prep_torchaudio_hook install [SITE_DIR] | status``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["install"] and len(args) <= 2:
        print(f"installed {install(args[1] if len(args) == 2 else None)}")
        return 0
    if args == ["status"]:
        print(_status())
        return 0
    print("usage: python -m espnet3_prep_torchaudio_hook install [SITE_DIR] | status",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
else:  # imported (from the .pth at start-up): never break the interpreter
    try:  # noqa: SIM105 - contextlib is not imported at start-up either
        register()
    except Exception:  # noqa: BLE001 - a broken hook must not stop Python from starting
        pass
