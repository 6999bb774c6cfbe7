"""The variable names of later clients and today's docs: backend URL names after 0.2.17's (the
source line names the one that won), `SYNTH_USER_KEY` / `SYNTH_BACKEND_API_KEY` as aliases of
`SYNTH_API_KEY`, and the hosted default root of clients from 0.4.12 on."""

from __future__ import annotations

import io

import pytest

from synthlaunch.backend_url import HOSTED_ROOT, OLDER_HOSTED_ROOTS, resolve_backend
from synthlaunch.console import Output
from synthlaunch.env import resolve_env
from synthlaunch.stream import reattach_commands

ORDER = ["BACKEND_BASE_URL", "BACKEND_OVERRIDE", "SYNTH_API_URL", "SYNTH_BACKEND_URL", "SYNTH_API_BASE_URL",
         "SYNTH_BACKEND_OVERRIDE"]


@pytest.mark.parametrize("first", range(len(ORDER)))
def test_backend_variables_in_documented_order_and_named_in_the_source(first):
    env = {name: f"https://{name.lower().replace('_', '-')}.example.com" for name in ORDER[first:]}
    env["PROD_BACKEND_URL"] = "https://prod.example.com"
    choice = resolve_backend(None, env)
    assert choice.url == env[ORDER[first]] + "/api"
    assert choice.source == f"{ORDER[first]} (environment)"


def test_hosted_default_is_the_new_root_and_older_roots_are_still_accepted():
    assert HOSTED_ROOT == "https://api.usesynth.ai"
    assert resolve_backend(None, {}).url == "https://api.usesynth.ai/api"
    for root in OLDER_HOSTED_ROOTS:
        assert resolve_backend(root, {}).url == root + "/api"
        # reattaching to an older host needs --backend now that it is not the default
        assert reattach_commands("job_1", root + "/api")[0].endswith(f"--backend {root}")
    assert "--backend" not in reattach_commands("job_1", HOSTED_ROOT + "/api")[0]


@pytest.mark.parametrize("alias", ["SYNTH_USER_KEY", "SYNTH_BACKEND_API_KEY"])
def test_key_aliases_are_read_after_synth_api_key_and_shown_in_the_source(tmp_path, monkeypatch, alias):
    monkeypatch.chdir(tmp_path)
    value = "sk_alias_" + "7" * 24
    stdout, stderr = io.StringIO(), io.StringIO()
    out = Output(no_input=True, stdout=stdout, stderr=stderr, verbose=True)  # every source line, not only new ones
    env = resolve_env(out, required=["SYNTH_API_KEY"], environ={alias: value, "SYNTH_API_URL": "https://x.example.com"})
    assert env.synth_api_key == value
    assert env.sources["SYNTH_API_KEY"] == f"shell, as {alias}"
    assert env.backend_url == "https://x.example.com/api" and env.backend_source == "SYNTH_API_URL (shell)"
    text = stdout.getvalue() + stderr.getvalue()
    assert f"(from shell, as {alias})" in text and "(from SYNTH_API_URL (shell))" in text
    assert value not in text
    # the canonical name wins over its aliases
    both = resolve_env(out, required=["SYNTH_API_KEY"], environ={alias: value, "SYNTH_API_KEY": "sk_main_" + "8" * 24})
    assert both.synth_api_key.startswith("sk_main_") and both.sources["SYNTH_API_KEY"] == "shell"
