"""Finding training configs when no --config is given, and the numbered picker.

Candidates: `*.toml` in the current folder and below (plus `configs/`), skipping hidden folders,
test folders (fixtures are not configs to train), VCS folders, virtualenvs, node_modules, build
folders and whatever git ignores; only files classified rl/sft (matching --type) are kept; shallow
paths first. On a terminal the user picks by number (several: `1,2`); without one it is an error
that lists the candidates and says to pass --config.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .infer import infer_type
from .load import parse_toml_text

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".venv", "venv", ".env", "env", "virtualenv", "node_modules", "build", "dist",
    "__pycache__", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".cache", "site-packages",
    ".eggs", "target", ".idea", ".vscode", "htmlcov",
})
#: test folders: their TOML files are fixtures (in this repository, 48 invalid configs on purpose)
TEST_DIRS = frozenset({"tests", "test", "testing", "fixtures"})
MAX_DEPTH = 6
MAX_FILES = 2000  # TOML files examined at most (a huge tree must not stall the picker)
MAX_BYTES = 1_000_000  # larger .toml files are not training configs


def _skip_dir(entry: os.DirEntry[str]) -> bool:
    name = entry.name
    if name in SKIP_DIRS or name in TEST_DIRS or name.startswith(".") or name.endswith(".egg-info"):
        return True
    try:
        return os.path.exists(os.path.join(entry.path, "pyvenv.cfg"))  # any virtualenv, whatever its name
    except OSError:
        return True


def classify(path: Path) -> str | None:
    """'rl', 'sft' or None (not a training config, unreadable or invalid TOML)."""
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        data = parse_toml_text(path.read_text(encoding="utf-8"), path)
    except Exception:  # noqa: BLE001 - anything unreadable is simply not a candidate
        return None
    return infer_type(data)


def _walk(root: Path) -> list[Path]:
    found: list[Path] = []
    queue: list[tuple[Path, int]] = [(root, 0)]
    while queue and len(found) < MAX_FILES:  # breadth first: shallow files are seen first
        folder, depth = queue.pop(0)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if depth < MAX_DEPTH and not _skip_dir(entry):
                        queue.append((Path(entry.path), depth + 1))
                elif entry.name.endswith(".toml") and entry.is_file():
                    found.append(Path(entry.path))
            except OSError:
                continue
    return found


def _not_ignored(paths: list[Path], root: Path) -> list[Path]:
    """`paths` without those git ignores (`git check-ignore`); all of them when git cannot tell."""
    import subprocess

    if not paths:
        return paths
    try:
        done = subprocess.run(["git", "check-ignore", "--stdin", "-z"], cwd=root, capture_output=True, timeout=10,
                              input=b"\0".join(os.fsencode(p) for p in paths) + b"\0", check=False)
    except (OSError, subprocess.SubprocessError):
        return paths
    if done.returncode not in (0, 1):  # 128: not a repository (or no git): nothing is ignored
        return paths
    ignored = {os.fsdecode(p) for p in done.stdout.split(b"\0") if p}
    return [p for p in paths if str(p) not in ignored]


def discover_configs(root: Path | None = None, *, type_filter: str | None = None) -> list[tuple[Path, str]]:
    """(path, 'rl'|'sft') of the training configs under `root` (default: the current folder), shallow first."""
    root = Path(root) if root is not None else Path.cwd()
    wanted = None if type_filter in (None, "", "auto") else type_filter
    seen: set[Path] = set()
    result: list[tuple[Path, str]] = []
    for base in (root, root / "configs"):
        if not base.is_dir():
            continue
        for path in _not_ignored(_walk(base), root):
            real = path.resolve()
            if real in seen:
                continue
            seen.add(real)
            kind = classify(path)
            if kind and (wanted is None or kind == wanted):
                result.append((path, kind))
    result.sort(key=lambda item: (len(item[0].relative_to(root).parts) if item[0].is_relative_to(root) else 99,
                                  str(item[0])))
    return result


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def choose_configs(out: Any, configs: list[str] | None, type_filter: str | None = None, *,
                   root: Path | None = None) -> list[Path]:
    """The configs given with --config, in order; else discovery and, on a terminal, a numbered picker."""
    if configs:
        return [Path(c).expanduser() for c in configs]
    root = Path(root) if root is not None else Path.cwd()
    candidates = discover_configs(root, type_filter=type_filter)
    kind = "" if type_filter in (None, "", "auto") else f"{type_filter.upper()} "
    if not candidates:
        raise UsageError(f"no {kind}training config found in {root} (or below, or in configs/)",
                         hint="pass --config PATH to a TOML config")
    listing = [f"  {i}. {_display(p, root)}  ({t})" for i, (p, t) in enumerate(candidates, start=1)]
    if not getattr(out, "interactive", False):
        raise UsageError(f"no --config given; {len(candidates)} {kind}config(s) found:\n" + "\n".join(listing),
                         hint="pass --config PATH (repeatable) to choose; there is no picker without a terminal")
    out.write(f"Pick a {kind}config:")
    out.lines(listing)
    from ..prompts import pick_numbers

    picked = pick_numbers(out, len(candidates), several=True,
                          prompt=f"config number(s) [1-{len(candidates)}, several: 1,2] (q to quit): ",
                          retry=f"please type numbers between 1 and {len(candidates)} (e.g. 1 or 1,2), or q")
    if not picked:
        raise UsageError("no config chosen", hint="pass --config PATH")
    return [candidates[n - 1][0] for n in picked]
