"""The environment of the demo task app: one-question episodes answered through a forced tool call.

Seed `s` picks question `s mod N` ("What colour is the sky?"). The task app asks the policy (an
OpenAI-compatible `/v1/chat/completions`) with a system message listing six numbered colours, the
question, the `submit_answer` tool and a forced `tool_choice`; the first tool call's `answer` (the
colour's number, or its name) is scored like the synth-ai math app (docs/rollout-contract.md):
correct +1, a wrong option 0, blank or not one of the options -0.5, no call or another tool -1.

What a byte-level model of ~0.1M parameters learns here within the demo's budget (measured, see
bench/README.md): SFT teaches the call format but leaves the sampled value often malformed (-0.5);
RL moves it to valid one-digit options (reward rising towards 0 and above). Which colour goes with
which question needs the model to route from the question to the answer position, which this
model does not learn from a few hundred episodes.

Designed with the demo SFT set (`configs/datasets/demo.jsonl`): that set teaches the tool-call format
and, on purpose, disagreeing answers for each question (3 of 8 lines right), so a model that learns
enough from it knows the format and the candidate answers but not which one is right; RL with this
exact-match reward is what can sharpen it.
"""

from __future__ import annotations

import json
from typing import Any

TOOL_NAME = "submit_answer"
COLOURS = ("blue", "green", "white", "black", "yellow", "red")
SYSTEM = ("Answer with the submit_answer tool: the number of the colour ("
          + ", ".join(f"{i} {c}" for i, c in enumerate(COLOURS, start=1)) + ").")
QUESTIONS = (
    ("What colour is the sky?", "blue"),
    ("What colour is grass?", "green"),
    ("What colour is snow?", "white"),
    ("What colour is coal?", "black"),
    ("What colour is a banana?", "yellow"),
    ("What colour is a tomato?", "red"),
)
#: rewards of the synth-ai math app (rollout contract §6)
REWARDS = {"correct": 1.0, "incorrect": 0.0, "blank_answer": -0.5, "invalid_answer": -0.5, "missing_tool_call": -1.0,
           "wrong_tool": -1.0}


def tool_schema() -> dict[str, Any]:
    """The `submit_answer` function (the flat shape; OpenAI requests wrap it in {type, function})."""
    return {"name": TOOL_NAME, "description": "Submit the answer.",
            "parameters": {"type": "object", "properties": {"answer": {"type": "string"}},
                           "required": ["answer"]}}


def openai_tools() -> list[dict[str, Any]]:
    return [{"type": "function", "function": tool_schema()}]


def forced_tool_choice() -> dict[str, Any]:
    return {"type": "function", "function": {"name": TOOL_NAME}}


def number(colour: str) -> str:
    """The answer the tool expects for a colour: its number in the system message's list."""
    return str(COLOURS.index(colour) + 1)


def question(seed: int) -> tuple[int, str, str]:
    """(index, question, expected answer: the colour's number) of a seed."""
    index = seed % len(QUESTIONS)
    text, colour = QUESTIONS[index]
    return index, text, number(colour)


def messages(seed: int) -> list[dict[str, Any]]:
    _, text, _ = question(seed)
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}]


def parse_tool_calls(reply: Any) -> list[dict[str, Any]]:
    """`choices[0].message.tool_calls[*]` as [{"tool", "args"}]; string arguments are JSON-decoded,
    anything unparseable becomes {} (as the math app does)."""
    try:
        calls = reply["choices"][0]["message"].get("tool_calls") or []
    except (KeyError, IndexError, TypeError, AttributeError):
        return []
    parsed = []
    for call in calls if isinstance(calls, list) else []:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            continue
        args = function.get("arguments")
        if isinstance(args, str):
            try:
                args = json.loads(args)
            except ValueError:
                args = {}
        parsed.append({"tool": function.get("name"), "args": args if isinstance(args, dict) else {}})
    return parsed


def normalise(answer: Any) -> str:
    return str(answer).strip().strip(".").strip().lower() if answer is not None else ""


def option(text: str) -> str | None:
    """The option an answer names: a colour's name, else the first option number in it ("3", "3.", "n3")."""
    if text in COLOURS:
        return number(text)
    return next((ch for ch in text if ch.isdigit() and 1 <= int(ch) <= len(COLOURS)), None)


def score(calls: list[dict[str, Any]], expected: str) -> tuple[float, str]:
    """(reward, status) of an episode's tool calls (only the first is scored)."""
    if not calls:
        status = "missing_tool_call"
    elif calls[0]["tool"] != TOOL_NAME:
        status = "wrong_tool"
    else:
        text = normalise(calls[0]["args"].get("answer"))
        given = option(text)
        if not text:
            status = "blank_answer"
        elif given is None:
            status = "invalid_answer"  # names no option: unparseable, as the math app scores it
        else:
            status = "correct" if given == expected else "incorrect"
    return REWARDS[status], status


def sft_lines(repeats_right: int = 3) -> list[dict[str, Any]]:
    """The demo SFT set: per question `repeats_right` right answers and each other colour once."""
    lines = []
    for text, answer in QUESTIONS:
        answers = [answer] * repeats_right + [c for c in COLOURS if c != answer]
        for given in answers:
            call = {"type": "function",
                    "function": {"name": TOOL_NAME, "arguments": json.dumps({"answer": number(given)})}}
            lines.append({"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text},
                                       {"role": "assistant", "content": "", "tool_calls": [call]}],
                          "tools": [tool_schema()]})
    return lines
