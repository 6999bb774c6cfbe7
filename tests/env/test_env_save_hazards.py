"""Saving typed keys to a .env that is a link, read-only, dangling or in a folder that cannot be
written. On a real pseudo-terminal (pty_driver)."""

from __future__ import annotations

import os
import stat

import pexpect
import pytest

from synthlaunch.dotenv_file import read_values, write_keys
from synthlaunch.errors import EnvError

from .test_prompts_pty import SECRET, finish, result_of, spawn


def _type_key(child: pexpect.spawn, *, picker: bool = True) -> None:
    if picker:
        child.expect(r"Choice \[1-\d, default 1\]: ")
        child.sendline("1")
    child.expect(r"SYNTH_API_KEY \(input hidden\): ")
    child.sendline(SECRET)


@pytest.fixture
def linked(tmp_path):
    shared = tmp_path / "elsewhere" / "shared.env"
    shared.parent.mkdir()
    shared.write_text("OTHER=1\n")
    os.chmod(shared, 0o644)
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").symlink_to(shared)
    return project, shared


def test_a_linked_env_names_the_real_target_and_declining_writes_nothing(linked):
    project, shared = linked
    child, log = spawn(project, {"required": ["SYNTH_API_KEY"], "search_dirs": [str(project)]})
    _type_key(child)
    child.expect(r"\./\.env is a symbolic link to " + str(shared.resolve()).replace(".", r"\.")
                 + r": the key would be written there\. Save SYNTH_API_KEY there anyway\? \[y/N\] ")
    child.sendline("")
    code, _ = finish(child)
    assert code == 0, log.getvalue()
    assert shared.read_text() == "OTHER=1\n"
    assert result_of(log.getvalue())["sources"]["SYNTH_API_KEY"] == "typed, not saved"


def test_a_linked_env_is_written_through_only_after_an_explicit_yes(linked):
    project, shared = linked
    child, log = spawn(project, {"required": ["SYNTH_API_KEY"], "search_dirs": [str(project)]})
    _type_key(child)
    child.expect(r"Save SYNTH_API_KEY there anyway\? \[y/N\] ")
    child.sendline("y")
    code, _ = finish(child)
    assert code == 0, log.getvalue()
    assert read_values(shared) == {"OTHER": "1", "SYNTH_API_KEY": SECRET}
    assert (project / ".env").is_symlink()
    assert "readable by other users" in log.getvalue()  # the target kept its 0644: say so


def test_yes_does_not_agree_to_writing_through_a_link(linked):
    project, shared = linked
    child, log = spawn(project, {"required": ["SYNTH_API_KEY"], "search_dirs": [str(project)], "yes": True})
    _type_key(child)
    code, _ = finish(child)
    assert code == 0, log.getvalue()
    assert shared.read_text() == "OTHER=1\n"
    assert "not saving SYNTH_API_KEY to ./.env: it is a symbolic link to" in log.getvalue()
    assert result_of(log.getvalue())["sources"]["SYNTH_API_KEY"] == "typed, not saved"


def test_a_dangling_link_creates_nothing_where_it_points(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    nowhere = tmp_path / "nowhere" / "deeper" / ".env"
    (project / ".env").symlink_to(nowhere)
    child, log = spawn(project, {"required": ["SYNTH_API_KEY"], "search_dirs": [str(project)], "yes": True})
    _type_key(child, picker=False)  # a dangling link is not offered by the picker
    code, _ = finish(child)
    assert code == 0, log.getvalue()
    assert not (tmp_path / "nowhere").exists()
    assert "does not exist; not writing through it" in log.getvalue()
    assert result_of(log.getvalue())["sources"]["SYNTH_API_KEY"] == "typed, not saved"


def test_a_read_only_env_is_not_replaced_without_asking(tmp_path):
    env = tmp_path / ".env"
    env.write_text("OTHER=1\n")
    os.chmod(env, 0o400)
    child, log = spawn(tmp_path, {"required": ["SYNTH_API_KEY"], "search_dirs": [str(tmp_path)]})
    _type_key(child)
    child.expect(r"\./\.env is read-only \(mode 400\): it would be replaced\. Save SYNTH_API_KEY there anyway\? ")
    child.sendline("n")
    code, _ = finish(child)
    assert code == 0, log.getvalue()
    assert env.read_text() == "OTHER=1\n" and stat.S_IMODE(env.stat().st_mode) == 0o400


def test_a_folder_that_cannot_be_written_keeps_the_typed_key_for_the_run(tmp_path):
    (tmp_path / "blocker").write_text("a file where a folder should be")
    (tmp_path / ".env").write_text("OTHER=1\n")  # a candidate, so that the picker offers "enter a path"
    child, log = spawn(tmp_path, {"required": ["SYNTH_API_KEY"], "search_dirs": [str(tmp_path)], "yes": True})
    child.expect(r"Choice \[1-\d, default 1\]: ")
    child.sendline("2")  # enter a path
    child.expect("Path of the .env file: ")
    child.sendline("blocker/sub/.env")
    child.expect(r"SYNTH_API_KEY \(input hidden\): ")
    child.sendline(SECRET)
    code, _ = finish(child)
    transcript = log.getvalue()
    assert code == 0, transcript
    assert "could not save SYNTH_API_KEY to ./blocker/sub/.env" in transcript
    assert "the typed value is used for this run only" in transcript
    assert result_of(transcript)["sources"]["SYNTH_API_KEY"] == "typed, not saved"
    assert SECRET not in transcript


def test_write_keys_refuses_links_and_read_only_files_without_consent(linked, tmp_path):
    project, shared = linked
    with pytest.raises(EnvError, match="symbolic link to"):
        write_keys(project / ".env", {"SYNTH_API_KEY": SECRET})
    assert shared.read_text() == "OTHER=1\n"
    read_only = tmp_path / "ro.env"
    read_only.write_text("A=1\n")
    os.chmod(read_only, 0o444)
    with pytest.raises(EnvError, match="read-only"):
        write_keys(read_only, {"SYNTH_API_KEY": SECRET})
    assert write_keys(read_only, {"SYNTH_API_KEY": SECRET}, consented=True) == read_only
    assert stat.S_IMODE(read_only.stat().st_mode) == 0o444
