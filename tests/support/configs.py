"""The smallest valid RL and SFT configs, and a valid chat dataset line."""

RL_MIN = """\
[algorithm]
type = "online"
method = "policy_gradient"
variety = "gspo"

[services]
task_url = "http://127.0.0.1:8001"

[compute]
gpu_type = "H100"
gpu_count = 2

[topology]
type = "single_node_split"
gpus_for_vllm = 1
gpus_for_training = 1
gpus_for_ref = 0

[model]
base = "Qwen/Qwen3-0.6B"
trainer_mode = "full"
label = "demo"

[rollout]
env_name = "math"
policy_name = "math-react"
max_turns = 1
episodes_per_batch = 4
max_concurrent_rollouts = 4
"""

SFT_MIN = """\
[algorithm]
type = "offline"
method = "sft"
variety = "fft"

[job]
model = "Qwen/Qwen3-0.6B"
data = "train.jsonl"
"""

CHAT_LINE = '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'
