"""Helpers shared by every test folder (one copy each; import them as `tests.support.…`, never copy
them, never reach them through sys.path).

- `cli`: run the tool: `run_in_process(argv)` for the command surface, `run(argv, cwd, env)` as a
  real subprocess (e2e, terminals), `start`/`interrupt` for a server in the foreground (Ctrl-C),
  `project`, `tasks_py`, `write_env`, `Result`.
- `env`: the variables the tool reads (`TOOL_VARIABLES`), `scrubbed_environ`, `private_dirs` and
  `user_env` (the environment of every subprocess), used by the autouse fixture of `tests/conftest.py`.
- `keys`: the suite's key values.
- `configs`: the smallest valid RL and SFT configs, a valid chat line.
- `servers`: `running()`, a block that starts servers and stops them all at its end.
- `net`: `free_port`, `dead_url`, the quick `FAST` retry policy.
- `stub`: `StubServer`, a scripted HTTP server for answers the embedded servers do not give.
- `backend`: polling and request bodies for the embedded backend, its job and file inventories.
- `jobs`: emulated jobs created on the embedded backend, and what it holds for them.
- `fakes`: an in-memory stand-in for the client's job methods.
- `capture`: `Captured`, an `Output` writing into buffers.
- `leaks`: the secret-fragment check, NDJSON parsing.
- `pty_driver`: a script that runs `resolve_env` on a pseudo-terminal.
"""
