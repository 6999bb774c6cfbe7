"""Generate a realistic chat JSONL dataset of a given size, deterministically (seeded).

Each line is one SFT example: a system prompt, a few user/assistant turns, sometimes a tool call
and a tool answer, sometimes `tools` and `metadata`; text mixes ASCII with some non-ASCII words.
The output is written in a streaming way (memory stays flat whatever the size).

    python bench/gen_dataset.py --size-mb 300 --out bench/data/chat-300mb.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

#: English chat text; as in real model output, a few words carry typographic characters
WORDS = ("the model learns to answer questions about invoices receipts tables code and travel plans "
         "with short precise steps; when unsure it asks a clarifying question before acting "
         "it's that's don't you're we'll so then because however first second finally example "
         "value result total price date city name list step answer check error retry file line").split()
TYPOGRAPHIC = "— ’s “quoted” café naïve …".split()
#: a multilingual mix: most words non-ASCII (the hardest case for UTF-8 validation)
MULTILINGUAL = WORDS[:30] + "café naïve über 東京 数据 données ответ λόγος ✓ 東京 数据 ответ".split()
TOOLS = [{"name": "search", "description": "web search", "parameters": {"type": "object",
          "properties": {"q": {"type": "string"}}, "required": ["q"]}},
         {"name": "calculator", "description": "evaluate arithmetic", "parameters": {"type": "object"}}]


VOCAB = WORDS


def word(rng: random.Random) -> str:
    if VOCAB is WORDS and rng.random() < 0.01:
        return rng.choice(TYPOGRAPHIC)
    return rng.choice(VOCAB)


def sentence(rng: random.Random, lo: int, hi: int) -> str:
    return " ".join(word(rng) for _ in range(rng.randint(lo, hi))).capitalize() + "."


def example(rng: random.Random, i: int) -> dict:
    """One chat example (about 1–3 KB of JSON)."""
    messages: list[dict] = [{"role": "system", "content": sentence(rng, 8, 20)}]
    for turn in range(rng.randint(1, 4)):
        messages.append({"role": "user", "content": " ".join(sentence(rng, 5, 25) for _ in range(rng.randint(1, 3)))})
        if rng.random() < 0.15:
            messages.append({"role": "assistant", "content": None, "tool_calls": [
                {"id": f"call_{i}_{turn}", "type": "function",
                 "function": {"name": "search", "arguments": json.dumps({"q": sentence(rng, 2, 6)})}}]})
            messages.append({"role": "tool", "name": "search", "content": sentence(rng, 10, 30)})
        reply = " ".join(sentence(rng, 8, 30) for _ in range(rng.randint(1, 4)))
        messages.append({"role": "assistant", "content": reply})
    row: dict = {"messages": messages}
    if rng.random() < 0.1:
        row["tools"] = TOOLS
    if rng.random() < 0.3:
        row["metadata"] = {"source": "synthetic", "index": i, "quality": round(rng.random(), 3)}
    return row


def generate(out: Path, size_bytes: int, seed: int = 7, ensure_ascii: bool = False) -> tuple[int, int]:
    """Write examples to `out` until it holds at least `size_bytes`; returns (examples, bytes)."""
    rng = random.Random(seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    written = count = 0
    with open(out, "wb") as fh:
        while written < size_bytes:
            line = (json.dumps(example(rng, count), ensure_ascii=ensure_ascii) + "\n").encode("utf-8")
            fh.write(line)
            written += len(line)
            count += 1
    return count, written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=300.0, help="target size in MiB (default 300)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data" / "chat.jsonl")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--multilingual", action="store_true",
                        help="mostly non-ASCII words (worst case for UTF-8 validation)")
    parser.add_argument("--ensure-ascii", action="store_true",
                        help="escape non-ASCII characters as \\uXXXX (what json.dumps does by default)")
    args = parser.parse_args(argv)
    global VOCAB
    VOCAB = MULTILINGUAL if args.multilingual else WORDS
    examples, nbytes = generate(args.out, int(args.size_mb * 1024 * 1024), args.seed, args.ensure_ascii)
    print(f"{args.out}: {examples} examples, {nbytes} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
