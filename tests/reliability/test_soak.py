"""Soak: 50 `inv train` runs (SFT and RL, 4 at a time) against a backend faulting 30 % of requests.

Every backend route is faulted (429 + Retry-After, 502, 503, dropped connections, latency) at a
30 % rate. All runs share one state and cache folder (as one user's runs would). Proved for
every run: the right exit code (0, or 1 for the runs whose job is made to fail on purpose), exactly
one job per run on the backend with the matching final status, the NDJSON events shown equal
the server's events for that job (same seqs, in order, none twice), and no fragment of a secret
in any output.

The retry policy makes 6 attempts per request (4 for the preflight's calls). At 30 % faults, 24 %
of attempts fail (latency does not), so a request gives up in 1 case of ~300 (preflight) or ~5000;
over the requests a soak makes before its jobs are watched (the watch itself retries until
--poll-timeout) a run gives up with exit 4 in roughly one soak out of ten. That exit is right, so
it is accepted when the run's error is an injected fault (the backend's answer or a dropped
connection) after retries, and the user's remedy is then proved: the same command, run again
still under faults, ends with the expected code, and the run still has exactly one job.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.backend import jobs_on
from tests.support.cli import Result, project, run, write_env
from tests.support.env import user_env
from tests.support.keys import API_KEY, ENV_KEY
from tests.support.leaks import leaked, ndjson
from tests.support.servers import Backend as BackendServer
from tests.support.servers import TaskAppServer, running

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

RUNS = 50
PARALLEL = 4
#: one rule per route the tool uses (disjoint globs, so each request gets exactly one 30 % draw), so the
#: injected count of every rule proves that every route was faulted
ROUTES = ("/api/files*", "/api/rl/verify_task_app", "/api/rl/jobs", "/api/learning/jobs",
          "/api/learning/jobs/*/start", "/api/*/jobs/job_????????????????", "/api/*/jobs/*/events",
          "/api/*/jobs/*/metrics", "/api/*/jobs/*/timeline")
FAULTS = ";".join(f"path={route},rate=0.3,kinds=429+502+503+drop+latency,seed={20261125 + n},retry_after=0.2,"
                  "latency=0.2" for n, route in enumerate(ROUTES))


@dataclass
class Plan:
    index: int
    kind: str          # "sft" | "rl"
    fails: bool        # the job is made to fail on purpose
    config: str        # path relative to the project

    @property
    def expected_code(self) -> int:
        return 1 if self.fails else 0


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[tuple[BackendServer, TaskAppServer]]:
    with running() as servers:
        app = servers.start(TaskAppServer(environment_api_keys=[ENV_KEY]))
        backend = servers.start(BackendServer(api_keys=[API_KEY], environment_api_keys=[ENV_KEY], step_seconds=0.01,
                                              data_dir=tmp_path_factory.mktemp("soak-backend"), faults=FAULTS))
        yield backend, app


def make_plans(root: Path) -> list[Plan]:
    """Distinct configs (so no two runs are the same submission): 26 SFT, 24 RL, 1 in 7 failing."""
    rl_base = (root / "configs" / "rl" / "demo.toml").read_text()
    sft_base = (root / "configs" / "sft" / "demo.toml").read_text()
    lines = (root / "configs" / "datasets" / "demo.jsonl").read_text().splitlines()
    soak = root / "configs" / "soak"
    soak.mkdir()
    plans = []
    for i in range(RUNS):
        kind = "sft" if i % 2 == 0 else "rl"
        fails = i % 7 == 3
        if kind == "rl":
            text = rl_base.replace('label = "synthlaunch-rl-demo"', f'label = "soak-{i}"')
            if fails:
                text += "\n[emulation]\nfail_at_step = 2\n"
        else:
            first = json.loads(lines[0])
            first["metadata"] = {"soak_run": i, **({"emulation": {"fail_at_step": 2}} if fails else {})}
            (soak / f"data-{i}.jsonl").write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
            text = sft_base.replace('data = "../datasets/demo.jsonl"', f'data = "data-{i}.jsonl"')
        path = soak / f"{kind}-{i}.toml"
        path.write_text(text)
        plans.append(Plan(i, kind, fails, str(path.relative_to(root))))
    return plans


def test_soak_50_runs_under_30_percent_faults(servers, tmp_path) -> None:
    backend, app = servers
    root = project(tmp_path)
    write_env(root / ".env", SYNTH_API_KEY=API_KEY, ENVIRONMENT_API_KEY=ENV_KEY)
    env = user_env(tmp_path)  # one state dir and one upload cache shared by all runs
    plans = make_plans(root)
    before = jobs_on(_no_faults(backend))
    backend.set_faults(FAULTS)

    def one(plan: Plan) -> Result:
        args = ["inv", "train", "--config", plan.config, "--env-file", ".env", "--backend", backend.root,
                "--poll-interval", "0.1", "--poll-timeout", "120", "--no-input", "--json"]
        if plan.kind == "rl":
            args += ["--task-url", app.url]
        return run(args, root, env, timeout=200)

    with ThreadPoolExecutor(PARALLEL) as pool:
        results = list(pool.map(one, plans))
    gave_up = []
    for plan, result in zip(plans, results):
        for _ in range(2):  # rerun, still under faults, what gave up after its retry budget
            if result.code != 4 or not gave_up_on_a_fault(result):
                break
            gave_up.append(plan.index)
            result = results[plan.index] = one(plan)
    per_route = {rule["path"]: rule["injected"] for rule in backend.injector.as_dict()["rules"]}
    injected = sum(per_route.values())
    backend.clear_faults()
    retries = sum(r.stderr.count("retrying ") for r in results)
    print(f"soak: {RUNS} runs, {injected} faults injected ({per_route}), {retries} retry lines shown, "
          f"runs rerun after giving up: {gave_up}")

    problems: list[str] = []
    job_ids: list[str] = []
    server_jobs = {k: v for k, v in jobs_on(backend).items() if k not in before}
    client = backend.client()
    for plan, result in zip(plans, results):
        label = f"run {plan.index} ({plan.kind}{', fails on purpose' if plan.fails else ''})"
        if result.code != plan.expected_code:
            problems.append(f"{label}: exit {result.code}, expected {plan.expected_code}:\n{result.stderr[-1500:]}")
            continue
        found = leaked(result.output, [API_KEY, ENV_KEY])
        if found:
            at = result.output.find(found[0])
            problems.append(f"{label}: a secret fragment leaked: {found[0]!r} in "
                            f"{result.output[max(0, at - 120):at + 60]!r}")
        docs = ndjson(result.stdout)
        summary = docs[-1]
        assert summary.get("type") == "train.summary", f"{label}: last line is not the summary"
        job_id = summary["runs"][0]["job_id"]
        job_ids.append(job_id)
        job = server_jobs.get(job_id)
        if job is None:
            problems.append(f"{label}: job {job_id} is not on the backend")
            continue
        want = "failed" if plan.fails else "succeeded"
        if job["status"] != want or summary["runs"][0]["status"] != want:
            problems.append(f"{label}: status server={job['status']} shown={summary['runs'][0]['status']}, "
                            f"expected {want}")
        shown = [d["seq"] for d in docs if d.get("record") == "event"]
        prefix = "rl" if plan.kind == "rl" else "learning"
        served = [e["seq"] for e in client.get_events(prefix, job_id, since_seq=0, limit=1000)]
        if shown != served:
            problems.append(f"{label}: events shown {shown} != server's {served}")
    assert not problems, f"{len(problems)} run(s) wrong:\n" + "\n".join(problems)
    assert len(job_ids) == len(set(job_ids)) == RUNS, "two runs reported the same job"
    assert set(server_jobs) == set(job_ids), \
        f"the backend holds {len(server_jobs)} new jobs for {RUNS} runs (extra: {set(server_jobs) - set(job_ids)})"
    assert injected >= 100, f"only {injected} faults were injected: the soak did not exercise the retries"
    assert all(per_route.values()), f"some routes were never faulted: {per_route}"
    pending = json.loads((tmp_path / ".state" / "pending-submissions.json").read_text())
    assert pending == {}, "confirmed submissions left records behind"


def gave_up_on_a_fault(result: Result) -> bool:
    """Exit 4 whose error is an injected fault (or a dropped connection) after the retry budget."""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    retried = "retrying " in result.stderr or "retries)" in result.stderr
    return bool(errors) and retried and ("injected fault" in errors[-1] or errors[-1].endswith("connection dropped"))


def _no_faults(backend: BackendServer) -> BackendServer:
    backend.clear_faults()
    return backend
