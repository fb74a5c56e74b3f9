"""Turning a parser's low-level exceptions into :class:`~anymole.errors.FormatError` naming the
file: :func:`wrap_errors`, shared by every reader and writer of :mod:`anymole.io`."""

from __future__ import annotations

import contextlib
import struct
from pathlib import Path
from typing import Iterator

from anymole.errors import AnymoleError, FormatError

# Low-level exceptions a parser can leak on a malformed file; readers turn them into FormatError.
LOW_LEVEL_ERRORS = (
    IndexError,
    KeyError,
    ValueError,
    TypeError,
    AttributeError,
    struct.error,
    UnicodeDecodeError,
    OverflowError,
    RuntimeError,
    AssertionError,
)


@contextlib.contextmanager
def wrap_errors(path: str | Path, what: str) -> Iterator[None]:
    """Re-raise low-level parser exceptions (and domain ValidationErrors) as :class:`FormatError`
    naming ``path`` and ``what`` was being done. FormatError passes through unchanged."""
    try:
        yield
    except FormatError:
        raise
    except OSError as exc:
        raise FormatError(path, f"cannot read file: {exc.strerror or exc}") from exc
    except (AnymoleError, *LOW_LEVEL_ERRORS) as exc:
        msg = str(exc) or type(exc).__name__
        raise FormatError(path, f"{what}: {msg}") from exc
