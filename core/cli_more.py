"""Commands added by later work (training, benchmark, data safety), kept apart from the basics."""

from __future__ import annotations

import argparse
from collections.abc import Callable

MORE_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def add_more_commands(sub: argparse._SubParsersAction, db: argparse.ArgumentParser) -> None:  # noqa: SLF001
    """Register the extra sub-commands on the parser."""
