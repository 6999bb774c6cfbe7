"""The standalone `synthlaunch` command: the same tasks as `inv`, through an invoke Program.

Like `inv`, it reads Invoke's configuration files (`/etc/invoke.yaml`, `~/.invoke.yaml`) and, in
addition, an `invoke.yaml` in the current folder, so a project can pin defaults such as
`synthlaunch: {backend: …, poll_interval: …}` for both commands.
"""

from __future__ import annotations

import os

from invoke import Program

from . import __version__
from .tasks import ns


class SynthlaunchProgram(Program):
    """An invoke Program whose project configuration is the current folder's `invoke.yaml`."""

    def update_config(self, merge: bool = True) -> None:
        self.config.set_project_location(os.getcwd())
        self.config.load_project(merge=False)
        super().update_config(merge=merge)


program = SynthlaunchProgram(namespace=ns, name="synthlaunch", binary="synthlaunch", version=__version__)


def main() -> None:
    """Entry point of the `synthlaunch` console script."""
    program.run()
