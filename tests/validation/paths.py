"""Bad folders for path keys: missing, a file, unwritable, unreadable — also as root.

Root ignores permission bits, so an unwritable folder is made immutable (``chattr +i``);
an unreadable one can only be shown to a non-root process (see test_cli_errors.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def make_unwritable(folder: Path) -> bool:
    """Make ``folder`` unwritable for this process; False when that is impossible here."""
    folder.chmod(0o555)
    if os.geteuid() != 0:
        return True
    if shutil.which("chattr") is None:
        return False
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
    return done.returncode == 0 and not os.access(folder, os.W_OK)


def make_writable(folder: Path) -> None:
    """Undo :func:`make_unwritable` (so pytest can remove its tmp dirs)."""
    if os.geteuid() == 0 and shutil.which("chattr"):
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True, check=False)
    folder.chmod(0o755)


def bad_folders(root: Path) -> dict[str, Path]:
    """``missing``, ``file`` and ``dir`` paths under ``root`` (created as named)."""
    (root / "a_dir").mkdir(parents=True, exist_ok=True)
    (root / "a_file").write_text("not a folder\n")
    return {"missing": root / "missing" / "deeper", "file": root / "a_file",
            "dir": root / "a_dir", "file_parent": root / "a_file" / "sub"}
