"""Training configs: discovery, TOML loading, type inference, validation, models and job bodies.

Public API (what `train.py`, `validate.py` and `preflight.py` call):

- `load_and_validate(path, *, type_override="auto", model=None, dataset=None, allow_experimental=None,
  env=os.environ) -> LoadedConfig` — raises ConfigError listing every problem.
- `build_rl_body(cfg, *, task_url, backend_url, model=None) -> dict`
- `build_sft_body(cfg, *, training_file_id, validation_file_id=None, model=None) -> (dict, warnings)`
- `discover_configs(root=None, *, type_filter=None) -> list[(Path, "rl"|"sft")]`
- `choose_configs(out, configs, type_filter) -> list[Path]`
"""

from __future__ import annotations

from .discover import choose_configs, discover_configs
from .infer import infer_type
from .load import KeyLines, load_toml, parse_toml_text
from .loaded import LoadedConfig, load_and_validate
from .models import experimental_allowed, resolve_model
from .payload import build_rl_body, build_sft_body, hyperparameters_summary

__all__ = [
    "hyperparameters_summary",
    "KeyLines", "LoadedConfig", "build_rl_body", "build_sft_body", "choose_configs", "discover_configs",
    "experimental_allowed", "infer_type", "load_and_validate", "load_toml", "parse_toml_text", "resolve_model",
]
