"""The embedded Synth-compatible backend and the demo task app (FastAPI + uvicorn, SQLite).

Public entry points live in `synthlaunch.local.serve`: `BackendServer`, `TaskAppServer`
(background-thread servers for tests and `inv demo`) and `serve_backend` / `serve_task_app`
(foreground, for `inv local.backend` / `inv local.task-app`). Importing this package imports
nothing heavy.
"""
