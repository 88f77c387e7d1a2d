"""The command line's entry point.

A plain fix run, such as a pre-commit hook's `dockerfix --write FILE...`, goes straight to the
runner: its command line holds only paths and options that take no value, which this module
reads itself, so typer (about a third of a short run's start-up) is not imported. Every other
command line (the subcommands, --help, --version, options that take a value, anything unknown
or contradictory) goes to the typer commands in dockerfix.commands, which read it as they always
have. Both read a plain run the same way, and give the same output and exit status (tested in
tests/test_cli_plain.py). The program (`program`: the console script and `python -m dockerfix`)
ends a plain run's process as soon as its output is out, without Python's shutdown.

Exit codes: 0 nothing to change, or everything written; 1 changes pending (--diff, --check);
2 usage error, or a file that could not be read, decoded, parsed or fixed (the other files are
still processed); 130 interrupted.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from typing import IO, Any, NoReturn

# the fix command's options that take no value, and the parameter each sets
PLAIN_FLAGS = {
    "--diff": "diff", "--write": "write", "--check": "check", "--unsafe-fixes": "unsafe_fixes",
    "--isolated": "isolated", "-q": "quiet", "--quiet": "quiet", "-v": "verbose", "--verbose": "verbose",
}  # fmt: skip
SUBCOMMANDS = ("rules", "verify", "pr", "contexts", "campaign", "explain")
# set by a shell asking typer to complete a command line
COMPLETE_VAR = "_DOCKERFIX_COMPLETE"
EXIT_INTERRUPTED = 130


def plain_run(args: list[str]) -> tuple[list[str], dict[str, bool]] | None:
    """The paths and flags of a plain fix run, or None when typer must read ARGS.

    Plain: no subcommand, every argument a path ('-' included) or one of PLAIN_FLAGS, and at
    most one of --diff, --write and --check (typer reports the conflict)."""
    if args[:1] and args[0] in SUBCOMMANDS or COMPLETE_VAR in os.environ:
        return None
    flags = dict.fromkeys(PLAIN_FLAGS.values(), False)
    paths: list[str] = []
    for arg in args:
        if arg in PLAIN_FLAGS:
            flags[PLAIN_FLAGS[arg]] = True
        elif arg == "-" or not arg.startswith("-"):
            paths.append(arg)
        else:
            return None
    if flags["diff"] + flags["write"] + flags["check"] > 1:
        return None
    return paths, flags


def main(argv: list[str] | None = None) -> None:
    """The command line ARGV (default: the process's), ended with SystemExit as a typer command
    ends; for tests and for programs that call dockerfix in their own process."""
    sys.exit(_run(sys.argv[1:] if argv is None else list(argv)))


def program() -> NoReturn:
    """The `dockerfix` program (its console script, and `python -m dockerfix`).

    As :func:`main`, except that a plain run ends its process as soon as its output is out:
    Python's own shutdown, which frees every object and module one by one, would add about a
    sixth to a short run. Every other command line ends as usual, as do a run with a thread
    still going and one that ends in an error Python reports."""
    code = _run(sys.argv[1:])
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError as exc:
        code = _closed_pipe(exc)  # the reader went away before the last of the output
    if "threading" in sys.modules and sys.modules["threading"].active_count() > 1:
        sys.exit(code)
    os._exit(code)


def _run(args: list[str]) -> int:
    """The exit status of a plain run of ARGS; any other command line ends in typer."""
    plain = plain_run(args)
    if plain is None:
        _typer(args)
    return _status(lambda: _fix(*plain))


def _typer(args: list[str]) -> NoReturn:
    """ARGS read and run by the typer commands, which end the process themselves."""
    from dockerfix.commands import dispatch

    dispatch(args)
    sys.exit(0)


def _fix(paths: list[str], flags: dict[str, bool]) -> int:
    from dockerfix.fix_command import run_fix
    from dockerfix.settings import Mode, Settings

    mode = Mode.WRITE if flags["write"] else Mode.CHECK if flags["check"] else Mode.DIFF
    settings = Settings(mode=mode, unsafe_fixes=flags["unsafe_fixes"], isolated=flags["isolated"])
    return run_fix(
        settings, paths or None, quiet=flags["quiet"], verbose=flags["verbose"], stdin_diff=flags["diff"]
    )


def _status(command: Callable[[], int]) -> int:
    """Run COMMAND; its exit status, or the one a typer command ends with: Ctrl-C 130, the
    end of standard input 1 (saying Aborted!), a reader that closed the pipe 1 quietly."""
    try:
        return command()
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except EOFError:
        sys.stderr.write("\nAborted!\n")
        return 1
    except OSError as exc:
        return _closed_pipe(exc)


def _closed_pipe(exc: OSError) -> int:
    """Exit status 1 for a reader that closed the pipe, with the streams quiet from then on as
    typer leaves them; any other error is raised again."""
    if exc.errno != errno.EPIPE:
        raise exc
    sys.stdout = _QuietOnClosedPipe(sys.stdout)
    sys.stderr = _QuietOnClosedPipe(sys.stderr)
    return 1


class _QuietOnClosedPipe:
    """A stream whose flush at exit ignores a reader that has gone away."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


if __name__ == "__main__":
    program()
