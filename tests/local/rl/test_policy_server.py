"""The RL training process's inference server over HTTP with the built-in tiny model (random
weights): OpenAI chat.completion replies, a forced named tool always yields a call of that tool,
'auto' parses the template's <tool_call> format, the sampled tokens are recorded per correlation id,
and ids that are not open are refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from synthlaunch.local import demo_env
from synthlaunch.local.training.chat import ChatModel, parse_tool_calls
from synthlaunch.local.training.policy_server import PolicyServer


@pytest.fixture(scope="module")
def server(tiny_folder: Path) -> Any:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    chat = ChatModel(AutoModelForCausalLM.from_pretrained(tiny_folder), AutoTokenizer.from_pretrained(tiny_folder),
                     model_id="synthlaunch/tiny-qwen3")
    policy = PolicyServer(chat).start()
    yield policy
    policy.stop()


def ask(server: PolicyServer, cid: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(f"{server.url}/{cid}/v1/chat/completions", json=body, timeout=120)


def test_forced_tool_always_yields_that_call_and_records_the_tokens(server: PolicyServer) -> None:
    server.open("trace_a")
    body = {"model": "m", "messages": demo_env.messages(0), "tools": demo_env.openai_tools(),
            "tool_choice": demo_env.forced_tool_choice(), "temperature": 1.0, "top_p": 0.9, "max_tokens": 8}
    replies = [ask(server, "trace_a", body) for _ in range(3)]
    records = server.close("trace_a")
    assert all(r.status_code == 200 for r in replies)
    for reply in (r.json() for r in replies):
        assert reply["object"] == "chat.completion" and reply["model"] == "m"
        (call,) = reply["choices"][0]["message"]["tool_calls"]
        assert call["type"] == "function" and call["function"]["name"] == demo_env.TOOL_NAME
        assert set(json.loads(call["function"]["arguments"])) == {"answer"}  # constrained: always valid JSON
        assert reply["choices"][0]["finish_reason"] == "tool_calls"
        assert 1 <= reply["usage"]["completion_tokens"] <= 8
    assert len(records) == 3
    for record, reply in zip(records, (r.json() for r in replies), strict=True):
        assert len(record.completion_ids) == len(record.logprobs) == reply["usage"]["completion_tokens"]
        assert all(lp <= 0 for lp in record.logprobs) and record.temperature == 1.0
        assert record.text.startswith('<tool_call>{"name": "submit_answer", "arguments": {"answer": "')


def test_forced_tool_with_several_arguments_is_still_that_tool(server: PolicyServer) -> None:
    tools = [{"type": "function", "function": {"name": "math_submit", "parameters": {
        "type": "object", "properties": {"answer": {"type": "string"}, "explanation": {"type": "string"}},
        "required": ["answer"]}}}, {"type": "function", "function": {"name": "other", "parameters": {}}}]
    server.open("trace_b")
    reply = ask(server, "trace_b", {"messages": [{"role": "user", "content": "2+2?"}], "tools": tools,
                                    "tool_choice": {"type": "function", "function": {"name": "math_submit"}},
                                    "temperature": 0, "max_tokens": 6}).json()
    server.close("trace_b")
    (call,) = reply["choices"][0]["message"]["tool_calls"]
    assert call["function"]["name"] == "math_submit" and isinstance(call["function"]["arguments"], str)


def test_unknown_correlation_id_and_bad_requests(server: PolicyServer) -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
    assert ask(server, "trace_never_opened", body).status_code == 404
    server.open("trace_c")
    try:
        assert ask(server, "trace_c", {"messages": []}).status_code == 400
        assert ask(server, "trace_c", {**body, "stream": True}).status_code == 400
        forced_unknown = {**body, "tools": demo_env.openai_tools(),
                          "tool_choice": {"type": "function", "function": {"name": "nope"}}}
        assert "not one of the tools" in ask(server, "trace_c", forced_unknown).json()["error"]["message"]
        message = ask(server, "trace_c", body).json()["choices"][0]["message"]
        assert message["role"] == "assistant" and "tool_calls" not in message
    finally:
        server.close("trace_c")


def test_auto_mode_parses_the_template_tool_call_format() -> None:
    text = 'thinking <tool_call>{"name": "submit_answer", "arguments": {"answer": "blue"}}</tool_call>'
    content, calls = parse_tool_calls(text)
    assert content == "thinking" and calls == [{"name": "submit_answer", "arguments": '{"answer": "blue"}'}]
    assert parse_tool_calls("<tool_call>not json</tool_call>")[1] == []


def test_an_enum_argument_is_sampled_from_its_values(server: PolicyServer) -> None:
    tools = [{"type": "function", "function": {"name": "pick", "parameters": {
        "type": "object", "properties": {"choice": {"type": "string", "enum": ["red", "12"]}},
        "required": ["choice"]}}}]
    server.open("trace_d")
    try:
        body = {"messages": [{"role": "user", "content": "pick"}], "tools": tools, "temperature": 1.0,
                "tool_choice": {"type": "function", "function": {"name": "pick"}}, "max_tokens": 16}
        values = {json.loads(ask(server, "trace_d", body).json()["choices"][0]["message"]["tool_calls"][0]
                             ["function"]["arguments"])["choice"] for _ in range(6)}
    finally:
        records = server.close("trace_d")
    assert values <= {"red", "12"}  # a random model, constrained to the enum
    assert all(len(r.completion_ids) <= 5 for r in records)  # the value, its quote, the end of the turn
