"""Exact request bodies of the wire contract (docs/wire-contract.md) from a LoadedConfig.

Pure functions: no network, no printing. Keys of an SFT config that will not be sent are returned
as warnings that name them.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

from ..errors import Problem
from .loaded import LoadedConfig
from .models import canonical_or_same
from .schema import SFT_HYPERPARAMETERS, suggest

#: hyperparameters copied when present (besides n_epochs, parallelism and the validation knobs)
SFT_HYPERPARAMETER_KEYS = ("batch_size", "global_batch", "per_device_batch", "gradient_accumulation_steps",
                           "sequence_length", "learning_rate", "warmup_ratio", "train_kind")
SFT_COMPUTE_KEYS = ("gpu_type", "gpu_count", "nodes")
SFT_TRAINING_KEYS = ("mode", "use_qlora")
SFT_VALIDATION_DEFAULTS: dict[str, Any] = {"evaluation_strategy": "steps", "eval_steps": 0,
                                           "save_best_model_at_end": True, "metric_for_best_model": "val.loss",
                                           "greater_is_better": False}
#: sections an SFT config may carry that are read by the tool itself (never sent, no warning)
SFT_CLIENT_SECTIONS = frozenset({"algorithm", "job", "job_type"})


def _mapping(value: Any) -> Mapping[str, Any]:
    """`value` when it is a table, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def _table(parent: dict[str, Any], name: str) -> dict[str, Any]:
    """parent[name] as a dict, created (or replaced when it is not a table)."""
    value = parent.get(name)
    if not isinstance(value, dict):
        value = {}
        parent[name] = value
    return value


def rl_config_with_defaults(data: Mapping[str, Any], *, task_url: str) -> dict[str, Any]:
    """A deep copy of the RL TOML dict with the contract's defaults applied."""
    config = copy.deepcopy(dict(data))
    _table(config, "services")["task_url"] = task_url
    _table(_table(config, "compute"), "topology").setdefault("reference_placement", "none")
    _table(config, "reference").setdefault("placement", "none")
    training = _table(config, "training")
    interval = training.get("weight_sync_interval", 1)
    weight_sync = training.get("weight_sync")
    if isinstance(weight_sync, dict):
        weight_sync["mode"] = "direct"
        weight_sync.setdefault("interval", interval)
    else:
        training["weight_sync"] = {"enable": True, "mode": "direct", "targets": ["policy"], "interval": interval}
    return config


def build_rl_body(cfg: LoadedConfig, *, task_url: str, backend_url: str, model: str | None = None) -> dict[str, Any]:
    """The `POST /api/rl/jobs` body. `model` (a --model given at build time) wins over the config's model."""
    task_url = task_url.strip()
    config = rl_config_with_defaults(cfg.data, task_url=task_url)
    if cfg.model_key and cfg.model and not (model and model.strip()):
        section, _, key = cfg.model_key.partition(".")
        config[section][key] = cfg.model  # canonical spelling
    data: dict[str, Any] = {"endpoint_base_url": task_url.rstrip("/"), "config": config}
    if model and model.strip():
        data["model"] = canonical_or_same(model)
    elif cfg.model_overridden or cfg.model_kind == "source":
        data["model"] = cfg.model
    else:
        data["base_model"] = cfg.model
    return {"job_type": "rl", "compute": config["compute"], "data": data, "tags": {"source": "train-cli"},
            "metadata": {"backend_base_url": backend_url.strip().rstrip("/")}}


def build_sft_body(cfg: LoadedConfig, *, training_file_id: str | None, validation_file_id: str | None = None,
                   model: str | None = None) -> tuple[dict[str, Any], list[Problem]]:
    """The `POST /api/learning/jobs` body, and warnings naming every config key that is not sent."""
    data = cfg.data
    hp, training, compute, data_cfg = (_mapping(data.get(name)) for name in
                                       ("hyperparameters", "training", "compute", "data"))

    hyper: dict[str, Any] = {"n_epochs": hp.get("n_epochs", 1)}
    hyper.update({k: copy.deepcopy(hp[k]) for k in SFT_HYPERPARAMETER_KEYS if k in hp})
    if isinstance(hp.get("parallelism"), Mapping):
        hyper["parallelism"] = copy.deepcopy(dict(hp["parallelism"]))
    topology = data_cfg.get("topology")
    effective: dict[str, Any] = {
        "compute": {k: compute[k] for k in SFT_COMPUTE_KEYS if k in compute},
        "data": {"topology": copy.deepcopy(dict(topology)) if isinstance(topology, Mapping) else {}},
        "training": {k: training[k] for k in SFT_TRAINING_KEYS if k in training},
    }
    validation = training.get("validation")
    if isinstance(validation, Mapping):
        hyper.update({k: validation.get(k, default) for k, default in SFT_VALIDATION_DEFAULTS.items()})
        effective["training"]["validation"] = {"enabled": validation.get("enabled", True)}
    if validation_file_id:
        effective["data"]["validation_files"] = [validation_file_id]
    chosen = canonical_or_same(model) if model and model.strip() else cfg.model
    body = {"model": chosen, "hyperparameters": hyper, "training_type": "sft_offline",
            "metadata": {"effective_config": effective}, "training_file_id": training_file_id}
    return body, dropped_sft_keys(cfg)


def dropped_sft_keys(cfg: LoadedConfig) -> list[Problem]:
    """One warning per hyperparameter and top-level table of an SFT config that the body does not carry.

    (Unknown keys inside [compute], [data], [training] are reported by the schema, with suggestions.)
    """
    data = cfg.data
    warnings: list[Problem] = []

    def drop(key: str, hint: str = "") -> None:
        warnings.append(cfg.problem(f"not sent to the backend{'; ' + hint if hint else ''}", key))

    hp = data.get("hyperparameters")
    if isinstance(hp, Mapping):
        sent = set(SFT_HYPERPARAMETERS.keys)
        for name in hp:
            if name not in sent:
                close = suggest(str(name), sent)
                drop(f"hyperparameters.{name}", f"did you mean '{close}'?" if close else
                     "only " + ", ".join(["n_epochs", *SFT_HYPERPARAMETER_KEYS, "parallelism"]) + " are sent")
    for name in data:
        if name not in SFT_CLIENT_SECTIONS and name not in ("hyperparameters", "compute", "training", "data"):
            drop(str(name))
    return warnings


def hyperparameters_summary(cfg: LoadedConfig) -> str:
    """`lr=1e-05 epochs=1 batch=2 mode=full_finetune`: the hyperparameters the job body will carry, for the
    settings `train` asks to confirm (a misspelled section shows up here as missing values)."""
    data = cfg.data
    if cfg.type == "rl":
        training = _mapping(data.get("training"))
        found = {"lr": training.get("learning_rate"), "epochs": training.get("num_epochs"),
                 "batch": training.get("batch_size"), "mode": _mapping(data.get("model")).get("trainer_mode")}
    else:
        hp = _mapping(data.get("hyperparameters"))
        found = {"lr": hp.get("learning_rate"), "epochs": hp.get("n_epochs", "1 (default)"),
                 "batch": hp.get("batch_size", hp.get("global_batch", hp.get("per_device_batch"))),
                 "mode": _mapping(data.get("training")).get("mode")}
    return " ".join(f"{name}={value}" for name, value in found.items() if value is not None)
