"""Where the RL task app is: one precedence for every command.

`--task-url` › `TASK_APP_URL` (or its alias `TASK_APP_BASE_URL`) › `[services].task_url` of the
config. The environment values come from env resolution (flags, shell, .env files), never from a
direct read of the process environment here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

VARIABLES = ("TASK_APP_URL", "TASK_APP_BASE_URL")


@dataclass(frozen=True)
class TaskUrl:
    """The chosen URL (surrounding blanks stripped) and where it came from, for messages."""

    url: str
    source: str


def config_task_url(config: Mapping[str, Any] | None) -> str | None:
    """`[services].task_url` of a config document, when it is a non-empty string."""
    services = config.get("services") if isinstance(config, Mapping) else None
    value = services.get("task_url") if isinstance(services, Mapping) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def choose_task_url(*, flag: str | None, env: Mapping[str, str] | None = None,
                    config: Mapping[str, Any] | None = None, env_source: str = "",
                    config_path: Any = None) -> TaskUrl | None:
    """The task URL by precedence, or None when none is set.

    `env` holds resolved values by variable name; `env_source` says where they came from
    (e.g. "shell"); `config_path` names the config in the source text.
    """
    if isinstance(flag, str) and flag.strip():
        return TaskUrl(flag.strip(), "--task-url")
    for name in VARIABLES:
        value = (env or {}).get(name)
        if isinstance(value, str) and value.strip():
            where = f"{name}" + (f", {env_source}" if env_source else "")
            return TaskUrl(value.strip(), where)
    from_config = config_task_url(config)
    if from_config:
        where = f"[services].task_url of {config_path}" if config_path else "[services].task_url"
        return TaskUrl(from_config, where)
    return None
