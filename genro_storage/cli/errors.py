"""How the command line fails: one line on stderr and an exit status."""

from __future__ import annotations

import re
import sys

__all__ = [
    "ENV_DEBUG",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "PROG",
    "CliError",
    "fail",
    "one_line",
]

PROG = "genro-storage"
ENV_DEBUG = "GENRO_STORAGE_DEBUG"  # set to 1 to see the traceback of an unexpected error
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C


class CliError(Exception):
    """An error the command line reports as one line, with its exit status."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


def one_line(exc: BaseException) -> str:
    """The exception's message on one line (its type when it has no message)."""
    text = re.sub(r"\s*\n\s*", " ", str(exc).strip())
    return text or type(exc).__name__


def fail(message: str, code: int) -> int:
    """Print ``genro-storage: error: MESSAGE`` on stderr; returns ``code``."""
    sys.stderr.write(f"{PROG}: error: {message}\n")
    sys.stderr.flush()
    return code
