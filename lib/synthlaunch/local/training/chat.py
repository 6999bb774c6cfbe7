"""OpenAI-style chat completions for the model an RL job trains (imported in the training process only).

- The prompt is the model's own chat template (`apply_chat_template` with `tools`).
- Sampling is transformers' `generate` (`temperature`, `top_p`, `max_tokens`); temperature 0 is greedy.
  Requests that arrive together (the concurrent episodes of a rollout phase) are sampled in one
  left-padded batch.
- Tools: a forced named tool (`tool_choice: {"type": "function", "function": {"name": F}}`, or
  "required" with one tool) appends the template's own tool-call opening for F to the prompt, so the
  model only writes the arguments and the reply is always a call of F; when F takes one required
  string argument, the opening goes on to `{"<arg>": "` and the model writes only the value (a
  small structured-output constraint); when that argument has an `enum`, sampling is restricted to
  its values (transformers' `prefix_allowed_tokens_fn`; log-probs stay those of the full softmax).
  The opening is found by rendering an assistant tool call with a marker as its arguments through
  the template (so any template that writes string arguments as they are works, e.g. Qwen's and
  the built-in one).
  Otherwise ("auto") `<tool_call>{"name", "arguments"}</tool_call>` blocks in the text are parsed.
- Every completion returns the token ids of its prompt and of what was sampled, with the log-probs
  of the sampled tokens (at the sampling temperature): the RL update trains on exactly those tokens.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

MARK = "\u2063SLARGS\u2063"
TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)


class ChatError(ValueError):
    """A request this server cannot answer (HTTP 400 with the message)."""


@dataclass
class Completion:
    """One sampled completion: what the trainer needs to train on it."""
    prompt_ids: list[int]
    completion_ids: list[int]
    logprobs: list[float]
    temperature: float
    text: str


def _tools(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    tools = body.get("tools")
    if tools is None:
        return None
    if not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools):
        raise ChatError("tools must be a list of objects")
    return tools


def _tool_name(tool: dict[str, Any]) -> str | None:
    fn: dict[str, Any] = tool["function"] if isinstance(tool.get("function"), dict) else tool
    name = fn.get("name")
    return name if isinstance(name, str) else None


def forced_tool(body: dict[str, Any], tools: list[dict[str, Any]] | None) -> str | None:
    """The tool a request forces, or None."""
    choice = body.get("tool_choice")
    names = [n for n in (_tool_name(t) for t in tools or []) if n]
    if isinstance(choice, dict):
        fn: dict[str, Any] = choice["function"] if isinstance(choice.get("function"), dict) else choice
        name = fn.get("name")
        if not isinstance(name, str) or not name:
            raise ChatError("tool_choice names no function")
        if names and name not in names:
            raise ChatError(f"tool_choice forces {name!r}, which is not one of the tools ({', '.join(names)})")
        return name
    if choice == "required" and len(names) == 1:
        return names[0]
    return None


def single_string_argument(tools: list[dict[str, Any]] | None, name: str) -> str | None:
    """The argument name when the tool `name` takes exactly one required argument, a string
    (e.g. `submit_answer(answer: str)`), else None."""
    found = _single_string(tools, name)
    return found[0] if found else None


def string_enum(tools: list[dict[str, Any]] | None, name: str) -> list[str] | None:
    """The allowed values of that single string argument when its schema has an `enum`."""
    found = _single_string(tools, name)
    return found[1] if found else None


def _single_string(tools: list[dict[str, Any]] | None, name: str) -> tuple[str, list[str] | None] | None:
    for tool in tools or []:
        fn: dict[str, Any] = tool["function"] if isinstance(tool.get("function"), dict) else tool
        if fn.get("name") != name:
            continue
        params: dict[str, Any] = fn["parameters"] if isinstance(fn.get("parameters"), dict) else {}
        props: dict[str, Any] = params["properties"] if isinstance(params.get("properties"), dict) else {}
        required = params.get("required")
        if isinstance(required, list) and len(required) == 1 and set(props) == set(required):
            prop = props.get(required[0])
            if isinstance(prop, dict) and prop.get("type") == "string" and isinstance(required[0], str):
                enum = prop.get("enum")
                values = [v for v in enum if isinstance(v, str)] if isinstance(enum, list) else []
                return required[0], values or None
    return None


def string_value(text: str) -> str:
    """The JSON string value the model wrote after an opening quote: up to the first unescaped quote."""
    escaped = False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            text = text[:i]
            break
    try:
        value = json.loads('"' + text + '"')
    except ValueError:
        value = text
    return str(value)


def _number(body: dict[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ChatError(f"{key} must be a number between {low:g} and {high:g}, got {value!r}")
    return float(value)


def parse_tool_calls(text: str) -> tuple[str, list[dict[str, Any]]]:
    """(content outside tool calls, [{"name", "arguments" (a JSON string)}]) of a reply in the
    `<tool_call>{json}</tool_call>` format; a block that is not JSON stays in the content."""
    calls: list[dict[str, Any]] = []
    kept: list[str] = []
    last = 0
    for match in TOOL_CALL.finditer(text):
        try:
            obj = json.loads(match.group(1))
        except ValueError:
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
            continue
        args = obj.get("arguments", {})
        calls.append({"name": obj["name"], "arguments": args if isinstance(args, str) else json.dumps(args)})
        kept.append(text[last:match.start()])
        last = match.end()
    kept.append(text[last:])
    return "".join(kept).strip(), calls


def forced_arguments(text: str) -> str:
    """The arguments of a forced call from what the model wrote after the opening: the first JSON
    value (as a JSON string), else the raw text up to the end of the call (may be invalid JSON, as
    OpenAI's may)."""
    stripped = text.lstrip()
    try:
        value, _ = json.JSONDecoder().raw_decode(stripped)
        return json.dumps(value)
    except ValueError:
        return stripped.split("</tool_call>")[0].rstrip().removesuffix("}").strip() or "{}"


class ChatModel:
    """Chat completions with `model` (guarded by `lock`: generation never overlaps an update)."""

    def __init__(self, model: Any, tokenizer: Any, *, model_id: str, lock: threading.Lock | None = None,
                 batching: bool = True) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.model_id = model_id
        self.lock = lock or threading.Lock()
        self._prefixes: dict[tuple[str, str], str] = {}
        eos = [tokenizer.eos_token_id]
        end = tokenizer.convert_tokens_to_ids("<|im_end|>") if "<|im_end|>" in tokenizer.get_vocab() else None
        self.stop_ids = sorted({i for i in [*eos, end] if isinstance(i, int)})
        self.max_positions = int(getattr(model.config, "max_position_embeddings", 2048) or 2048)
        self.batcher: Batcher | None = Batcher(self) if batching else None

    def render(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> str:
        return str(self.tokenizer.apply_chat_template(messages, tools=tools, add_generation_prompt=True,
                                                      tokenize=False))

    def tool_prefix(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, name: str) -> str:
        """The template's own text between the generation prompt and the arguments of a call of `name`."""
        key = (json.dumps(tools, sort_keys=True), name)
        if key in self._prefixes:
            return self._prefixes[key]
        prompt = self.render(messages, tools)
        call = {"role": "assistant", "content": "",
                "tool_calls": [{"type": "function", "function": {"name": name, "arguments": MARK}}]}
        full = str(self.tokenizer.apply_chat_template([*messages, call], tools=tools, tokenize=False))
        if full.startswith(prompt) and MARK in full:
            prefix = full[len(prompt):full.index(MARK)]
        else:  # a template that rewrites its arguments: the Qwen/Hermes opening
            prefix = f'<tool_call>{{"name": {json.dumps(name)}, "arguments": '
        self._prefixes[key] = prefix
        return prefix

    def prepare(self, body: dict[str, Any]) -> "Request":
        """Check a request body and tokenize its prompt (ChatError when it cannot be answered)."""
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
            raise ChatError("messages must be a non-empty list of message objects")
        if body.get("stream"):
            raise ChatError("stream is not supported by this endpoint")
        if body.get("n") not in (None, 1):
            raise ChatError("n must be 1")
        tools = _tools(body)
        forced = forced_tool(body, tools)
        temperature = _number(body, "temperature", 1.0, 0.0, 10.0)
        top_p = _number(body, "top_p", 1.0, 0.0, 1.0) or 1.0
        max_tokens = int(_number(body, "max_tokens", 256, 1, 1_000_000) if body.get("max_tokens") is not None
                         else _number(body, "max_completion_tokens", 256, 1, 1_000_000))
        try:
            prompt = self.render(messages, tools)
            prefix = self.tool_prefix(messages, tools, forced) if forced else ""
            key = single_string_argument(tools, forced) if forced else None
            enum = string_enum(tools, forced) if forced else None
            if key is not None:  # constrained: the model writes only the string value
                prefix += "{" + json.dumps(key) + ': "'
        except Exception as exc:  # jinja errors: the messages do not fit the template
            raise ChatError(f"the chat template cannot render these messages: {exc}") from None
        ids = self.tokenizer(prompt + prefix, add_special_tokens=False)["input_ids"]
        room = self.max_positions - len(ids)
        if room < 1:
            raise ChatError(f"the prompt has {len(ids)} tokens; this model takes at most {self.max_positions}")
        allowed = None
        if enum:  # each allowed value, its closing quote, then the end of the turn
            allowed = [list(self.tokenizer(json.dumps(v)[1:], add_special_tokens=False)["input_ids"])
                       + [self.stop_ids[-1]] for v in enum]
        return Request(body, list(ids), prefix, forced, bool(tools) and body.get("tool_choice") != "none",
                       temperature, top_p, min(max_tokens, room, max(map(len, allowed)) if allowed else room), key,
                       allowed)

    def generate(self, batch: list["Request"]) -> list[tuple[list[int], list[float]]]:
        """Sample the completions of requests sharing temperature and top_p, in one batched `generate`
        (prompts left-padded); each row is cut at its first stop token and its own max_tokens."""
        import torch

        first = batch[0]
        sample = first.temperature > 0
        width = max(len(r.ids) for r in batch)
        pad = int(self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.stop_ids[0])
        ids = torch.full((len(batch), width), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, r in enumerate(batch):
            ids[row, width - len(r.ids):] = torch.tensor(r.ids)
            mask[row, width - len(r.ids):] = 1
        kwargs: dict[str, Any] = {"max_new_tokens": max(r.max_new for r in batch), "do_sample": sample,
                                  "eos_token_id": self.stop_ids, "pad_token_id": pad, "output_logits": True,
                                  "return_dict_in_generate": True}
        if sample:
            kwargs.update(temperature=first.temperature, top_p=first.top_p, top_k=0)
        if any(r.allowed for r in batch):
            everything = list(range(int(self.model.config.vocab_size)))

            def allowed_next(row: int, seq: Any) -> list[int]:
                options = batch[row].allowed
                if not options:
                    return everything
                written = seq[width:].tolist()
                nxt = {o[len(written)] for o in options if len(o) > len(written) and o[:len(written)] == written}
                return sorted(nxt) or list(self.stop_ids)

            kwargs["prefix_allowed_tokens_fn"] = allowed_next
        with self.lock, torch.no_grad():
            device = next(self.model.parameters()).device
            out = self.model.generate(input_ids=ids.to(device), attention_mask=mask.to(device), **kwargs)
        scale = first.temperature if sample else 1.0
        logits = torch.stack(out.logits, dim=1).float() / scale
        logprobs = torch.log_softmax(logits, dim=-1)
        results = []
        for row, r in enumerate(batch):
            new = out.sequences[row, width:].tolist()[:r.max_new]
            cut = next((i + 1 for i, t in enumerate(new) if t in self.stop_ids), len(new))
            new = new[:cut]
            lp = logprobs[row, torch.arange(len(new)), torch.tensor(new, dtype=torch.long)].tolist() if new else []
            results.append((new, [float(x) for x in lp]))
        return results

    def finish(self, r: "Request", new: list[int], logprobs: list[float]) -> tuple[dict[str, Any], Completion]:
        """The OpenAI chat.completion object of a sampled completion, and its tokens."""
        finished = bool(new) and new[-1] in self.stop_ids
        text = self.tokenizer.decode([t for t in new if t not in self.stop_ids], skip_special_tokens=False)
        if r.forced:
            args = json.dumps({r.string_key: string_value(text)}) if r.string_key else forced_arguments(text)
            calls = [{"name": r.forced, "arguments": args}]
            content = None
        else:
            content, calls = parse_tool_calls(text) if r.parse_tools else (text, [])
        message: dict[str, Any] = {"role": "assistant", "content": content or None}
        if calls:
            message["tool_calls"] = [{"id": f"call_{uuid.uuid4().hex[:24]}", "type": "function", "function": c}
                                     for c in calls]
        reply = {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
                 "model": str(r.body.get("model") or self.model_id),
                 "choices": [{"index": 0, "message": message,
                              "finish_reason": "tool_calls" if calls else ("stop" if finished else "length")}],
                 "usage": {"prompt_tokens": len(r.ids), "completion_tokens": len(new),
                           "total_tokens": len(r.ids) + len(new)}}
        scale = r.temperature if r.temperature > 0 else 1.0
        return reply, Completion(r.ids, new, logprobs, scale, r.prefix + text)

    def complete(self, body: dict[str, Any]) -> tuple[dict[str, Any], Completion]:
        """(the OpenAI chat.completion object, the completion's tokens) of one request body; requests
        arriving together are sampled in one batch (see `Batcher`)."""
        request = self.prepare(body)
        new, logprobs = self.batcher.submit(request) if self.batcher is not None else self.generate([request])[0]
        return self.finish(request, new, logprobs)


@dataclass
class Request:
    body: dict[str, Any]
    ids: list[int]
    prefix: str
    forced: str | None
    parse_tools: bool
    temperature: float
    top_p: float
    max_new: int
    string_key: str | None = None
    allowed: list[list[int]] | None = None  # token sequences the completion must be one of (an enum)
    result: Any = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


class Batcher:
    """Collects the requests that arrive within `window` seconds of each other (up to `max_batch`) and
    samples those with the same temperature/top_p in one `generate` call, in a worker thread."""

    def __init__(self, chat: ChatModel, *, window: float = 0.02, max_batch: int = 64) -> None:
        self.chat = chat
        self.window = window
        self.max_batch = max_batch
        self._queue: list[Request] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name="synthlaunch-sampler", daemon=True)
        self._thread.start()

    def submit(self, request: Request) -> tuple[list[int], list[float]]:
        with self._cond:
            self._queue.append(request)
            self._cond.notify()
        request.done.wait()
        if request.error is not None:
            raise request.error
        return request.result

    def _take(self) -> list[Request]:
        with self._cond:
            while not self._queue:
                self._cond.wait()
        time.sleep(self.window)  # let the other requests of this round arrive
        with self._cond:
            taken, self._queue = self._queue[:self.max_batch], self._queue[self.max_batch:]
        return taken

    def _loop(self) -> None:
        while True:
            taken = self._take()
            groups: dict[tuple[float, float], list[Request]] = {}
            for r in taken:
                groups.setdefault((r.temperature, r.top_p), []).append(r)
            for batch in groups.values():
                try:
                    for r, result in zip(batch, self.chat.generate(batch), strict=True):
                        r.result = result
                except BaseException as exc:  # the requests fail, the sampler goes on
                    for r in batch:
                        r.error = exc
                for r in batch:
                    r.done.set()
