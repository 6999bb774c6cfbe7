"""The baseline of `bench_sft_step.py`: a plain TRL script, as a user would write it, training a
model folder on a chat JSONL with the same SFTConfig the embedded backend's job uses.

    python bench/plain_sft.py MODEL_DIR DATA.jsonl OUT_DIR EPOCHS BATCH LR

Prints one JSON line: {"step_times": [...], "started": t0, "first_step": t1, "done": t2}
(time.time() at process start, at the first optimizer step's log, after the final save).
"""

from __future__ import annotations

import json
import sys
import time

STARTED = time.time()


def main() -> None:
    from datasets import load_dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    model_dir, data, out_dir, epochs, batch, lr = sys.argv[1:7]
    step_times: list[float] = []

    class StepClock(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):  # noqa: ANN001, ANN003
            if logs and "loss" in logs:
                step_times.append(time.time())

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    dataset = load_dataset("json", data_files=data, split="train")
    # the same rows as the job trains on: the conversation and, where a line has them, its tool schemas
    # (the chat template renders them into the prompt, so they count in every step's sequence length)
    dataset = dataset.select_columns([c for c in ("messages", "tools") if c in dataset.column_names])
    args = SFTConfig(output_dir=out_dir, num_train_epochs=int(epochs), per_device_train_batch_size=int(batch),
                     gradient_accumulation_steps=1, learning_rate=float(lr), warmup_steps=0.1, max_length=512,
                     assistant_only_loss=True, logging_steps=1, logging_first_step=True, save_strategy="epoch",
                     save_total_limit=3, report_to="none", disable_tqdm=True, seed=42, use_cpu=True,
                     dataloader_num_workers=0, bf16=False)  # TRL's default is True: the job trains fp32 on a CPU
    trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
                         callbacks=[StepClock()])
    trainer.train()
    trainer.save_model(out_dir + "/final")
    print(json.dumps({"step_times": step_times, "started": STARTED, "first_step": step_times[0],
                      "done": time.time()}))


if __name__ == "__main__":
    main()
