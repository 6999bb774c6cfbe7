"""URLs the tool sends to: well-formed http(s) with a host (`url_problem`), and API keys over https,
or plain http only to a loopback host (`check_transport`)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from .errors import EnvError

NOT_A_URL = "not an http(s) URL with a host"
INVALID_PORT = "invalid port"


def url_problem(text: str) -> str | None:
    """Why `text` is not an absolute http(s) URL with a host and a valid port: `NOT_A_URL` or
    `INVALID_PORT`; None when it is one. Never raises (what `urlsplit` cannot parse is `NOT_A_URL`)."""
    try:
        parts = urlsplit(text)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return NOT_A_URL
    except ValueError:  # e.g. an unclosed IPv6 bracket: "http://[::1"
        return NOT_A_URL
    if any(c.isspace() for c in text):
        return NOT_A_URL
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number from 0 to 65535
    except ValueError:
        return INVALID_PORT
    return None


def is_loopback_host(host: str | None) -> bool:
    """True for `localhost`, `*.localhost`, 127.0.0.0/8 and ::1 (no DNS lookup: names are not trusted)."""
    if not host:
        return False
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_transport(url: str, *, secret_names: list[str], allow_insecure_http: bool) -> None:
    """Raise EnvError when `secret_names` would be sent over plain http:// to a non-loopback host.

    Loopback http (the embedded backend, a local task app) and https are fine;
    `allow_insecure_http` (`--allow-insecure-http`) lifts the refusal.
    """
    parts = urlsplit(url or "")
    if parts.scheme.lower() != "http" or allow_insecure_http or not secret_names:
        return
    if is_loopback_host(parts.hostname):
        return
    names = " and ".join(secret_names)
    raise EnvError(
        f"refusing to send {names} over plain http:// to {parts.hostname} ({url}): anyone on the "
        f"network path could read the key",
        hint="use an https:// URL, or a loopback address for local servers; if you really trust "
             "the network, pass --allow-insecure-http",
    )
