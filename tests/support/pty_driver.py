"""Run `resolve_env` on a real terminal (spawned by test_prompts_pty through pexpect).

argv[1] is JSON: required, env_files, search_dirs, flags, yes. Prints `RESULT {json}` or
`ERROR <message>` (and exits with the error's code).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from synthlaunch.console import Output
from synthlaunch.env import resolve_env
from synthlaunch.errors import SynthlaunchError


def main() -> int:
    spec = json.loads(sys.argv[1])
    out = Output()
    try:
        env = resolve_env(out, required=spec["required"], env_files=spec.get("env_files", []),
                          search_dirs=[Path(d) for d in spec.get("search_dirs", [])],
                          flag_values=spec.get("flags", {}), yes=spec.get("yes", False))
    except SynthlaunchError as exc:
        out.write(f"ERROR {exc.message}")
        return exc.exit_code
    except KeyboardInterrupt:  # what synthlaunch.tasks turns into exit 130
        out.write("INTERRUPTED")
        return 130
    # plain print: sources hold no secret, and redaction by key name would mask "typed"
    print("RESULT " + json.dumps({"sources": env.sources, "env_file": str(env.env_file),
                                      "saved": env.saved, "typed": env.typed, "interactive": out.interactive}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
