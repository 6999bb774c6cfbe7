"""The `init` command: a commented starter config (and, for SFT, a 3-line example dataset) that
`validate` accepts and the embedded backend runs. Never overwrites: an existing file is an error."""

from __future__ import annotations

from pathlib import Path

from ..console import Output, command_name
from ..errors import UsageError

TEMPLATES = Path(__file__).resolve().parents[1] / "config" / "templates"
KINDS = ("rl", "sft")


def starter_files(kind: str, path: Path) -> dict[Path, str]:
    """The files `init` writes (config, and the SFT dataset next to it) and their text."""
    dataset = path.with_name(f"{path.stem}-data.jsonl")
    text = (TEMPLATES / f"{kind}.toml").read_text(encoding="utf-8")
    text = text.replace("__CONFIG__", str(path)).replace("__DATASET__", dataset.name)
    files = {path: text}
    if kind == "sft":
        files[dataset] = (TEMPLATES / "sft-data.jsonl").read_text(encoding="utf-8")
    return files


def run_init(out: Output, *, kind: str, path: str | None = None) -> int:
    """Write the starter files; exit 2 (nothing written) when one of them exists."""
    from ..flags import parse_choice

    kind = parse_choice(kind, "kind", KINDS)
    target = Path(path) if path else Path(f"{kind}.toml")
    if target.suffix != ".toml":
        raise UsageError(f"{target}: a config file name ends in .toml", hint=f"e.g. {command_name()} init {kind} "
                                                                              f"--path my-{kind}.toml")
    files = starter_files(kind, target)
    existing = [str(p) for p in files if p.exists()]
    if existing:
        raise UsageError(f"not overwriting {', '.join(existing)}",
                         hint="pick another --path, or move the existing file away")
    target.parent.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        for file, text in files.items():
            with open(file, "x", encoding="utf-8") as fh:  # "x": fails rather than overwrite, even in a race
                fh.write(text)
            written.append(file)
    except FileExistsError as exc:
        for file in written:
            file.unlink()
        raise UsageError(f"not overwriting {exc.filename}") from None
    dataset = next((str(p) for p in written if p.suffix == ".jsonl"), None)
    if out.json_mode:
        out.emit_json({"type": kind, "config": str(target), "dataset": dataset})
        return 0
    out.result(f"wrote {target}" + (f" and {dataset} (3 example lines)" if dataset else ""))
    program = command_name()
    out.info(f"next: {program} validate --config {target}   then   {program} train --config {target}")
    return 0
