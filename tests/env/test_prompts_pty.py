"""The picker, prompts, hidden input and the save confirmation, on a real pseudo-terminal."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
from pathlib import Path

import pexpect
import pytest

from synthlaunch.dotenv_file import read_values
from tests.support import pty_driver
from tests.support.env import scrubbed_environ

DRIVER = Path(pty_driver.__file__)
SECRET = "sk_typed_secret_0123456789abcdef"
ENV_SECRET = "env_typed_secret_fedcba9876543210"
TIMEOUT = 30


def spawn(cwd: Path, spec: dict, extra_env: dict | None = None) -> tuple[pexpect.spawn, io.StringIO]:
    env = scrubbed_environ()  # no CI, no keys; HOME and XDG dirs are the test's private ones
    env.update(extra_env or {})
    env["COLUMNS"] = "200"
    log = io.StringIO()
    child = pexpect.spawn(sys.executable, [str(DRIVER), json.dumps(spec)], cwd=str(cwd), env=env,
                          encoding="utf-8", timeout=TIMEOUT, dimensions=(40, 200))
    child.logfile_read = log
    return child, log


def finish(child: pexpect.spawn) -> tuple[int, str]:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus, child.before


def result_of(text: str) -> dict:
    line = next(line for line in text.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


@pytest.fixture
def project(tmp_path):
    (tmp_path / ".env").write_text("# top level\nOTHER=1\n")
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / ".env").write_text("# service env\nexport KEEP='me' # note\n")
    return tmp_path


def test_picker_prompts_hidden_input_and_saves_after_confirmation(project):
    top_before = (project / ".env").read_bytes()
    child, log = spawn(project, {"required": ["SYNTH_API_KEY", "TASK_APP_URL"], "search_dirs": [str(project)]})
    child.expect(r"Choose the \.env file")
    child.expect(r"1\) \./\.env")
    child.expect(r"2\) \./svc/\.env")
    child.expect(r"3\) enter a path")
    child.expect(r"4\) abort")
    child.expect(r"Choice \[1-4, default 1\]: ")
    child.sendline("7")                      # out of range: asked again
    child.expect("please type a number from 1 to 4")
    child.expect(r"Choice \[1-4, default 1\]: ")
    child.sendline("2")
    child.expect(r"SYNTH_API_KEY \(input hidden\): ")
    child.sendline(SECRET)
    child.expect(r"TASK_APP_URL: ")
    child.sendline("not a url")
    child.expect("please type a full http:// or https:// URL")
    child.expect(r"TASK_APP_URL: ")
    child.sendline("https://task.example.com")
    child.expect(r"Save SYNTH_API_KEY, TASK_APP_URL to \./svc/\.env so the next run finds them\? \[y/N\] ")
    child.sendline("y")
    code, rest = finish(child)
    transcript = log.getvalue()
    assert code == 0, transcript
    assert SECRET not in transcript          # neither echoed while typing nor printed afterwards
    assert "SYNTH_API_KEY: sk_t…ef (from typed, saved to ./svc/.env)" in transcript
    result = result_of(transcript)
    assert result["saved"] and result["typed"] == ["SYNTH_API_KEY", "TASK_APP_URL"]
    assert result["interactive"]
    saved = (project / "svc" / ".env").read_text()
    assert saved.startswith("# service env\nexport KEEP='me' # note\n")
    assert read_values(project / "svc" / ".env") == {"KEEP": "me", "SYNTH_API_KEY": SECRET,
                                                      "TASK_APP_URL": "https://task.example.com"}
    assert (project / ".env").read_bytes() == top_before


def test_saving_a_secret_into_a_shared_file_warns(project):
    os.chmod(project / ".env", 0o644)
    child, log = spawn(project, {"required": ["SYNTH_API_KEY"], "search_dirs": [str(project)], "yes": True})
    child.expect(r"Choice \[1-4, default 1\]: ")
    child.sendline("1")
    child.expect(r"SYNTH_API_KEY \(input hidden\): ")
    child.sendline(SECRET)
    code, _ = finish(child)
    assert code == 0
    assert "./.env is readable by other users (mode 644); consider `chmod 600 ./.env`" in log.getvalue()
    assert stat.S_IMODE(os.stat(project / ".env").st_mode) == 0o644  # an existing file keeps its mode


def test_declining_the_confirmation_writes_nothing(project):
    before = (project / ".env").read_bytes()
    child, log = spawn(project, {"required": ["SYNTH_API_KEY"], "search_dirs": [str(project)]})
    child.expect(r"Choice \[1-4, default 1\]: ")
    child.sendline("")                       # default: ./.env
    child.expect(r"SYNTH_API_KEY \(input hidden\): ")
    child.sendline("")                       # empty: asked again
    child.expect("cannot be empty")
    child.expect(r"SYNTH_API_KEY \(input hidden\): ")
    child.sendline(SECRET)
    child.expect(r"\[y/N\] ")
    child.sendline("")                       # default no
    code, _ = finish(child)
    assert code == 0
    assert result_of(log.getvalue())["sources"]["SYNTH_API_KEY"] == "typed, not saved"
    assert (project / ".env").read_bytes() == before
    assert SECRET not in log.getvalue()


def test_enter_a_path_creates_a_private_file(project):
    child, log = spawn(project, {"required": ["SYNTH_API_KEY"], "search_dirs": [str(project)]})
    child.expect(r"Choice \[1-4, default 1\]: ")
    child.sendline("3")
    child.expect("Path of the .env file: ")
    child.sendline("secrets/new.env")
    child.expect("does not exist yet")
    child.expect(r"SYNTH_API_KEY \(input hidden\): ")
    child.sendline(SECRET)
    child.expect(r"Save SYNTH_API_KEY to \./secrets/new\.env")
    child.sendline("yes")
    code, _ = finish(child)
    assert code == 0, log.getvalue()
    path = project / "secrets" / "new.env"
    assert path.read_text() == f"SYNTH_API_KEY={SECRET}\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "(new file, mode 0600)" in log.getvalue()


def test_abort_at_the_picker_exits_2(project):
    child, log = spawn(project, {"required": ["SYNTH_API_KEY"], "search_dirs": [str(project)]})
    child.expect(r"Choice \[1-4, default 1\]: ")
    child.sendline("4")
    code, _ = finish(child)
    assert code == 2
    assert "ERROR aborted: no .env file chosen" in log.getvalue()


def test_yes_confirms_and_shell_values_are_never_written(tmp_path):
    # no .env anywhere: no picker; the typed key goes to ./.env (new, 0600) without a question
    child, log = spawn(tmp_path, {"required": ["SYNTH_API_KEY", "ENVIRONMENT_API_KEY"],
                                  "search_dirs": [str(tmp_path)], "yes": True},
                       extra_env={"SYNTH_API_KEY": SECRET})
    child.expect(r"ENVIRONMENT_API_KEY \(input hidden\): ")
    child.sendline(ENV_SECRET)
    code, _ = finish(child)
    transcript = log.getvalue()
    assert code == 0, transcript
    assert "Save" not in transcript and "Choose" not in transcript
    assert read_values(tmp_path / ".env") == {"ENVIRONMENT_API_KEY": ENV_SECRET}   # SYNTH_API_KEY (shell) not saved
    assert stat.S_IMODE(os.stat(tmp_path / ".env").st_mode) == 0o600
    assert SECRET not in transcript and ENV_SECRET not in transcript
    assert "SYNTH_API_KEY: sk_t…ef (from shell)" in transcript


def test_env_file_flag_means_no_picker(project):
    child, log = spawn(project, {"required": ["SYNTH_API_KEY"], "env_files": ["svc/.env"],
                                 "search_dirs": [str(project)]})
    child.expect(r"SYNTH_API_KEY \(input hidden\): ")
    child.sendline(SECRET)
    child.expect(r"Save SYNTH_API_KEY to \./svc/\.env")
    child.sendline("y")
    code, _ = finish(child)
    assert code == 0
    assert "Choose" not in log.getvalue()
    assert read_values(project / "svc" / ".env")["SYNTH_API_KEY"] == SECRET


def test_ci_on_a_terminal_never_prompts(project):
    child, log = spawn(project, {"required": ["SYNTH_API_KEY"], "search_dirs": [str(project)]},
                       extra_env={"CI": "1"})
    code, _ = finish(child)
    assert code == 2
    assert "missing SYNTH_API_KEY (not prompting: CI is set)" in log.getvalue()
    assert "Choose" not in log.getvalue()


def test_no_picker_when_no_key_is_needed(project):
    # e.g. `inv train --dry-run`: nothing required, so nothing asked; the top-level .env is read
    child, log = spawn(project, {"required": [], "search_dirs": [str(project)]})
    code, _ = finish(child)
    assert code == 0, log.getvalue()
    assert "Choose" not in log.getvalue()
    assert result_of(log.getvalue())["env_file"] == str(project / ".env")


def test_ctrl_c_at_the_hidden_prompt_writes_nothing(project):
    before = (project / ".env").read_bytes()
    child, log = spawn(project, {"required": ["SYNTH_API_KEY"], "search_dirs": [str(project)]})
    child.expect(r"Choice \[1-4, default 1\]: ")
    child.sendline("1")
    child.expect(r"SYNTH_API_KEY \(input hidden\): ")
    child.send("sk_partial")
    child.sendintr()
    code, _ = finish(child)
    assert code == 130
    assert "INTERRUPTED" in log.getvalue() and "sk_partial" not in log.getvalue()
    assert (project / ".env").read_bytes() == before
