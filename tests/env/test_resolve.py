"""Env resolution without a terminal: precedence, aliases, sources, discovery, the one error."""

from __future__ import annotations

import pytest

from synthlaunch.env import discover_env_files, required_keys, resolve_env
from synthlaunch.errors import EnvError
from synthlaunch.redact import REGISTRY, redact
from tests.support.capture import Captured

SK = "sk_test_resolve_0123456789abcdef"
EK = "env_test_resolve_abcdef0123456789"


def make_out(**kw):
    return Captured(no_input=True, **kw).parts


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_required_keys_per_type():
    assert required_keys("rl", task_url_known=False) == ["SYNTH_API_KEY", "ENVIRONMENT_API_KEY", "TASK_APP_URL"]
    assert required_keys("rl", task_url_known=True) == ["SYNTH_API_KEY", "ENVIRONMENT_API_KEY"]
    assert required_keys("sft", task_url_known=False) == ["SYNTH_API_KEY"]
    assert required_keys(None, task_url_known=False) == ["SYNTH_API_KEY"]


def test_precedence_flag_shell_env_files_discovered(home):
    (home / ".env").write_text("TASK_APP_URL=https://discovered.example.com\nSYNTH_API_KEY=from_discovered_x\n")
    first = home / "a.env"
    first.write_text("TASK_APP_URL=https://first.example.com\nENVIRONMENT_API_KEY=from_first_file_1\n"
                     "SYNTH_ORG_ID=org_first\n")
    second = home / "b.env"
    second.write_text("ENVIRONMENT_API_KEY=from_second_file_2\n")
    out, stdout, _ = make_out(verbose=True)  # source lines: once, or always with --verbose
    env = resolve_env(out, required=required_keys("rl", task_url_known=False), env_files=[first, second],
                      flag_values={"TASK_APP_URL": "https://flag.example.com"},
                      environ={"SYNTH_API_KEY": SK, "SYNTH_ORG_ID": "org_shell"})
    assert env.task_url == "https://flag.example.com"
    assert env.sources["TASK_APP_URL"] == "flag --task-url"
    assert env.synth_api_key == SK and env.sources["SYNTH_API_KEY"] == "shell"
    assert env.environment_api_key == "from_second_file_2"        # later --env-file wins
    assert env.sources["ENVIRONMENT_API_KEY"] == "file ./b.env"
    assert env.get("SYNTH_ORG_ID") == "org_shell"                  # shell beats files for any key
    assert env.env_file == first                                   # discovered .env not read with --env-file
    text = stdout.getvalue()
    assert "SYNTH_API_KEY: sk_t…ef (from shell)" in text
    assert "TASK_APP_URL: https://flag.example.com (from flag --task-url)" in text
    assert SK not in text and "from_second_file_2" not in text


def test_discovered_env_is_used_when_no_env_file(home):
    (home / ".env").write_text(f"SYNTH_API_KEY={SK}\n")
    out, stdout, _ = make_out()
    env = resolve_env(out, required=["SYNTH_API_KEY"], environ={})
    assert env.synth_api_key == SK
    assert env.sources["SYNTH_API_KEY"] == "file ./.env"
    assert env.env_file == home / ".env"


def test_nested_env_is_not_used_silently_without_a_terminal(home):
    (home / "sub").mkdir()
    (home / "sub" / ".env").write_text(f"SYNTH_API_KEY={SK}\n")
    out, _, _ = make_out()
    with pytest.raises(EnvError, match="missing SYNTH_API_KEY"):
        resolve_env(out, required=["SYNTH_API_KEY"], environ={})


def test_config_folder_env_is_used(home):
    cfg_dir = home / "elsewhere"
    cfg_dir.mkdir()
    (cfg_dir / ".env").write_text(f"SYNTH_API_KEY={SK}\n")
    out, _, _ = make_out()
    env = resolve_env(out, required=["SYNTH_API_KEY"], search_dirs=[home, cfg_dir], environ={})
    assert env.synth_api_key == SK and env.env_file == cfg_dir / ".env"


def test_aliases(home):
    out, _, _ = make_out()
    env = resolve_env(out, required=required_keys("rl", task_url_known=False),
                      environ={"SYNTH_API_KEY": SK, "DEV_ENVIRONMENT_API_KEY": EK,
                               "TASK_APP_BASE_URL": "https://alias.example.com/"})
    assert env.environment_api_key == EK
    assert env.sources["ENVIRONMENT_API_KEY"] == "shell, as DEV_ENVIRONMENT_API_KEY"
    assert env.task_url == "https://alias.example.com"


def test_canonical_name_beats_alias_in_the_same_source_and_source_beats_alias(home):
    envfile = home / "x.env"
    envfile.write_text("ENVIRONMENT_API_KEY=file_canonical_key\n")
    out, _, _ = make_out()
    env = resolve_env(out, required=["ENVIRONMENT_API_KEY"], env_files=[envfile],
                      environ={"DEV_ENVIRONMENT_API_KEY": EK})
    assert env.environment_api_key == EK  # shell (via alias) is a higher source than the file
    env = resolve_env(out, required=["ENVIRONMENT_API_KEY"], env_files=[envfile],
                      environ={"DEV_ENVIRONMENT_API_KEY": EK, "ENVIRONMENT_API_KEY": "shell_canonical_key"})
    assert env.environment_api_key == "shell_canonical_key"


def test_empty_values_count_as_missing(home):
    out, _, _ = make_out()
    with pytest.raises(EnvError, match="missing SYNTH_API_KEY"):
        resolve_env(out, required=["SYNTH_API_KEY"], environ={"SYNTH_API_KEY": "   "})


def test_one_error_lists_every_missing_key_and_how(home):
    out, stdout, stderr = make_out()
    with pytest.raises(EnvError) as info:
        resolve_env(out, required=required_keys("rl", task_url_known=False), environ={})
    msg = info.value.message
    assert info.value.exit_code == 2
    assert msg.startswith("missing SYNTH_API_KEY, ENVIRONMENT_API_KEY, TASK_APP_URL (not prompting: --no-input")
    for key in ("SYNTH_API_KEY", "ENVIRONMENT_API_KEY", "TASK_APP_URL"):
        assert f"  {key} \u2014 " in msg and "****" not in msg and f"export {key}=" in msg and f"add {key}=… to a .env" in msg
    assert "pass --task-url" in msg and "[services].task_url" in msg and "DEV_ENVIRONMENT_API_KEY" in msg
    assert stdout.getvalue() == "" and stderr.getvalue() == ""


def test_ci_is_named_as_the_reason(home, monkeypatch):
    monkeypatch.setenv("CI", "true")
    out = Captured().out
    with pytest.raises(EnvError, match=r"not prompting: CI is set"):
        resolve_env(out, required=["SYNTH_API_KEY"], environ={})


def test_missing_env_file_is_an_error(home):
    out, _, _ = make_out()
    with pytest.raises(EnvError, match="nope.env does not exist"):
        resolve_env(out, required=[], env_files=["nope.env"], environ={})


def test_nothing_is_written_without_typed_values(home):
    envfile = home / ".env"
    envfile.write_text("# mine\nOTHER=1\n")
    before = envfile.read_bytes()
    out, _, _ = make_out()
    resolve_env(out, required=["SYNTH_API_KEY"], environ={"SYNTH_API_KEY": SK})
    assert envfile.read_bytes() == before


def test_backend_from_flag_shell_or_chosen_env(home):
    (home / ".env").write_text("BACKEND_OVERRIDE=https://file-override.example.com/\n")
    out, stdout, _ = make_out(verbose=True)  # source lines: once, or always with --verbose
    env = resolve_env(out, required=[], environ={})
    assert env.backend_url == "https://file-override.example.com/api"
    assert env.backend_source == "BACKEND_OVERRIDE (file ./.env)"
    env = resolve_env(out, required=[], environ={"BACKEND_BASE_URL": "http://127.0.0.1:8123"})
    assert env.backend_url == "http://127.0.0.1:8123/api"             # BACKEND_BASE_URL beats BACKEND_OVERRIDE
    env = resolve_env(out, required=[], environ={"BACKEND_BASE_URL": "http://127.0.0.1:8123"},
                      backend_flag="https://flag.example.com/api/v1/")
    assert env.backend_url == "https://flag.example.com/api/v1"
    assert "backend: https://flag.example.com/api/v1 (from flag --backend)" in stdout.getvalue()


def test_insecure_backend_is_refused_before_anything(home):
    out, _, _ = make_out()
    with pytest.raises(EnvError, match="refusing to send SYNTH_API_KEY over plain http://"):
        resolve_env(out, required=["SYNTH_API_KEY"], environ={"SYNTH_API_KEY": SK},
                    backend_flag="http://backend.example.com")
    env = resolve_env(out, required=["SYNTH_API_KEY"], environ={"SYNTH_API_KEY": SK},
                      backend_flag="http://backend.example.com", allow_insecure_http=True)
    assert env.backend_url == "http://backend.example.com/api"


def test_insecure_task_app_is_refused_for_the_environment_key(home):
    out, _, _ = make_out()
    with pytest.raises(EnvError, match="refusing to send ENVIRONMENT_API_KEY"):
        resolve_env(out, required=required_keys("rl", task_url_known=False),
                    environ={"SYNTH_API_KEY": SK, "ENVIRONMENT_API_KEY": EK,
                             "TASK_APP_URL": "http://task.example.com"})


def test_secrets_are_registered_for_redaction(home):
    envfile = home / "k.env"
    envfile.write_text("OPENAI_API_KEY=sk-openai-fromfile-123456\nENVIRONMENT_API_KEY_ALIASES=alias_one_123456,"
                       "alias_two_abcdef\n")
    out, _, _ = make_out()
    env = resolve_env(out, required=["SYNTH_API_KEY"], env_files=[envfile], environ={"SYNTH_API_KEY": SK})
    assert env.environment_api_key_aliases == ["alias_one_123456", "alias_two_abcdef"]
    values = REGISTRY.values()
    for secret in (SK, "sk-openai-fromfile-123456", "alias_one_123456", "alias_two_abcdef"):
        assert secret in values
        assert secret not in redact(f"echo {secret[:-1]} and {secret}")


def test_quiet_hides_the_source_lines(home):
    out, stdout, _ = make_out(quiet=True)
    resolve_env(out, required=["SYNTH_API_KEY"], environ={"SYNTH_API_KEY": SK})
    assert stdout.getvalue() == ""


def test_as_dict_masks_secrets(home):
    out, _, _ = make_out()
    env = resolve_env(out, required=["SYNTH_API_KEY"], environ={"SYNTH_API_KEY": SK})
    doc = env.as_dict()
    assert doc["keys"]["SYNTH_API_KEY"] == {"value": "sk_t…ef", "source": "shell"}


def test_discovery_skips_vcs_virtualenvs_and_node_modules(tmp_path):
    for folder in (".git", "node_modules", "venv_custom", "pkg/sub", "a/b/c/d/e", ".hidden"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / ".env").write_text("X=1\n")
    (tmp_path / "venv_custom" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / ".env").write_text("X=1\n")
    (tmp_path / "prod.env").write_text("X=1\n")
    (tmp_path / ".env.example").write_text("X=\n")
    found = [p.relative_to(tmp_path).as_posix() for p in discover_env_files([tmp_path])]
    assert found == [".env", "prod.env", "pkg/sub/.env"]


def test_unparsable_lines_are_reported_through_output(home):
    envfile = home / "bad.env"
    envfile.write_text(f"SYNTH_API_KEY={SK}\nA=\"unterminated\n")
    out, _, stderr = make_out()
    env = resolve_env(out, required=["SYNTH_API_KEY"], env_files=[envfile], environ={})
    assert env.synth_api_key == SK
    assert "warning: ./bad.env:2: cannot parse this line; it is ignored" in stderr.getvalue()


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SOURCES = ("flag", "shell", "file1", "file2", "discovered")


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["TASK_APP_URL", "TASK_APP_BASE_URL"]),
                       st.sets(st.sampled_from(SOURCES), min_size=1), min_size=1))
def test_highest_source_wins_property(tmp_path_factory, placement):
    """Whatever the sources holding TASK_APP_URL (or its alias), the highest one supplies it."""
    root = tmp_path_factory.mktemp("prec")
    files = {"file1": root / "one.env", "file2": root / "two.env", "discovered": root / ".env"}
    content: dict[str, list[str]] = {name: [] for name in files}
    environ: dict[str, str] = {}
    flags: dict[str, str] = {}
    for name, sources in placement.items():
        for source in sources:
            value = f"https://{source}.{name.lower().replace('_', '-')}.example.com"
            if source == "flag":
                if name == "TASK_APP_URL":
                    flags[name] = value
            elif source == "shell":
                environ[name] = value
            else:
                content[source].append(f"{name}={value}")
    for name, path in files.items():
        path.write_text("\n".join(content[name]) + "\n")
    out, _, _ = make_out()
    env_files = [files["file1"], files["file2"]] if any(
        s in ("file1", "file2") for ss in placement.values() for s in ss) else []
    env = resolve_env(out, required=[], env_files=env_files, search_dirs=[root], flag_values=flags,
                      environ=environ)
    order = ["flag", "shell", "file2", "file1"] + ([] if env_files else ["discovered"])
    expected = None
    for source in order:
        for name in ("TASK_APP_URL", "TASK_APP_BASE_URL"):  # the canonical name first within a source
            if source in placement.get(name, set()) and not (source == "flag" and name != "TASK_APP_URL"):
                expected = f"https://{source}.{name.lower().replace('_', '-')}.example.com"
                break
        if expected:
            break
    assert env.task_url == expected


@pytest.mark.parametrize("url", ["http://[::1", "http://[oops:8001", "http://127.0.0.1:99999", "http://a b:8001"])
def test_a_task_url_that_cannot_be_parsed_is_invalid_input_naming_its_source(home, url):
    out, _, _ = make_out()
    with pytest.raises(EnvError) as info:
        resolve_env(out, required=required_keys("rl", task_url_known=False),
                    environ={"SYNTH_API_KEY": SK, "ENVIRONMENT_API_KEY": EK}, flag_values={"TASK_APP_URL": url})
    assert info.value.message.startswith("TASK_APP_URL (from flag --task-url)")
    assert "is not an http(s) URL with a host" in info.value.message


def test_source_lines_are_shown_once_then_only_with_verbose(home):
    environ = {"SYNTH_API_KEY": SK, "SYNTHLAUNCH_STATE_DIR": str(home / "state")}
    texts = []
    for verbose in (False, False, True):
        out, stdout, _ = make_out(verbose=verbose)
        resolve_env(out, required=["SYNTH_API_KEY"], environ=environ)
        texts.append(stdout.getvalue())
    assert "SYNTH_API_KEY: " in texts[0] and "(from shell)" in texts[0] and "backend: " in texts[0]
    assert texts[1] == ""
    assert texts[2] == texts[0]
    out, stdout, _ = make_out()
    resolve_env(out, required=["SYNTH_API_KEY"], environ={**environ, "BACKEND_BASE_URL": "http://127.0.0.1:9"})
    assert stdout.getvalue() == "backend: http://127.0.0.1:9/api (from BACKEND_BASE_URL (shell))\n"  # only the changed line
