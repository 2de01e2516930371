"""What the three magics share to read their input: one argparse style, line splitting, one-line messages."""

from __future__ import annotations

import argparse
import shlex
from typing import NoReturn

from sharekit import errors


class HelpShown(Exception):
    """argparse printed --help; the magic returns quietly."""


class MagicParser(argparse.ArgumentParser):
    """An argparse parser for a kernel: errors raise UsageError, --help never exits the process."""

    def error(self, message: str) -> NoReturn:
        raise errors.usage_error(f"{self.prog}: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if status:
            raise errors.usage_error(message or f"{self.prog}: error")
        raise HelpShown()


def key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as err:
        raise errors.usage_error(f"cannot parse the arguments: {err}") from err


def first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]
