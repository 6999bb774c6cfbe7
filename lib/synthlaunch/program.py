"""The standalone `synthlaunch` command: the same tasks as `inv`, through an invoke Program."""

from __future__ import annotations

from invoke import Program

from . import __version__
from .tasks import ns



program = Program(namespace=ns, name="synthlaunch", binary="synthlaunch", version=__version__)


def main() -> None:
    """Entry point of the `synthlaunch` console script."""
    program.run()
