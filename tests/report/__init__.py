"""Tests of espnet3_prep.report."""
