"""Tests of the recipes under recipes/."""
