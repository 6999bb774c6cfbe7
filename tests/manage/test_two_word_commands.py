"""`synthlaunch job show ID`, `files delete ID`, `runs show ID`: the two words reach the dotted task."""

from __future__ import annotations

import pytest

from synthlaunch.program import join_subcommand


@pytest.mark.parametrize("argv,expected", [
    (["synthlaunch", "job", "show", "j1"], ["synthlaunch", "job.show", "j1"]),
    (["synthlaunch", "--debug", "files", "delete", "f1", "--json"], ["synthlaunch", "--debug", "files.delete", "f1",
                                                                      "--json"]),
    (["synthlaunch", "runs", "show", "j1"], ["synthlaunch", "runs.show", "j1"]),
    (["synthlaunch", "runs"], ["synthlaunch", "runs"]),
    (["synthlaunch", "files", "--json"], ["synthlaunch", "files", "--json"]),
    (["synthlaunch", "local", "backend"], ["synthlaunch", "local.backend"]),
    (["synthlaunch", "stream", "--job-id", "job", "show"], ["synthlaunch", "stream", "--job-id", "job", "show"]),
    (["synthlaunch", "job", "nope"], ["synthlaunch", "job", "nope"]),
])
def test_join_subcommand(argv, expected):
    assert join_subcommand(argv) == expected


def test_two_words_end_to_end(sl, backend):
    shown = sl("job", "show", "job_missing", "--backend", backend.root)
    assert shown.code == 4 and "job_missing was not found" in shown.stderr
    assert sl("runs", "show", "job_missing").code == 2
    assert sl("files", "delete", "file_missing", "--backend", backend.root).code == 4
