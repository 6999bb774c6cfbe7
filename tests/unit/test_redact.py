"""Redaction: by value, by fragment, by key name; idempotent; never leaks a registered secret."""

from hypothesis import given, settings
from hypothesis import strategies as st

from synthlaunch.redact import REGISTRY, is_sensitive_name, mask, redact, register_secret

SECRET = "sk_live_0123456789abcdefXYZ"


def setup_function() -> None:
    REGISTRY.clear()


def test_mask_shape() -> None:
    assert mask(SECRET) == "sk_l…YZ"
    assert mask("short") == "****"
    assert mask(mask(SECRET)) == mask(SECRET)


def test_value_and_fragment_are_masked() -> None:
    register_secret(SECRET)
    text = f"key={SECRET} and the server said: expected prefix {SECRET[:10]}"
    out = redact(text)
    assert SECRET not in out and SECRET[:10] not in out
    assert "sk_l…YZ" in out


def test_mapping_key_names() -> None:
    doc = {"api_key": "abcdefghijklmnop", "Authorization": "Bearer abcdefghijklmnop",
           "idempotency_key": "synthlaunch-1234", "key": "[job].model",
           "expected_api_key_prefix": "sk_e", "nested": [{"token": "zzzzzzzzzzzz"}]}
    out = redact(doc)
    assert out["api_key"] == "abcd…op"
    assert "abcdefghijklmnop" not in str(out)
    assert out["idempotency_key"] == "synthlaunch-1234"
    assert out["key"] == "[job].model"
    assert out["expected_api_key_prefix"] == "sk_e"
    assert out["nested"][0]["token"] == "zzzz…zz"


def test_text_assignments_and_headers() -> None:
    out = redact("Authorization: Bearer abcdefghijklmnopq\nSYNTH_API_KEY=qwertyuiopasdf\nX-API-Key: zxcvbnmasdfgh")
    for leaked in ("abcdefghijklmnopq", "qwertyuiopasdf", "zxcvbnmasdfgh"):
        assert leaked not in out


def test_sensitive_names() -> None:
    assert is_sensitive_name("SYNTH_API_KEY") and is_sensitive_name("client_secret")
    assert not is_sensitive_name("idempotency_key") and not is_sensitive_name("expected_api_key_prefix")


secret_chars = st.characters(min_codepoint=33, max_codepoint=126)


def _fragments(text: str, secret: str, size: int = 8) -> list[str]:
    return [secret[i:i + size] for i in range(len(secret) - size + 1) if secret[i:i + size] in text]


@settings(max_examples=150, deadline=None)
@given(secret=st.text(secret_chars, min_size=12, max_size=60),
       before=st.text(max_size=40), after=st.text(max_size=40))
def test_whole_secret_never_survives(secret: str, before: str, after: str) -> None:
    REGISTRY.clear()
    register_secret(secret)
    assert secret not in redact(before + secret + after)
    nested = redact({"message": [before + secret + after]})
    assert secret not in str(nested["message"][0])


separator = st.sampled_from([" ", "/", "'", '"', ",", ";", "(", ")", "[", "]", "\n", "\t", "|", "<", ">"])
words = st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=30)


@settings(max_examples=200, deadline=None)
@given(secret=st.text(secret_chars, min_size=12, max_size=60), before=words, after=words,
       left=separator, right=separator, cut=st.integers(0, 6), keep=st.integers(8, 60))
def test_fragment_echoed_as_a_word_never_survives(secret: str, before: str, after: str, left: str,
                                                  right: str, cut: int, keep: int) -> None:
    """Any piece of >= 8 characters that a server echoes as a word of its own (between separators or
    at the ends of the text) is masked: no 8-character fragment of it is left."""
    REGISTRY.clear()
    register_secret(secret)
    fragment = secret[cut:cut + keep]
    if len(fragment) < 8:
        return
    for text in (before + left + fragment + right + after, fragment, left + fragment, fragment + right):
        out = redact(text)
        assert fragment not in out
        assert not [f for f in _fragments(out, secret) if f in fragment and f not in text.replace(fragment, "")]


@settings(max_examples=150, deadline=None)
@given(secret=st.text(secret_chars, min_size=20, max_size=60), before=st.text(max_size=40),
       after=st.text(max_size=40), cut=st.integers(0, 4))
def test_long_fragment_never_survives_even_inside_a_word(secret: str, before: str, after: str, cut: int) -> None:
    REGISTRY.clear()
    register_secret(secret)
    fragment = secret[cut:cut + 16]
    assert fragment not in redact(before + fragment + after)


plain = st.text(st.characters(min_codepoint=32, max_codepoint=126, blacklist_characters=":="), max_size=80)


@settings(max_examples=200, deadline=None)
@given(secret=st.text(secret_chars, min_size=12, max_size=60), text=plain)
def test_text_without_secret_fragments_is_unchanged(secret: str, text: str) -> None:
    REGISTRY.clear()
    register_secret(secret)
    if _fragments(text, secret) or secret in text:
        return
    assert redact(text) == text


def test_a_path_sharing_a_short_fragment_with_the_key_is_left_alone() -> None:
    key = "sk_9f3c2a7be41d0c55a8e2"
    register_secret(key)
    path = f"/tmp/pytest-of-ci/pytest-3/run{key[3:11]}0/backend-data"
    assert redact(f"backend data in {path}") == f"backend data in {path}"
    assert redact(f"bad key {key[:12]}…") == f"bad key {mask(key)}…"  # a prefix echoed as a word is masked


def test_names_that_denote_secrets_and_names_that_do_not() -> None:
    for name in ("api_key", "SYNTH_API_KEY", "X-API-Key", "x-api-keys", "apiKey", "token", "access_token",
                 "client_secret", "password", "Authorization", "private_key", "refresh_token"):
        assert is_sensitive_name(name), name
    for name in ("max_tokens", "maxTokens", "idempotency_key", "key_source", "key", "keys", "key_name",
                 "expected_api_key_prefix", "secret_name", "token_count", "max_new_tokens"):
        assert not is_sensitive_name(name), name
    body = {"hyperparameters": {"max_tokens": 1024, "n_epochs": 1}, "idempotency_key": "abc-123-def",
            "metadata": {"key_source": "flag"}, "api_key": "abcdefghijklmnop"}
    out = redact(body)
    assert out["hyperparameters"]["max_tokens"] == 1024 and out["idempotency_key"] == "abc-123-def"
    assert out["metadata"]["key_source"] == "flag" and out["api_key"] == "abcd…op"
    assert redact("max_tokens=1024 SYNTH_API_KEY=abcdefghijkl") == "max_tokens=1024 SYNTH_API_KEY=abcd…kl"


def test_echoed_key_prefixes_are_clipped_to_four_characters() -> None:
    right = "env_RIGHTkey0123456789"
    body = {"detail": {"error": {"code": "unauthorised", "allowed_first15": [right[:15]],
                                 "got_first15": ["env_wrong012345"], "allowed_count": 1}},
            "expected_api_key_prefix": right[:10], "auth": {"expected_prefix": right[:6] + "..."}}
    out = redact(body)
    assert out["detail"]["error"]["allowed_first15"] == ["env_…"]
    assert out["detail"]["error"]["got_first15"] == ["env_…"]
    assert out["expected_api_key_prefix"] == "env_…" and out["auth"]["expected_prefix"] == "env_…"
    assert out["detail"]["error"]["allowed_count"] == 1
    assert right[:5] not in redact(f"wrong key; expected prefix '{right[:12]}'")


def test_echoed_key_prefixes_in_unparsed_text_are_clipped_too() -> None:
    text = ("{'detail': {'error': {'allowed_first15': ['env_RIGHTkey012', 'env_OTHERkey01'], "
            "'got_first15': [\"env_wrong012345\"]}}} \"path_prefix\": \"/api/v1\"")
    out = redact(text)
    assert "RIGHT" not in out and "OTHER" not in out and "wrong" not in out
    assert "['env_…', 'env_…']" in out and '"/api/v1"' in out
