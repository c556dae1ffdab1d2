"""Kaldi data dir tools: validation against Kaldi's rules and ``combine`` (recipes' ``data/``)."""

from espnet3_prep.datadir.combine import combine_data_dirs
from espnet3_prep.datadir.validate import DataDirError, check_data_dir, validate_data_dir

__all__ = ["DataDirError", "check_data_dir", "combine_data_dirs", "validate_data_dir"]
