"""The `bench` command(s) of survival-search."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def register(
    sub: argparse._SubParsersAction,
    db: argparse.ArgumentParser,
    commands: dict[str, Callable[[argparse.Namespace], int]],
) -> None:
    """Add this module's sub-commands to the parser and their handlers to ``commands``."""
