"""The command line's entry point.

A plain fix run, such as a pre-commit hook's `dockerfix --write FILE...`, goes straight to the
runner: its command line holds only paths and options that take no value, which this module
reads itself, so typer (about a third of a short run's start-up) is not imported. Every other
command line (the subcommands, --help, --version, options that take a value, anything unknown
or contradictory) goes to the typer commands in dockerfix.commands, which read it as they always
have. Both read a plain run the same way, and give the same output and exit status (tested in
tests/test_cli_plain.py).

Exit codes: 0 nothing to change, or everything written; 1 changes pending (--diff, --check);
2 usage error, or a file that could not be read, decoded, parsed or fixed (the other files are
still processed); 130 interrupted.
"""

from __future__ import annotations

import errno
import os
import sys
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
    args = sys.argv[1:] if argv is None else list(argv)
    plain = plain_run(args)
    if plain is None:
        from dockerfix.commands import dispatch

        dispatch(args)
        return
    paths, flags = plain
    _exit_like_typer(lambda: _fix(paths, flags))


def _fix(paths: list[str], flags: dict[str, bool]) -> int:
    from dockerfix.fix_command import run_fix
    from dockerfix.settings import Mode, Settings

    mode = Mode.WRITE if flags["write"] else Mode.CHECK if flags["check"] else Mode.DIFF
    settings = Settings(mode=mode, unsafe_fixes=flags["unsafe_fixes"], isolated=flags["isolated"])
    return run_fix(
        settings, paths or None, quiet=flags["quiet"], verbose=flags["verbose"], stdin_diff=flags["diff"]
    )


def _exit_like_typer(command: Any) -> NoReturn:
    """Run COMMAND and exit with its status, ending as a typer command ends: Ctrl-C exits 130,
    the end of standard input says Aborted!, and a reader that closed the pipe exits 1 quietly."""
    try:
        code = command()
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except EOFError:
        sys.stderr.write("\nAborted!\n")
        sys.exit(1)
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        sys.stdout = _QuietOnClosedPipe(sys.stdout)
        sys.stderr = _QuietOnClosedPipe(sys.stderr)
        sys.exit(1)
    sys.exit(code)


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
    main()
