"""Bad-input corpus: malformed configs, datasets and .env files → exit 2, the file and place named.

Hand-written cases live in `corpus/` (listed in `corpus/cases.toml`); more are generated here:
every schema key of the demo configs given a value of the wrong kind or out of range (or removed
when required), TOML syntax broken on each line, dataset lines corrupted in many ways at several
positions, and .env files with unusable keys and URLs. For every case: exit code 2, the file's
name and the place (line, or dotted key / variable name) in the message, no traceback, no secret
fragment in the output, and nothing uploaded and no job created on a live backend that would
have accepted the run. Most cases run in-process (`synthlaunch.program`), a representative
subset through a real `inv` subprocess.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
import tomllib

from synthlaunch.config import schema
from tests.support.cli import REPO, project, run, run_in_process
from tests.support.env import TOOL_VARIABLES, user_env
from tests.support.keys import API_KEY, ENV_KEY
from tests.support.leaks import leaked
from tests.support.servers import Backend as BackendServer
from tests.support.servers import running

pytestmark = pytest.mark.timeout(120)

CORPUS = Path(__file__).parent / "corpus"
GOOD_LINE = '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}'


@dataclass(frozen=True)
class Case:
    name: str
    kind: str            # config | dataset | env
    job: str             # sft | rl
    place: str           # substring the message must contain (`:LINE`, `[section].key`, a variable name)
    content: bytes       # file content ({BACKEND} {API_KEY} {ENV_KEY} filled in for env files)
    suffix: str
    line_choices: tuple[int, ...] = ()  # for TOML syntax cases: the line reported may be any of these

    @property
    def filename(self) -> str:
        return re.sub(r"[^A-Za-z0-9_.-]", "_", self.name) + self.suffix


# -- hand-written cases -------------------------------------------------------------------------

def hand_written() -> list[Case]:
    manifest = tomllib.loads((CORPUS / "cases.toml").read_text())
    cases = []
    for entry in manifest["case"]:
        path = CORPUS / entry["file"]
        cases.append(Case(f"hand-{entry['kind']}-{path.stem}", entry["kind"], entry["job"], entry["place"],
                          path.read_bytes(), path.suffix))
    return cases


# -- generated cases ----------------------------------------------------------------------------

def _sections(prefix: str) -> dict[str, schema.Section]:
    return {s.name: s for n, s in vars(schema).items() if n.startswith(prefix) and isinstance(s, schema.Section)}


def _bad_values(spec: schema.Key) -> list[str]:
    """TOML literals that `spec` must reject."""
    if spec.kind == "int":
        bad = ['"7"', "true", "1.5"]
        if spec.exclusive_min == 0:
            bad.append("0")
        if spec.exclusive_min == 0 or spec.minimum == 0:
            bad.append("-1")
        return bad
    if spec.kind == "number":
        bad = ['"0.1"', "false"]
        if spec.exclusive_min == 0:
            bad += ["0", "-0.5"]
        if spec.maximum is not None:
            bad.append(str(spec.maximum + 1))
        return bad
    if spec.kind == "str":
        bad = ["1", "[]"]
        if spec.choices:
            bad.append('"bogus-choice"')
        elif spec.nonempty:
            bad.append('""')
        return bad
    if spec.kind == "bool":
        return ['"yes"', "1"]
    if spec.kind == "list[int]":
        return ['["a"]', "3"]
    if spec.kind == "list[str]":
        return ["[1]", '"x"']
    return []


def _keyed_lines(text: str) -> Iterator[tuple[int, str, str, str]]:
    """(index, section, key, value) for every `key = value` line of a simple TOML file."""
    section = ""
    for i, line in enumerate(text.splitlines()):
        header = re.match(r"^\[([A-Za-z0-9_.]+)\]\s*$", line)
        if header:
            section = header.group(1)
            continue
        m = re.match(r"^([A-Za-z0-9_]+)\s*=\s*(.+)$", line)
        if m:
            yield i, section, m.group(1), m.group(2)


def config_mutations() -> list[Case]:
    cases = []
    for job, prefix, base in (("sft", "SFT_", REPO / "configs/sft/demo.toml"), ("rl", "RL_", REPO / "configs/rl/demo.toml")):
        text = base.read_text()
        lines = text.splitlines()
        sections = _sections(prefix)
        for i, section, key, _ in _keyed_lines(text):
            spec = sections.get(section).keys.get(key) if section in sections else None
            if spec is None:
                continue
            place = f"[{section}].{key}"
            for n, value in enumerate(_bad_values(spec)):
                changed = lines[:i] + [f"{key} = {value}"] + lines[i + 1:]
                cases.append(Case(f"gen-config-{job}-{section}.{key}-{n}", "config", job, place,
                                  ("\n".join(changed) + "\n").encode(), ".toml"))
            if spec.required and not (job == "sft" and section == "job" and key == "model"):
                cases.append(Case(f"gen-config-{job}-{section}.{key}-removed", "config", job, place,
                                  ("\n".join(lines[:i] + lines[i + 1:]) + "\n").encode(), ".toml"))
    return cases


def toml_syntax_breaks() -> list[Case]:
    """Each key line and header of the SFT demo config broken in three ways."""
    text = (REPO / "configs/sft/demo.toml").read_text()
    lines = text.splitlines()
    cases = []
    for i, line in enumerate(lines):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        number = i + 1
        if line.startswith("["):
            variants = {"unclosed": line.rstrip("]"), "doubled": line + "\n" + line}
        else:
            key, _, value = line.partition("=")
            variants = {"unterminated": f'{key}= "{value.strip().strip(chr(34))}',
                        "doubled": line + "\n" + line,
                        "double-equals": f"{key}== {value.strip()}"}
        for label, broken in variants.items():
            new = "\n".join(lines[:i] + [broken] + lines[i + 1:]) + "\n"
            cases.append(Case(f"gen-toml-line{number}-{label}", "config", "sft", "invalid TOML",
                              new.encode(), ".toml", line_choices=(number, number + 1)))
    return cases


def _line(obj: Any) -> str:
    return json.dumps(obj)


DATASET_CORRUPTIONS: dict[str, bytes] = {
    "truncated": GOOD_LINE[:30].encode(),
    "bare-word": b"hello",
    "array": b"[]",
    "number": b"42",
    "null": b"null",
    "no-messages": _line({"prompt": "x"}).encode(),
    "messages-empty": _line({"messages": []}).encode(),
    "messages-object": _line({"messages": {"role": "user"}}).encode(),
    "message-string": _line({"messages": ["hi"]}).encode(),
    "role-missing": _line({"messages": [{"content": "x"}]}).encode(),
    "role-empty": _line({"messages": [{"role": "", "content": "x"}]}).encode(),
    "role-number": _line({"messages": [{"role": 1, "content": "x"}]}).encode(),
    "content-number": _line({"messages": [{"role": "user", "content": 3.5}]}).encode(),
    "content-bool": _line({"messages": [{"role": "user", "content": True}]}).encode(),
    "tool-calls-string": _line({"messages": [{"role": "assistant", "content": "x", "tool_calls": "f"}]}).encode(),
    "tool-call-unnamed": _line({"messages": [{"role": "assistant", "content": None,
                                              "tool_calls": [{"function": {"name": ""}}]}]}).encode(),
    "tools-object": _line({"messages": [{"role": "user", "content": "x"}], "tools": {"name": "f"}}).encode(),
    "tool-name-empty": _line({"messages": [{"role": "user", "content": "x"}], "tools": [{"name": ""}]}).encode(),
    "tool-description-number": _line({"messages": [{"role": "user", "content": "x"}],
                                      "tools": [{"name": "f", "description": 1}]}).encode(),
    "tool-parameters-string": _line({"messages": [{"role": "user", "content": "x"}],
                                     "tools": [{"name": "f", "parameters": "{}"}]}).encode(),
    "metadata-list": _line({"messages": [{"role": "user", "content": "x"}], "metadata": [1]}).encode(),
    "name-number": _line({"messages": [{"role": "user", "content": "x", "name": 1}]}).encode(),
    "reasoning-list": _line({"messages": [{"role": "assistant", "content": "x", "reasoning": ["r"]}]}).encode(),
    "raw-content-number": _line({"messages": [{"role": "assistant", "content": "x", "raw_content": 2}]}).encode(),
    "latin1-byte": b'{"messages": [{"role": "user", "content": "caf\xe9"}]}',
    "trailing-garbage": (GOOD_LINE + " x").encode(),
}


def dataset_corruptions() -> list[Case]:
    good = (REPO / "configs/datasets/demo.jsonl").read_bytes().splitlines()
    cases = []
    for label, bad in DATASET_CORRUPTIONS.items():
        for position in (1, len(good) // 2, len(good)):
            lines = good[:position - 1] + [bad] + good[position:]
            cases.append(Case(f"gen-dataset-{label}-line{position}", "dataset", "sft", f":{position}:",
                              b"\n".join(lines) + b"\n", ".jsonl"))
    return cases


KEY_CORRUPTIONS = {
    "empty": "{name}=\n", "no-equals": "{name}\n", "space": '{name}="{value} x"\n', "tab": '{name}="{value}\tx"\n',
    "accent": "{name}={value}é\n", "cjk": "{name}={value}中\n", "emoji": "{name}={value}🔑\n",
    "nul": "{name}={value}\x00\n", "carriage-return": '{name}="{value}\rx"\n', "newline": '{name}="{value}\nx"\n',
    "unterminated-quote": "{name}='{value}\n", "export-only": "export {name}\n",
}
BACKEND_CORRUPTIONS = {
    "ftp": "ftp://127.0.0.1:8000", "no-scheme": "127.0.0.1:8000", "no-host": "http://", "port-letters": "http://127.0.0.1:8o00",
    "port-too-big": "http://127.0.0.1:70000", "query": "{BACKEND}?a=1", "fragment": "{BACKEND}#x", "space": "http://local host",
}
TASK_URL_CORRUPTIONS = {"plain-word": "taskapp", "ftp": "ftp://127.0.0.1:8001", "no-host": "https://",
                        "port-letters": "http://127.0.0.1:80x1", "mailto": "mailto:x@example.com"}


def env_corruptions() -> list[Case]:
    cases = []
    base = "BACKEND_BASE_URL={BACKEND}\n"
    for label, template in KEY_CORRUPTIONS.items():
        sft = base + template.format(name="SYNTH_API_KEY", value="{API_KEY}")
        cases.append(Case(f"gen-env-synth-key-{label}", "env", "sft", "SYNTH_API_KEY", sft.encode(), ".env"))
        rl = base + "SYNTH_API_KEY={API_KEY}\n" + template.format(name="ENVIRONMENT_API_KEY", value="{ENV_KEY}")
        cases.append(Case(f"gen-env-environment-key-{label}", "env", "rl", "ENVIRONMENT_API_KEY", rl.encode(), ".env"))
    for label, url in BACKEND_CORRUPTIONS.items():
        text = f"SYNTH_API_KEY={{API_KEY}}\nBACKEND_BASE_URL={url}\n"
        cases.append(Case(f"gen-env-backend-{label}", "env", "sft", "BACKEND_BASE_URL", text.encode(), ".env"))
    for label, url in TASK_URL_CORRUPTIONS.items():
        text = base + f"SYNTH_API_KEY={{API_KEY}}\nENVIRONMENT_API_KEY={{ENV_KEY}}\nTASK_APP_URL={url}\n"
        cases.append(Case(f"gen-env-task-url-{label}", "env", "rl", "TASK_APP_URL", text.encode(), ".env"))
    good = [b"# credentials", b"BACKEND_BASE_URL={BACKEND}", b"SYNTH_API_KEY={API_KEY}", b"OTHER=1"]
    for position in range(1, len(good) + 1):
        lines = list(good)
        lines[position - 1] = lines[position - 1] + b"\xff\xfe"
        cases.append(Case(f"gen-env-not-utf8-line{position}", "env", "sft", f"line {position}",
                          b"\n".join(lines) + b"\n", ".env"))
    return cases


ALL = hand_written() + config_mutations() + toml_syntax_breaks() + dataset_corruptions() + env_corruptions()
#: a representative subset run as real `inv` subprocesses: hand-written cases of every kind, spread out
SUBPROCESS = [c for c in ALL if c.name.startswith("hand-")][::7]


def test_corpus_is_big_and_varied() -> None:
    kinds = {k: sum(1 for c in ALL if c.kind == k) for k in ("config", "dataset", "env")}
    assert len(ALL) >= 200 and min(kinds.values()) >= 30, kinds
    assert len({c.name for c in ALL}) == len(ALL), "case names must be unique"
    assert 12 <= len(SUBPROCESS) <= 20


# -- the run ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def backend(tmp_path_factory) -> Iterator[BackendServer]:
    """A live backend that would accept every run: it must stay empty."""
    with running() as servers:
        yield servers.start(BackendServer(api_keys=[API_KEY], environment_api_keys=[ENV_KEY], step_seconds=0.01,
                                          data_dir=tmp_path_factory.mktemp("corpus-backend")))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, backend) -> Iterator[Path]:
    """A user project (demo configs and dataset, a good .env), the process environment of a CI run."""
    tmp = tmp_path_factory.mktemp("corpus")
    root = project(tmp)
    (root / "configs" / "corpus").mkdir()
    (root / "good.env").write_text(f"SYNTH_API_KEY={API_KEY}\nENVIRONMENT_API_KEY={ENV_KEY}\n")
    with pytest.MonkeyPatch.context() as mp:
        for name in TOOL_VARIABLES:
            mp.delenv(name, raising=False)
        for name, value in user_env(tmp).items():
            if name not in os.environ or os.environ[name] != value:
                mp.setenv(name, value)
        mp.chdir(root)
        yield root


def materialise(case: Case, root: Path, backend: BackendServer) -> list[str]:
    """Write the case's file into the project and return the `train` arguments that use it."""
    content = (case.content.replace(b"{BACKEND}", backend.root.encode()).replace(b"{API_KEY}", API_KEY.encode())
               .replace(b"{ENV_KEY}", ENV_KEY.encode()))
    demo = f"configs/{case.job}/demo.toml"
    common = ["--no-input", "--poll-interval", "0.1", "--poll-timeout", "30"]
    if case.kind == "config":
        path = root / "configs" / "corpus" / case.filename
        path.write_bytes(content)
        return ["train", "--config", str(path.relative_to(root)), "--env-file", "good.env",
                "--backend", backend.root, *common]
    if case.kind == "dataset":
        path = root / "data" / case.filename
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(content)
        return ["train", "--config", demo, "--dataset", str(path.relative_to(root)), "--env-file", "good.env",
                "--backend", backend.root, *common]
    path = root / "envs" / case.filename
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content)
    return ["train", "--config", demo, "--env-file", str(path.relative_to(root)), *common]


def check(case: Case, code: int, stdout: str, stderr: str, backend: BackendServer,
          before: tuple[int, int]) -> None:
    text = stdout + "\n" + stderr
    assert code == 2, f"{case.name}: exit {code}, expected 2\n{text[-2500:]}"
    assert "Traceback" not in text, f"{case.name}: traceback\n{text[-2500:]}"
    assert case.filename in stderr, f"{case.name}: the file {case.filename} is not named\n{stderr[-2500:]}"
    if case.line_choices:
        reported = [int(n) for n in re.findall(re.escape(case.filename) + r":(\d+)", stderr)]
        assert reported and reported[0] in case.line_choices, \
            f"{case.name}: line {reported} reported, expected one of {case.line_choices}\n{stderr[-2500:]}"
    place = case.filename + case.place if case.place.startswith(":") else case.place  # `file:LINE`
    assert place in stderr, f"{case.name}: the place {place!r} is not named\n{stderr[-2500:]}"
    assert not leaked(text, [API_KEY, ENV_KEY]), f"{case.name}: a secret fragment leaked\n{text[-2500:]}"
    assert inventory(backend) == before, f"{case.name}: a job was created or a file uploaded"


def inventory(backend: BackendServer) -> tuple[int, int]:
    """(jobs, files) on the backend (it starts empty; a case must add nothing)."""
    client = backend.client()
    return len(client.list_jobs(limit=1000)), len(client.list_files(limit=1000))


@pytest.mark.slow
@pytest.mark.parametrize("case", ALL, ids=lambda c: c.name)
def test_bad_input_in_process(case: Case, workspace: Path, backend: BackendServer) -> None:
    argv = materialise(case, workspace, backend)
    before = inventory(backend)
    result = run_in_process(["synthlaunch", *argv], cwd=workspace)
    check(case, result.code, result.stdout, result.stderr, backend, before)


@pytest.mark.slow
@pytest.mark.parametrize("case", SUBPROCESS, ids=lambda c: c.name)
def test_bad_input_subprocess(case: Case, workspace: Path, backend: BackendServer, tmp_path) -> None:
    argv = materialise(case, workspace, backend)
    before = inventory(backend)
    result = run(["inv", *argv], workspace, user_env(tmp_path), timeout=60)
    check(case, result.code, result.stdout, result.stderr, backend, before)
