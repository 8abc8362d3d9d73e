"""Commands beyond the basics, one module per concern: training, benchmark, data safety."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from . import cli_bench, cli_safety, cli_train

MORE_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def add_more_commands(sub: argparse._SubParsersAction, db: argparse.ArgumentParser) -> None:
    """Register the extra sub-commands on the parser."""
    for module in (cli_train, cli_bench, cli_safety):
        module.register(sub, db, MORE_COMMANDS)
