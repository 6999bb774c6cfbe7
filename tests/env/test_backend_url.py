"""Backend base URL: precedence of flag and variables, and normalisation to one /api."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthlaunch.backend_url import HOSTED_ROOT, normalise, resolve_backend
from synthlaunch.errors import EnvError

ALL = {
    "BACKEND_BASE_URL": "https://base.example.com",
    "BACKEND_OVERRIDE": "https://override.example.com",
    "SYNTH_BACKEND_URL_OVERRIDE": "local",
    "LOCAL_BACKEND_URL": "http://127.0.0.1:9001",
    "DEV_BACKEND_URL": "http://127.0.0.1:9002",
    "PROD_BACKEND_URL": "https://prod.example.com",
}


def test_flag_beats_everything():
    choice = resolve_backend("https://flag.example.com/", ALL)
    assert choice.url == "https://flag.example.com/api"
    assert choice.source == "flag --backend"


@pytest.mark.parametrize("drop, expected", [
    ([], "https://base.example.com/api"),
    (["BACKEND_BASE_URL"], "https://override.example.com/api"),
    (["BACKEND_BASE_URL", "BACKEND_OVERRIDE"], "http://127.0.0.1:9001/api"),
])
def test_variable_precedence(drop, expected):
    env = {k: v for k, v in ALL.items() if k not in drop}
    assert resolve_backend(None, env).url == expected


@pytest.mark.parametrize("mode, expected", [
    ("local", "http://127.0.0.1:9001/api"), ("DEV", "http://127.0.0.1:9002/api"),
    ("prod", "https://prod.example.com/api"),
])
def test_mode_selects_its_variable(mode, expected):
    env = {k: v for k, v in ALL.items() if k not in ("BACKEND_BASE_URL", "BACKEND_OVERRIDE")}
    env["SYNTH_BACKEND_URL_OVERRIDE"] = mode
    assert resolve_backend(None, env).url == expected


@pytest.mark.parametrize("mode, expected", [
    ("local", "http://localhost:8000/api"), ("dev", "http://localhost:8000/api"),
    ("prod", HOSTED_ROOT + "/api"), (None, HOSTED_ROOT + "/api"),
])
def test_mode_defaults(mode, expected):
    env = {"SYNTH_BACKEND_URL_OVERRIDE": mode} if mode else {}
    assert resolve_backend(None, env).url == expected


def test_no_mode_uses_prod_url_variable():
    assert resolve_backend(None, {"PROD_BACKEND_URL": "https://p.example.com"}).url == "https://p.example.com/api"


def test_unknown_mode_is_an_error_naming_the_variable():
    with pytest.raises(EnvError, match="SYNTH_BACKEND_URL_OVERRIDE.*local, dev, prod"):
        resolve_backend(None, {"SYNTH_BACKEND_URL_OVERRIDE": "staging"})


def test_empty_variables_are_ignored():
    assert resolve_backend("", {"BACKEND_BASE_URL": "  ", "BACKEND_OVERRIDE": "https://o.example.com"}).url \
        == "https://o.example.com/api"


def test_source_names_where_the_variable_came_from():
    choice = resolve_backend(None, lambda name: ("https://f.example.com", "file ./.env")
                             if name == "BACKEND_OVERRIDE" else None)
    assert choice.source == "BACKEND_OVERRIDE (file ./.env)"


@pytest.mark.parametrize("raw, expected", [
    ("http://localhost:8000", "http://localhost:8000/api"),
    ("http://localhost:8000/", "http://localhost:8000/api"),
    ("http://localhost:8000/api", "http://localhost:8000/api"),
    ("http://localhost:8000/api/", "http://localhost:8000/api"),
    ("https://h.example.com/api/v1", "https://h.example.com/api/v1"),
    ("https://h.example.com/api/v1/", "https://h.example.com/api/v1"),
    ("https://h.example.com/prefix", "https://h.example.com/prefix/api"),
    ("https://h.example.com/apis", "https://h.example.com/apis/api"),
    ("HTTPS://h.example.com//", "https://h.example.com/api"),
])
def test_normalise_examples(raw, expected):
    assert normalise(raw) == expected


@pytest.mark.parametrize("raw", ["", "localhost:8000", "ftp://h/x", "http://", "https://h/api?x=1", "/api",
                                 "http://[::1", "http://[oops]:8000"])
def test_normalise_rejects_non_urls(raw):
    with pytest.raises(EnvError):
        normalise(raw, source="--backend")


segment = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.~", min_size=1, max_size=8).filter(
    lambda s: s not in (".", ".."))
urls = st.builds(
    lambda scheme, host, port, segs, slashes: f"{scheme}://{host}{port}/" + "/".join(segs) + "/" * slashes,
    st.sampled_from(["http", "https"]),
    st.sampled_from(["localhost", "127.0.0.1", "example.com", "a.b.example.org", "[::1]"]),
    st.sampled_from(["", ":8000", ":443"]),
    st.lists(st.one_of(segment, st.just("api")), max_size=4),
    st.integers(0, 3),
)


@settings(max_examples=150, deadline=None)
@given(urls)
def test_normalise_properties(url):
    result = normalise(url)
    assert normalise(result) == result                      # idempotent
    assert not result.endswith("/")                          # no trailing slash
    path_segments = result.split("://", 1)[1].split("/")[1:]
    assert path_segments.count("api") >= 1                   # one /api somewhere in the path
    original = [s for s in url.split("://", 1)[1].split("/")[1:] if s]
    if "api" in original:
        assert path_segments == original                     # an existing api segment: path kept
    else:
        assert path_segments == original + ["api"]           # otherwise exactly one api appended


ORDER = ["BACKEND_BASE_URL", "BACKEND_OVERRIDE"]
MODE_VARS = {"local": "LOCAL_BACKEND_URL", "dev": "DEV_BACKEND_URL", "prod": "PROD_BACKEND_URL"}


@settings(max_examples=150, deadline=None)
@given(flag=st.booleans(), present=st.sets(st.sampled_from(list(ALL))),
       mode=st.sampled_from([None, "local", "dev", "prod", "LOCAL", " Dev "]))
def test_precedence_property(flag, present, mode):
    env = {name: f"https://{name.lower().replace('_', '-')}.example.com" for name in present
           if name != "SYNTH_BACKEND_URL_OVERRIDE"}
    if mode is not None:
        env["SYNTH_BACKEND_URL_OVERRIDE"] = mode
    choice = resolve_backend("https://flag.example.com" if flag else None, env)
    if flag:
        expected = "https://flag.example.com/api"
    elif any(name in env for name in ORDER):
        expected = env[next(name for name in ORDER if name in env)] + "/api"
    else:
        variable = MODE_VARS[(mode or "prod").strip().lower()]
        default = HOSTED_ROOT if variable == "PROD_BACKEND_URL" else "http://localhost:8000"
        expected = env.get(variable, default) + "/api"
    assert choice.url == expected
