"""Tests of espnet3_prep.writers."""
