"""The shapes of list answers the client accepts (events, metrics, timeline, job and file lists)."""

from __future__ import annotations

import pytest

from synthlaunch.api import list_in


@pytest.mark.parametrize("body, keys, expected", [
    ({"events": [1, 2]}, ("events",), [1, 2]),
    ([3], ("events",), [3]),
    ({"events": None}, ("events",), []),
    ({"events": "x"}, ("events",), []),
    ("not json", ("jobs",), []),
    (None, ("jobs",), []),
    ({"data": [1], "items": [2]}, ("files", "data", "items"), [1]),
    ({"files": {}, "items": [2]}, ("files", "data", "items"), [2]),
    ({"other": [1]}, ("files", "data", "items"), []),
])
def test_list_in(body, keys, expected):
    assert list_in(body, *keys) == expected
