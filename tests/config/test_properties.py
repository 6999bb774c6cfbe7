"""Property tests: arbitrary TOML text and arbitrary config dicts only ever raise the tool's own errors."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthlaunch.config.load import index_key_lines, parse_toml_text
from synthlaunch.config.loaded import validate_document
from synthlaunch.config.payload import build_rl_body, build_sft_body
from synthlaunch.errors import ConfigError
from tests.support.configs import RL_MIN, SFT_MIN

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# TOML-ish text: fragments that make parsers work hard, glued together
FRAGMENTS = st.sampled_from([
    "[algorithm]\n", "[[runs]]\n", "[a.b]\n", 'type = "online"\n', "method = 'sft'\n", "x = [1, 2,\n", "]\n",
    'y = """\n', '"""\n', "z = { a = 1 }\n", "# c\n", "a.b = 1\n", '"q k" = 2\n', "=\n", "[\n", "k = \n",
    "t = 1979-05-27T07:32:00Z\n", "f = inf\n", "\\\n", "\x00", "é = 1\n", "n = 1_000\n", "[services]\n",
    'task_url = "http://x"\n', "[job]\n", 'data = "d.jsonl"\n', "'''\n", "v = '''\n",
])
TOML_TEXT = st.one_of(st.text(max_size=200), st.lists(FRAGMENTS, max_size=25).map("".join))

KEYS = st.sampled_from(["algorithm", "type", "method", "variety", "model", "base", "source", "policy", "model_name",
                        "compute", "gpu_type", "gpu_count", "topology", "tensor_parallel", "vllm",
                        "tensor_parallel_size", "rollout", "training", "weight_sync", "weight_sync_interval",
                        "evaluation", "seeds", "judge", "options", "provider", "rubric", "weights", "services",
                        "task_url", "job", "data", "data_path", "validation_path", "hyperparameters", "parallelism",
                        "train_kind", "mode", "validation", "n_epochs", "learning_rate", "warmup_ratio", "job_type",
                        "label", "trainer_mode", "reference", "placement"]) | st.text(max_size=8)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True),
                    st.sampled_from(["online", "offline", "policy_gradient", "sft", "gspo", "fft", "qlora",
                                     "Qwen/Qwen3-4B", "rl:Qwen/Qwen3-4B:j", "ft:", "rl", "sft_x", "peft", "",
                                     "http://127.0.0.1:1", "train.jsonl"]),
                    st.text(max_size=10))
VALUES = st.recursive(SCALARS.filter(lambda v: v is not None),
                      lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
                      max_leaves=25)
DOCS = st.dictionaries(KEYS, VALUES, max_size=8)


@SETTINGS
@given(TOML_TEXT)
def test_arbitrary_text_parses_or_raises_config_error(text: str) -> None:
    try:
        parse_toml_text(text, "fuzz.toml")
    except ConfigError as exc:
        assert exc.problems and exc.problems[0].path == "fuzz.toml"
        assert "Traceback" not in exc.render()
    index_key_lines(text)  # the line index never fails, even on invalid TOML


@SETTINGS
@given(DOCS, st.sampled_from(["auto", "rl", "sft", "bogus"]), st.sampled_from([None, "Qwen/Qwen3-4B", "x"]),
       st.sampled_from([None, True, False]))
def test_arbitrary_documents_validate_or_raise_config_error(doc, type_, model, allow) -> None:
    path = Path(os.devnull).parent / "fuzz-config.toml"
    try:
        cfg = validate_document(doc, path=path, type_override=type_, model=model, allow_experimental=allow, env={},
                                check_files=False)
    except ConfigError as exc:
        assert exc.problems and all(p.path == str(path) for p in exc.problems)
        return
    # whatever validated can be turned into a body without any other exception
    if cfg.type == "rl":
        body = build_rl_body(cfg, task_url="http://127.0.0.1:1/", backend_url="http://b/api")
        assert body["job_type"] == "rl" and body["data"]["config"]["training"]["weight_sync"]["mode"] == "direct"
    else:
        body, _ = build_sft_body(cfg, training_file_id=None)
        assert body["training_type"] == "sft_offline" and body["model"]


def _mutated(base_text: str):
    base = parse_toml_text(base_text)
    edits = st.lists(st.tuples(st.sampled_from(sorted(base) + ["training", "evaluation", "judge", "rubric", "vllm",
                                                               "hyperparameters", "data", "policy"]),
                               KEYS, VALUES | st.just({})), max_size=4)
    return edits.map(lambda es: _apply(base, es))


def _apply(base: dict, edits) -> dict:
    import copy

    doc = copy.deepcopy(base)
    for section, key, value in edits:
        table = doc.setdefault(section, {})
        if isinstance(table, dict):
            table[key] = value
        else:
            doc[section] = {key: value}
    return doc


@SETTINGS
@given(st.one_of(_mutated(RL_MIN), _mutated(SFT_MIN)), st.sampled_from([None, "Qwen/Qwen3-8B"]))
def test_mutated_valid_configs_validate_or_raise_config_error(doc, model) -> None:
    path = Path(os.devnull).parent / "fuzz-config.toml"
    try:
        cfg = validate_document(doc, path=path, model=model, env={}, check_files=False)
    except ConfigError as exc:
        assert exc.problems and all(str(path) in str(p) for p in exc.problems)
        return
    if cfg.type == "rl":
        body = build_rl_body(cfg, task_url="http://127.0.0.1:1", backend_url="http://b/api")
        assert ("model" in body["data"]) != ("base_model" in body["data"])
    else:
        body, warnings = build_sft_body(cfg, training_file_id="f")
        assert body["hyperparameters"]["n_epochs"] and all(w.key for w in warnings)
