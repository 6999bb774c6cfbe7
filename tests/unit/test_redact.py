"""Redaction: by value, by fragment, by key name; idempotent; never leaks a registered secret."""

from hypothesis import given, settings, strategies as st

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


@settings(max_examples=150, deadline=None)
@given(secret=st.text(secret_chars, min_size=12, max_size=60),
       before=st.text(max_size=40), after=st.text(max_size=40), cut=st.integers(0, 4))
def test_registered_secret_never_survives(secret: str, before: str, after: str, cut: int) -> None:
    REGISTRY.clear()
    register_secret(secret)
    fragment = secret[cut:]
    out = redact(before + fragment + after)
    assert fragment not in out
    nested = redact({"message": [before + secret + after]})
    assert secret not in str(nested["message"][0])
