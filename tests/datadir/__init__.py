"""Tests of espnet3_prep.datadir."""
