"""A byte-level tokenizer with a ChatML chat template, built locally (no download).

Every UTF-8 byte is one token (256 ids), plus the ChatML special tokens. The chat template marks
assistant turns with `{% generation %}` (end-of-turn token included), so TRL's assistant-only
loss works without swapping templates. It renders `tools` in the system turn and assistant
`tool_calls` as `<tool_call>{"name": …, "arguments": …}</tool_call>` (the Qwen/Hermes format), so
tool-call SFT data and RL with a forced tool call use one format.
"""

from __future__ import annotations

from typing import Any

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")

CHAT_TEMPLATE = (
    # tools (flat {name, description, parameters} or OpenAI {type, function}) go in the system turn;
    # tool calls are written the Qwen/Hermes way: <tool_call>{"name": …, "arguments": …}</tool_call>
    "{%- if tools -%}"
    "{{ '<|im_start|>system\\n' }}"
    "{%- if messages and messages[0]['role'] == 'system' -%}{{ messages[0]['content'] + '\\n' }}{%- endif -%}"
    "{{ '<tools>\\n' }}"
    "{%- for tool in tools -%}"
    "{{ (tool['function'] if tool['function'] is defined else tool) | tojson }}{{ '\\n' }}"
    "{%- endfor -%}"
    "{{ '</tools><|im_end|>\\n' }}"
    "{%- endif -%}"
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'assistant' -%}"
    "{{ '<|im_start|>assistant\\n' }}{% generation %}{{ message['content'] or '' }}"
    "{%- for call in (message['tool_calls'] or []) -%}"
    "{%- set fn = call['function'] if call['function'] is defined else call -%}"
    "{{ '<tool_call>{\"name\": \"' + fn['name'] + '\", \"arguments\": ' }}"
    "{%- if fn['arguments'] is string -%}{{ fn['arguments'] }}{%- else -%}{{ fn['arguments'] | tojson }}{%- endif -%}"
    "{{ '}</tool_call>' }}"
    "{%- endfor -%}"
    "{{ '<|im_end|>' }}{% endgeneration %}"
    "{{ '\\n' }}"
    "{%- elif tools and loop.first and message['role'] == 'system' -%}"
    "{%- else -%}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + (message['content'] or '') + '<|im_end|>\\n' }}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}"
)
#: bumped when the built files change (a cached build of another version is rebuilt)
TEMPLATE_VERSION = "2-tools"


def build_byte_tokenizer(max_length: int = 2048) -> Any:
    """A `PreTrainedTokenizerFast`: byte-level BPE with no merges, ChatML specials and template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {symbol: index for index, symbol in enumerate(alphabet)}
    core = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    core.decoder = decoders.ByteLevel()
    core.add_special_tokens(list(SPECIAL_TOKENS))
    return PreTrainedTokenizerFast(
        tokenizer_object=core, eos_token="<|im_end|>", pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"], model_max_length=max_length,
        chat_template=CHAT_TEMPLATE, clean_up_tokenization_spaces=False)
