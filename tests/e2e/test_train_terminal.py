"""`inv train` on a real terminal (pexpect): one .env picker for several configs, confirmation first."""

from __future__ import annotations

import pexpect
import pytest

from tests.support.cli import BIN, project, write_env
from tests.support.env import user_env

pytestmark = pytest.mark.timeout(120)


def test_two_configs_one_picker_and_a_confirmation_each(tmp_path, backend) -> None:
    root = project(tmp_path)
    write_env(root / ".env", SYNTH_API_KEY=backend.api_key)
    (root / "other").mkdir()
    write_env(root / "other" / ".env", SYNTH_API_KEY="sk_wrong_0000000000000000")
    before = {j["id"] for j in backend.client().list_jobs(limit=500)}
    env = user_env(tmp_path)
    env.pop("CI")
    child = pexpect.spawn(str(BIN / "inv"), ["train", "--config", "configs/sft/demo.toml",
                                             "--config", "configs/sft/demo.toml", "--backend", backend.root,
                                             "--no-poll"],
                          cwd=str(root), env=env, encoding="utf-8", timeout=60, dimensions=(40, 120))
    child.expect(r"Choose the \.env file")
    child.expect(r"Choice \[1-\d, default 1\]: ")
    child.sendline("1")
    child.expect(r"Submit this job\? ")
    child.sendline("y")
    child.expect(r"job id: (job_\w+)")
    first = child.match.group(1)
    # the second config reuses the chosen .env: no second picker, straight to its confirmation
    index = child.expect([r"Choose the \.env file", r"Submit this job\? "])
    assert index == 1, "the .env picker was shown again for the second config"
    child.sendline("y")
    child.expect(r"job id: (job_\w+)")
    second = child.match.group(1)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    # the first creation was confirmed (its record cleared), so asking again is a new job
    assert first != second
    assert {j["id"] for j in backend.client().list_jobs(limit=500)} - before == {first, second}
