"""Property tests of the backend's pure parts: metric paging cursor, body validators, JSONL check,
emulation plan."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from synthlaunch.local.backend import validate_rl_body, validate_sft_body
from synthlaunch.local.store import Store
from synthlaunch.local.worker import check_jsonl, loss_at, plan_job


@settings(max_examples=30, deadline=None)
@given(steps=st.integers(0, 30), names=st.integers(1, 3), limit=st.integers(1, 10))
def test_metric_pages_with_after_step_cursor_return_every_point_once(tmp_path_factory, steps, names, limit):
    store = Store(str(tmp_path_factory.mktemp("store")))  # under pytest's tmp, never a bare /tmp entry
    try:
        for step in range(steps):
            for n in range(names):
                store.add_metric("job", f"m{n}", step, float(step))
        seen: list[tuple[int, str]] = []
        after = -1
        for _ in range(steps * names + 2):
            page = store.metrics("job", after_step=after, limit=limit)
            if not page:
                break
            seen += [(p["step"], p["name"]) for p in page]
            after = page[-1]["step"]
        expected = [(s, f"m{n}") for s in range(steps) for n in range(names)]
        if names <= limit:  # a step fits in a page: the cursor never loses a point
            assert seen == expected
        else:
            assert {s for s, _ in seen} == set(range(steps))
    finally:
        store.close()


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["model", "training_file_id", "hyperparameters", "metadata", "x"]),
                       st.one_of(st.none(), st.text(max_size=5), st.integers(-2, 3), st.booleans(),
                                 st.dictionaries(st.sampled_from(["n_epochs", "y"]), st.integers(-1, 3)))))
def test_sft_validator_accepts_exactly_the_well_formed_bodies(body):
    problems = {loc for loc, _ in validate_sft_body(body)}
    ok_model = isinstance(body.get("model"), str) and body["model"].strip()
    ok_file = isinstance(body.get("training_file_id"), str) and body["training_file_id"].strip()
    assert ("model" in problems) == (not ok_model)
    assert ("training_file_id" in problems) == (not ok_file)
    hp = body.get("hyperparameters")
    bad_hp = hp is not None and not isinstance(hp, dict)
    assert ("hyperparameters" in problems) == bad_hp


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.none(), st.integers(), st.text(max_size=4), st.just("rl")),
       st.one_of(st.none(), st.just("http://127.0.0.1:1"), st.just("ftp://x"), st.integers()),
       st.one_of(st.none(), st.just({}), st.just([])))
def test_rl_validator(job_type, url, config):
    body = {"job_type": job_type, "data": {"endpoint_base_url": url, "config": config}}
    problems = {loc for loc, _ in validate_rl_body(body)}
    assert ("job_type" in problems) == (job_type != "rl")
    assert ("data.endpoint_base_url" in problems) == (url != "http://127.0.0.1:1")
    assert ("data.config" in problems) == (config != {})


line_st = st.one_of(
    st.just(json.dumps({"messages": [{"role": "user", "content": "hi"}]})),
    st.just(json.dumps({"messages": []})), st.just("[]"), st.just("{oops"), st.just(""),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(line_st, max_size=8))
def test_jsonl_check_fails_exactly_when_a_line_is_bad(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("jsonl") / "lines.jsonl"  # was a NamedTemporaryFile(delete=False) in /tmp
    path.write_text("\n".join(lines) + "\n")
    error, count, first = check_jsonl(str(path))
    good = json.dumps({"messages": [{"role": "user", "content": "hi"}]})
    non_blank = [line for line in lines if line]
    assert count == len(non_blank) or error is not None  # the check may stop after 5 problems
    assert (error is None) == (bool(non_blank) and all(line == good for line in non_blank))
    if non_blank and error is None:
        assert first == non_blank[0]


@settings(max_examples=40, deadline=None)
@given(st.integers(-5, 50), st.one_of(st.none(), st.integers(-1, 60)))
def test_plan_reads_emulation_settings_from_rl_config(steps, fail_at):
    emulation = {"steps": steps} if fail_at is None else {"steps": steps, "fail_at_step": fail_at}
    total, fail, seed = plan_job("rl", {"data": {"config": {"emulation": emulation}}})
    assert total == max(1, steps) and fail == fail_at
    assert seed == plan_job("rl", {"data": {"config": {"emulation": emulation}}})[2]
    assert loss_at(seed, 0, total) == loss_at(seed, 0, total)
