"""The `preflight` command: validate RL config(s), resolve credentials and the task URL(s), run the
checks (`synthlaunch.preflight`), show them.

With several configs each distinct task URL is checked once, in order, stopping at the first failure.
Exit 0 when everything passed (warnings allowed); otherwise the error is raised already reported:
PreflightError (3) or BackendError / BackendUnreachable (4).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..console import Output
from ..errors import EnvError, UsageError
from ..task_url import choose_task_url

if TYPE_CHECKING:  # pragma: no cover
    from ..config import LoadedConfig
    from ..env import ResolvedEnv
    from ..preflight import PreflightReport


@dataclass
class Target:
    """One task app to check: its URL and where the URL came from (for messages)."""

    url: str
    source: str


def _load_rl_configs(out: Output, configs: list[str]) -> list["LoadedConfig"]:
    """Validate every config first (no network, no secrets read); only RL configs make sense here."""
    from ..config import load_and_validate

    loaded = []
    for path in configs:
        cfg = load_and_validate(path, check_files=False)  # datasets do not matter to preflight
        for warning in cfg.warnings:
            out.warn(str(warning))
        if cfg.type != "rl":
            raise UsageError(f"{path} is an {cfg.type.upper()} config: preflight checks RL task apps only",
                             hint="pass an RL config, or --task-url URL without a config")
        loaded.append(cfg)
    return loaded


def _config_paths(out: Output, configs: list[str], task_url: str | None) -> list[str]:
    """--config as given; with none and no task URL from the flag or the shell, offer the discovered RL
    configs on a terminal (none found: go on, TASK_APP_URL may still come from a .env file)."""
    if configs or not out.interactive or choose_task_url(flag=task_url, env=os.environ) is not None:
        return list(configs)
    from ..config import choose_configs, discover_configs

    if not discover_configs(type_filter="rl"):
        return []
    return [str(path) for path in choose_configs(out, [], "rl")]


def resolve_targets(out: Output, *, configs: list[str], task_url: str | None, backend: str | None,
                    env_files: list[str], allow_insecure_http: bool = False) -> tuple[list[Target], "ResolvedEnv"]:
    """Configs validated first, then credentials, then the task URL(s): (targets, ResolvedEnv)."""
    from ..env import TASK_APP_URL, required_keys, resolve_env
    from ..preflight import check_task_url
    from ..task_url import config_task_url

    loaded = _load_rl_configs(out, _config_paths(out, configs, task_url))
    url_known = bool(task_url) or (bool(loaded) and all(config_task_url(cfg.data) for cfg in loaded))
    env = resolve_env(out, required=required_keys("rl", task_url_known=url_known), env_files=env_files,
                      search_dirs=[Path.cwd(), *(Path(cfg.path).parent for cfg in loaded)],
                      flag_values={TASK_APP_URL: task_url}, backend_flag=backend,
                      allow_insecure_http=allow_insecure_http)
    targets: list[Target] = []
    each: list[LoadedConfig | None] = [*loaded] or [None]
    for cfg in each:
        picked = choose_task_url(flag=task_url, env=env.values, config=cfg.data if cfg else None,
                                 env_source=env.sources.get(TASK_APP_URL, ""),
                                 config_path=cfg.path if cfg else None)
        if picked is None:
            raise EnvError("no task app URL: pass --task-url, set TASK_APP_URL, or set [services].task_url "
                           "in the RL config")
        url = check_task_url(picked.url, source=picked.source, allow_insecure_http=allow_insecure_http)
        if all(t.url != url for t in targets):
            targets.append(Target(url, picked.source))
    return targets, env


def run_preflight(out: Output, configs: list[str], task_url: str | None, backend: str | None,
                  env_files: list[str], allow_insecure_http: bool = False) -> int:
    """Entry point of `preflight` (see the module docstring)."""
    from ..clients import make_client
    from ..preflight import run_checks
    from ..render.failure import raise_shown_preflight
    from ..render.tables import render_preflight

    targets, env = resolve_targets(out, configs=list(configs or []), task_url=task_url, backend=backend,
                                   env_files=list(env_files or []), allow_insecure_http=allow_insecure_http)
    client = make_client(env)
    key, aliases = env.environment_api_key or "", env.environment_api_key_aliases
    reports: list[PreflightReport] = []
    for target in targets:
        out.info(f"preflight: backend {client.base_url} · task app {target.url} (from {target.source})")
        from ..preflight import unreachable_task_url

        warning = unreachable_task_url(target.url, client.base_url)
        if warning:
            out.warn(warning)
        report = run_checks(client, target.url, key, aliases=aliases)
        reports.append(report)
        if not report.ok:
            break
    for report in reports:
        render_preflight(out, report)
    if out.json_mode:
        doc: Any = reports[0].as_dict() if len(reports) == 1 else \
            {"ok": all(r.ok for r in reports), "reports": [r.as_dict() for r in reports]}
        out.emit_json(doc)
    failed = next((r for r in reports if not r.ok), None)
    if failed is not None:
        raise_shown_preflight(out, failed)
    out.result("preflight passed" + (f" ({sum(len(r.warnings) for r in reports)} warning(s))"
                                     if any(r.warnings for r in reports) else ""))
    return 0
