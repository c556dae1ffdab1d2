"""Build hook: the wheel carries ``espnet3_prep_torchaudio_hook.pth`` at its root, so it
lands in site-packages and every interpreter of the environment loads the torchaudio
import hook (see ``espnet3_prep_torchaudio_hook.py``). Editable installs do not copy it:
``make install`` runs ``python -m espnet3_prep_torchaudio_hook install`` for those."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "espnet3_prep_torchaudio_hook.pth"


class BuildPyWithPth(build_py):
    """``build_py`` that also copies the .pth file next to the top-level modules."""

    def run(self) -> None:
        super().run()
        if not getattr(self, "editable_mode", False):
            shutil.copyfile(Path(__file__).parent / PTH, Path(self.build_lib) / PTH)


setup(cmdclass={"build_py": BuildPyWithPth})
