"""The suite's key values, one set for every folder.

Random keys share no word with test names or paths ("sk_test_…" would put "_test_" + hex digits in
reach of tmp paths, and "_soak_50" once matched ".../test_soak_50_runs_under.../data-0.jsonl"), so
the leak checks' 8-character fragments cannot match by accident.
"""

from __future__ import annotations

import secrets

#: the environment key of the shared `backend` fixture, the `task_app` fixtures and the suites'
#: own servers
ENV_KEY = "env_" + secrets.token_hex(20)
#: the API key of the shared `backend` fixture and of the suites' own servers
API_KEY = "sk_" + secrets.token_hex(20)

#: fixed keys, for tests that spell out a masked form (`sk_e…ab`) or a header value literally
FIXED_ENV_KEY = "sk_env_0123456789abcdef0123456789ab"
FIXED_SYNTH_KEY = "sk_live_synth_fedcba9876543210fedcba98"
