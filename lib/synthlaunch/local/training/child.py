"""The training process of one SFT job: `python -m synthlaunch.local.training.child SPEC_JSON`
(or the same module under `torchrun` for DDP). TRL's SFTTrainer does the training; this module
only wires the spec into it and reports through `report.py`. Exit 0 after a `done` report.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from .report import Reporter
from .spec import TrainSpec


class TrainingRefused(RuntimeError):
    """The job asks for something this machine cannot do (the message says why)."""


def _rank() -> int:
    return int(os.environ.get("RANK", "0"))


def _sft_config(spec: TrainSpec, device: Any, has_eval: bool) -> Any:
    from trl import SFTConfig

    eval_strategy = "no" if not has_eval else ("steps" if spec.eval_steps else "epoch")
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    return SFTConfig(
        output_dir=str(Path(spec.output_dir) / "output"),
        num_train_epochs=spec.n_epochs,
        per_device_train_batch_size=spec.per_device_batch,
        per_device_eval_batch_size=spec.per_device_batch,
        gradient_accumulation_steps=spec.gradient_accumulation_steps,
        learning_rate=spec.learning_rate,
        warmup_steps=spec.warmup_ratio,          # a float below 1 is a ratio of the total steps
        max_length=spec.sequence_length,
        assistant_only_loss=True,
        packing=False,
        logging_steps=1,
        logging_first_step=True,
        eval_strategy=eval_strategy,
        eval_steps=spec.eval_steps or None,
        save_strategy="epoch",
        save_total_limit=3,
        report_to="none",
        disable_tqdm=True,
        seed=spec.seed,
        bf16=device.bf16,
        use_cpu=device.kind == "cpu",
        ddp_backend=("gloo" if device.kind == "cpu" else "nccl") if distributed else None,
        dataloader_num_workers=0,
    )


def _load_model(spec: TrainSpec, device: Any) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if spec.builtin:
        from .tiny import ensure_built

        ensure_built(spec.builtin, Path(spec.model_path))
    kwargs: dict[str, Any] = {"dtype": torch.bfloat16 if device.bf16 else torch.float32}
    if spec.qlora:
        if device.kind != "cuda":
            raise TrainingRefused(f"QLoRA needs a CUDA GPU (4-bit bitsandbytes kernels) and this machine trains on "
                                  f"{device.kind}: use [training].mode = \"lora\" (LoRA in full precision) instead")
        try:
            import bitsandbytes  # noqa: F401
            from transformers import BitsAndBytesConfig
        except ImportError:
            raise TrainingRefused("QLoRA needs the bitsandbytes package: pip install bitsandbytes") from None
        kwargs["quantization_config"] = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                                           bnb_4bit_compute_dtype=torch.bfloat16)
    tokenizer = AutoTokenizer.from_pretrained(spec.model_path)
    model = AutoModelForCausalLM.from_pretrained(spec.model_path, **kwargs)
    return model, tokenizer


def _peft_config(spec: TrainSpec) -> Any:
    if not spec.lora:
        return None
    from peft import LoraConfig

    return LoraConfig(r=spec.lora_r, lora_alpha=spec.lora_alpha, lora_dropout=spec.lora_dropout,
                      target_modules="all-linear", task_type="CAUSAL_LM")


def train(spec: TrainSpec, reporter: Reporter) -> None:
    from trl import SFTTrainer

    from .callback import ReportCallback
    from .data import load_datasets
    from .device import pick_device
    from .export import save_final

    device = pick_device()
    model, tokenizer = _load_model(spec, device)
    train_ds, eval_ds = load_datasets(spec.train_file, spec.validation_file, spec.holdout_validation, spec.seed)
    params = sum(p.numel() for p in model.parameters())
    reporter.event("sft.model.loaded",
                   f"training {spec.model_id} ({params:,} parameters, {'LoRA' if spec.lora else 'full fine-tune'}) "
                   f"on {device.describe()} with {int(os.environ.get('WORLD_SIZE', '1'))} process(es); "
                   f"{len(train_ds)} training example(s)" + (f", {len(eval_ds)} validation" if eval_ds else ""),
                   model=spec.model_id, parameters=params, device=device.kind, bf16=device.bf16,
                   lora=spec.lora, world_size=int(os.environ.get("WORLD_SIZE", "1")))
    trainer = SFTTrainer(model=model, args=_sft_config(spec, device, eval_ds is not None),
                         train_dataset=train_ds, eval_dataset=eval_ds, processing_class=tokenizer,
                         peft_config=_peft_config(spec),
                         callbacks=[ReportCallback(reporter, fail_at_step=spec.fail_at_step,
                                                   crash_at_step=spec.crash_at_step)])
    result = trainer.train(resume_from_checkpoint=spec.resume_from)
    if trainer.is_world_process_zero():
        started = time.monotonic()
        folders = save_final(trainer, tokenizer, Path(spec.output_dir) / "final", lora=spec.lora)
        losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
        reporter.send("done", steps=trainer.state.global_step, final_loss=losses[-1] if losses else None,
                      train_runtime=result.metrics.get("train_runtime"), folders=folders,
                      export_seconds=round(time.monotonic() - started, 3))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m synthlaunch.local.training.child SPEC_JSON", file=sys.stderr)
        return 2
    spec = TrainSpec.load(Path(args[0]))
    reporter = Reporter(spec.report_file, enabled=_rank() == 0)
    try:
        train(spec, reporter)
    except Exception as exc:
        traceback.print_exc()
        reporter.send("error", message=f"{type(exc).__name__}: {exc}")
        return 1
    finally:
        reporter.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
