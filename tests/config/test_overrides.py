"""`--set KEY.PATH=VALUE`: parsing (property tests) and typing by the schema."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synthlaunch.config.overrides import apply_overrides, key_spec, parse_set, typed_value
from synthlaunch.errors import UsageError

NAME = st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True)
DOTTED = st.lists(NAME, min_size=1, max_size=4).map(".".join)


@given(DOTTED, st.text(max_size=40).filter(lambda v: v == v.strip()))
def test_parse_set_splits_at_the_first_equals_sign(key, value):
    assert parse_set(f"{key}={value}") == (key, value)
    assert parse_set(f" {key} = {value} ") == (key, value)


@given(st.text(max_size=30).filter(lambda t: "=" not in t))
def test_parse_set_without_equals_is_a_usage_error(text):
    with pytest.raises(UsageError, match="KEY.PATH=VALUE"):
        parse_set(text)


@given(st.sampled_from(["", "a..b", ".a", "a.", "a b", "a/b"]), st.text(max_size=5))
def test_parse_set_refuses_keys_that_are_not_dotted_names(key, value):
    with pytest.raises(UsageError):
        parse_set(f"{key}={value}")


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_integers_stay_integers_for_int_and_number_keys(n):
    assert typed_value(str(n), key_spec("compute.gpu_count", "sft")) == n
    assert typed_value(str(n), key_spec("hyperparameters.learning_rate", "sft")) == n


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_round_trip_for_number_keys(x):
    got = typed_value(repr(x), key_spec("hyperparameters.learning_rate", "sft"))
    assert isinstance(got, float) and (got == x or math.isclose(got, x))


@given(st.text(min_size=1, max_size=30).filter(lambda v: v == v.strip()))
def test_string_keys_take_the_text_as_it_is(text):
    value = typed_value(text, key_spec("job.model", "sft"))
    assert value == text or (text.startswith(('"', "'")) and isinstance(value, str))


def test_typing_by_the_schema():
    assert typed_value("2e-5", key_spec("hyperparameters.learning_rate", "sft")) == 2e-5
    assert typed_value("true", key_spec("training.use_qlora", "sft")) is True
    assert typed_value("off", key_spec("training.use_qlora", "sft")) is False
    assert typed_value("123", key_spec("model.label", "rl")) == "123"  # a string key keeps digits as text
    assert typed_value("two", key_spec("compute.gpu_count", "rl")) == "two"  # left for the schema to report
    assert typed_value("[1, 2]", key_spec("evaluation.seeds", "rl")) == [1, 2]
    assert typed_value("7", None) == 7 and typed_value("Qwen/Qwen3-4B", None) == "Qwen/Qwen3-4B"


def test_apply_overrides_creates_tables_and_leaves_the_input_alone():
    data = {"compute": {"gpu_count": 1}}
    got = apply_overrides(data, [("compute.gpu_count", "2"), ("job.name", "x")], "sft")
    assert got == {"compute": {"gpu_count": 2}, "job": {"name": "x"}} and data == {"compute": {"gpu_count": 1}}
    with pytest.raises(UsageError, match="not a table"):
        apply_overrides(data, [("compute.gpu_count.x", "1")], "sft")
