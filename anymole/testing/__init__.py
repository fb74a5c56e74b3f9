"""Helpers for tests and benchmarks: procedural characters with procedural motion, built in code
(no files, no downloads), so that "any skeleton" is exercised on more than one humanoid."""

from anymole.testing.procedural import CHARACTERS, make_character

__all__ = ["CHARACTERS", "make_character"]
