"""Files that jobs execute are private: created ``0700``/``0600`` whatever the umask, and
refused by a job when someone else could have written them.

Job folders, job specs, submitit's pickles, scheduler logs, TLS certificates and the output
lock hold code a job imports or unpickles (or secrets). On a shared filesystem a
group-writable job folder would let another user inject code that runs as you; output data
(manifests, features) keeps the user's umask, since it is meant to be shared.
"""

from __future__ import annotations

import os
import shlex
import stat
import sys
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_dir(path: str | Path) -> Path:
    """Create ``path`` (and missing parents) and make it ``0700``, whatever the umask."""
    directory = Path(path)
    directory.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    os.chmod(directory, PRIVATE_DIR_MODE)
    return directory


def exposure(path: str | Path) -> str | None:
    """Why another user may have written ``path``, or None.

    A path is exposed when it is group- or other-writable, or owned by another user
    (root excepted). Checking a file and its folder is enough: a folder you own that
    nobody else can write cannot have its entries replaced, and a folder put in its place
    would belong to someone else. A missing path is not exposed (the caller reports it)."""
    try:
        info = Path(path).stat()
    except FileNotFoundError:
        return None
    mode = stat.S_IMODE(info.st_mode)
    writers = [who for who, bit in (("its group", stat.S_IWGRP), ("others", stat.S_IWOTH))
               if mode & bit]
    if writers:
        return f"{path} is writable by {' and '.join(writers)} (mode {mode:04o})"
    if info.st_uid not in (os.geteuid(), 0):
        return f"{path} belongs to uid {info.st_uid}, not to you (uid {os.geteuid()})"
    return None


def refuse_exposed(paths: list[str | Path], what: str) -> str | None:
    """The message a job prints before refusing exposed ``paths`` (None: all private)."""
    for path in paths:
        problem = exposure(path)
        if problem:
            return (f"refusing to run: {problem}. Another user could have changed the {what} "
                    "this job is about to import or unpickle, and it would run as you. Fix: "
                    f"`chmod -R go-w {path}` (and check what it holds), "
                    "then resubmit.")
    return None


def folder_check_line(folder: str | Path) -> str:
    """Job-script line refusing a job folder another user can write (exit 1, with why)."""
    code = "import sys; from espnet3_prep.storage.private import main; sys.exit(main())"
    return f"{shlex.join([sys.executable, '-c', code, str(folder)])} || exit 1"


def main(argv: list[str] | None = None) -> int:
    """``python -m espnet3_prep.storage.private FOLDER``: exit 1 if the folder is exposed
    (a job-script line run before submitit unpickles the job from ``FOLDER``)."""
    args = sys.argv[1:] if argv is None else argv
    problem = refuse_exposed(list(args), "job folder")
    if problem:
        print(f"espnet3-prep: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
