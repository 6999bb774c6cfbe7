"""Chat JSONL (one `{"messages": [...]}` per line) → a `datasets.Dataset` of conversations."""

from __future__ import annotations

import json
from typing import Any

ROLES = ("system", "user", "assistant")


def _tool_calls(message: dict[str, Any]) -> list[dict[str, Any]] | None:
    """An assistant message's tool calls as [{type, function: {name, arguments (a JSON string)}}]."""
    calls = []
    for call in message.get("tool_calls") or []:
        fn = call.get("function") if isinstance(call, dict) and isinstance(call.get("function"), dict) else call
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            continue
        args = fn.get("arguments", {})
        text = args if isinstance(args, str) else json.dumps(args)
        calls.append({"type": "function", "function": {"name": fn["name"], "arguments": text}})
    return calls or None


def read_conversations(path: str) -> list[dict[str, Any]]:
    """The `messages` of each line, reduced to role/content strings and assistant `tool_calls`, with the
    line's `tools` as a JSON string (TRL renders them through the chat template); metadata dropped."""
    rows: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            obj = json.loads(line)
            messages = [{"role": m["role"], "content": m.get("content") or "",
                         "tool_calls": _tool_calls(m) if m["role"] == "assistant" else None}
                        for m in obj.get("messages", []) if isinstance(m, dict) and m.get("role") in ROLES
                        and isinstance(m.get("content") or "", str)]
            if not any(m["role"] == "assistant" for m in messages):
                raise ValueError(f"{path} line {lineno}: no assistant message to learn from")
            tools = obj.get("tools")
            rows.append({"messages": messages, "tools": json.dumps(tools) if isinstance(tools, list) and tools
                         else None})
    return rows


def load_datasets(train_file: str, validation_file: str | None, holdout: bool,
                  seed: int) -> tuple[Any, Any | None]:
    """(train, validation or None); `holdout` takes a tenth of the training rows for validation."""
    from datasets import Dataset

    train = Dataset.from_list(read_conversations(train_file))
    if validation_file:
        return train, Dataset.from_list(read_conversations(validation_file))
    if holdout and len(train) > 1:
        split = train.train_test_split(test_size=max(1, len(train) // 10), seed=seed)
        return split["train"], split["test"]
    return train, None
