"""Domain exceptions. The server maps these to gRPC status codes in one place."""

from __future__ import annotations

from pathlib import Path


class AnymoleError(Exception):
    """Base class of every error the library raises on purpose."""


class ValidationError(AnymoleError, ValueError):
    """Input data is malformed. ``field`` names what is wrong (e.g. ``"skeleton.parents"``)."""

    def __init__(self, field: str, problem: str):
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class FormatError(AnymoleError, ValueError):
    """A file could not be read or written. The message names the file and the problem."""

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class UnsupportedError(AnymoleError):
    """A method, prior or feature needs something this installation lacks."""
