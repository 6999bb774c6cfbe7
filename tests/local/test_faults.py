"""Fault injection: SPEC parsing, every kind over real HTTP, the admin route, and a contract client
that survives injected faults thanks to its retry policy."""

from __future__ import annotations

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from synthlaunch.api import job_id_of
from synthlaunch.http import RetryPolicy
from synthlaunch.local.faults import KINDS, FaultInjector, FaultSpecError, parse_spec
from tests.support.backend import sft_body, wait_file_ready, wait_job_done, write_jsonl


def _get(server, path="/api/files"):
    return requests.get(server.root + path, headers={"Authorization": f"Bearer {server.api_key}"}, timeout=10)


# -- SPEC ----------------------------------------------------------------------------------------

def test_parse_full_spec():
    (one, two) = parse_spec("path=/api/files*,method=get,rate=0.5,kinds=429+drop,seed=7,times=3,"
                            "retry_after=2,latency=0.1; kinds=latency")
    assert (one.path, one.method, one.rate, one.kinds, one.seed, one.times, one.retry_after, one.latency) == \
        ("/api/files*", "GET", 0.5, ("429", "drop"), 7, 3, 2.0, 0.1)
    assert (two.path, two.rate, two.kinds) == ("/api/*", 1.0, ("latency",))


@pytest.mark.parametrize("spec", [None, "", "off", "none", " ; "])
def test_empty_specs_mean_no_faults(spec):
    assert parse_spec(spec) == []


@pytest.mark.parametrize("spec,message", [
    ("rate=2", "rate=2 is out of range"),
    ("rate=x", "rate='x' is not a valid number"),
    ("kinds=418", "unknown kind(s) 418"),
    ("seed=1.5", "seed='1.5' is not a valid integer"),
    ("colour=red", "unknown key 'colour'"),
    ("rate", "'rate' is not key=value"),
    ("path=api", "must start with '/'"),
    ("kinds=429;times=-1", "fault rule 2: times=-1"),
])
def test_bad_specs_name_the_rule_and_key(spec, message):
    with pytest.raises(FaultSpecError) as info:
        parse_spec(spec)
    assert message in str(info.value)


rule_st = st.fixed_dictionaries({
    "path": st.sampled_from(["/api/*", "/api/files", "/api/*/jobs/*"]),
    "rate": st.floats(0, 1).map(lambda r: round(r, 3)),
    "kinds": st.lists(st.sampled_from(KINDS), min_size=1, max_size=3, unique=True),
    "seed": st.integers(0, 10**6),
    "times": st.integers(0, 50),
})


@settings(max_examples=60, deadline=None)
@given(st.lists(rule_st, min_size=1, max_size=3))
def test_spec_round_trip(rules):
    spec = ";".join(f"path={r['path']},rate={r['rate']},kinds={'+'.join(r['kinds'])},seed={r['seed']},"
                    f"times={r['times']}" for r in rules)
    parsed = parse_spec(spec)
    assert [(p.path, p.rate, list(p.kinds), p.seed, p.times) for p in parsed] == \
        [(r["path"], r["rate"], r["kinds"], r["seed"], r["times"]) for r in rules]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.floats(0, 1))
def test_same_seed_same_fault_sequence(seed, rate):
    a, b = (FaultInjector(f"rate={rate},kinds=429+503+drop,seed={seed}") for _ in range(2))
    seq_a = [a.pick("GET", "/api/x") for _ in range(30)]
    seq_b = [b.pick("GET", "/api/x") for _ in range(30)]
    assert [s and s[1] for s in seq_a] == [s and s[1] for s in seq_b]


def test_rate_zero_never_and_times_limits():
    assert all(FaultInjector("rate=0").pick("GET", "/api/x") is None for _ in range(50))
    limited = FaultInjector("rate=1,times=2")
    assert [bool(limited.pick("GET", "/api/x")) for _ in range(4)] == [True, True, False, False]


def test_path_method_and_admin_are_respected():
    inj = FaultInjector("path=/api/files*,method=POST,kinds=500")
    assert inj.pick("GET", "/api/files") is None
    assert inj.pick("POST", "/api/rl/jobs") is None
    assert inj.pick("POST", "/api/files")[1] == "500"
    assert FaultInjector("path=/*").pick("GET", "/admin/faults") is None


# -- each kind over HTTP -------------------------------------------------------------------------

def test_429_carries_retry_after(backend_factory):
    server = backend_factory(faults="kinds=429,retry_after=3,times=1")
    resp = _get(server)
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "3"
    assert "injected fault" in resp.json()["detail"]
    assert _get(server).status_code == 200  # times=1


@pytest.mark.parametrize("kind", ["500", "502", "503"])
def test_5xx(backend_factory, kind):
    server = backend_factory(faults=f"kinds={kind},times=1")
    resp = _get(server)
    assert resp.status_code == int(kind) and resp.json()["injected_fault"] == kind


def test_drop_closes_the_connection_without_an_answer(backend_factory):
    server = backend_factory(faults="kinds=drop,times=1")
    with pytest.raises(requests.ConnectionError):
        _get(server)
    assert _get(server).status_code == 200


def test_latency_then_a_normal_answer(backend_factory):
    server = backend_factory(faults="kinds=latency,latency=0.05,times=1")
    assert _get(server).status_code == 200
    state = _get(server, "/admin/faults").json()
    assert state["rules"][0]["injected"] == 1


def test_path_pattern_limits_faults(backend_factory):
    server = backend_factory(faults="path=/api/learning/*,kinds=503")
    assert _get(server, "/api/files").status_code == 200
    assert _get(server, "/api/learning/jobs").status_code == 503
    assert _get(server, "/health").status_code == 200


# -- run-time control -------------------------------------------------------------------------------

def test_admin_route_sets_reads_and_clears_faults(backend_factory):
    server = backend_factory()
    headers = {"Authorization": f"Bearer {server.api_key}"}
    resp = requests.post(server.root + "/admin/faults", json={"spec": "path=/api/files,kinds=502"},
                         headers=headers, timeout=10)
    assert resp.status_code == 200 and resp.json()["rules"][0]["kinds"] == ["502"]
    assert _get(server).status_code == 502
    assert _get(server, "/admin/faults").json()["rules"][0]["injected"] == 1
    bad = requests.post(server.root + "/admin/faults", json={"spec": "rate=9"}, headers=headers, timeout=10)
    assert bad.status_code == 400 and "out of range" in bad.json()["detail"]
    assert _get(server).status_code == 502  # a bad SPEC leaves the current rules alone
    cleared = requests.delete(server.root + "/admin/faults", headers=headers, timeout=10)
    assert cleared.json()["rules"] == []
    assert _get(server).status_code == 200


def test_fixture_helpers_set_and_clear(backend):
    backend.set_faults("path=/api/files,kinds=503")
    try:
        assert _get(backend).status_code == 503
    finally:
        backend.clear_faults()
    assert _get(backend).status_code == 200


def test_bad_spec_at_start_raises():
    from synthlaunch.local.serve import BackendServer

    with pytest.raises(FaultSpecError):
        BackendServer(faults="kinds=teapot")


# -- a contract client survives faults ---------------------------------------------------------------

def test_contract_client_runs_sft_job_through_faults(backend_factory, tmp_path):
    server = backend_factory(faults="rate=0.3,kinds=429+502+503+drop,seed=11,retry_after=0")
    client = server.client(policy=RetryPolicy(attempts=12, deadline=60, backoff_base=0.01, backoff_max=0.05))
    record = client.upload_file(write_jsonl(tmp_path / "t.jsonl"), idempotency_key="faulty-upload")
    file_id = wait_file_ready(client, record["id"])["id"]
    job_id = job_id_of(client.create_sft_job(sft_body(file_id), idempotency_key="faulty-job"))
    client.start_sft_job(job_id)
    assert wait_job_done(client, "learning", job_id)["status"] == "succeeded"
    injected = server.injector.rules[0].injected
    server.clear_faults()
    assert injected > 0  # the run above really went through faults
    assert len(client.list_jobs()) == 1 and len(client.list_files()) == 1
