"""Running one command: its `Output`, logging, and the translation of its result or failure into an
exit code (`errors.exit_code_for`). Expected failures are shown once; a defect of the tool itself
says so and exits 70 (`EXIT_INTERNAL`), with the traceback behind `--debug`."""

from __future__ import annotations

from typing import Any, Callable

from invoke.exceptions import Exit

from ..console import Output, configure_logging
from ..errors import SynthlaunchError, exit_code_for
from ..redact import redact


def run_command(command: Callable[..., int | None], *, json: bool = False, quiet: bool = False,
                verbose: bool = False, no_input: bool = False, debug: bool = False, **kwargs: Any) -> None:
    """Call `command(out=Output, **kwargs)`; raise Invoke's `Exit` with the exit code when it is not 0."""
    from ..render.failure import show_failure

    out = Output(json_mode=json, quiet=quiet, verbose=verbose, no_input=no_input, debug=debug)
    configure_logging(out)
    try:
        code = command(out=out, **kwargs) or 0
    except SynthlaunchError as exc:
        if debug:
            _traceback(out)
        if not exc.reported:
            show_failure(exc, out)
        code = exc.exit_code
    except KeyboardInterrupt as exc:
        out.error("interrupted")
        code = exit_code_for(exc)
    except Exit:
        raise
    except Exception as exc:  # a defect of the tool: say so plainly, keep the traceback behind --debug
        if debug:
            _traceback(out)
        out.error(f"internal error (a bug in synthlaunch, not in your input or the backend): "
                  f"{type(exc).__name__}: {redact(str(exc))}"
                  + ("" if debug else " (run again with --debug for the traceback, and please report it)"))
        code = exit_code_for(exc)
    if code:
        raise Exit(code=code)


def _traceback(out: Output) -> None:
    import traceback

    out.write(redact(traceback.format_exc()), stream=out.stderr)
