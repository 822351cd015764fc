"""Command line: the TUI (default), the scripting commands and the sandbox receiver.

The scripting commands and the sandbox import no textual, so cron jobs start fast; the
TUI is imported only when it is asked for.

Start-up is paid on every call of a script, so loading this package imports only what
parsing the command line needs (argparse, parsing.py, output.py); main() then imports
the module of the command given, and each command imports the rest (the network stack,
the store, the protocol, csv, json) in its own function. `--help`, `init`, `journal` and
`staged` never load httpx or asyncio; `pending` and `query` open no store
(tests/test_startup_imports.py checks it).

The package, top to bottom:

- ``__init__``: main(): parse, run the command, turn every failure into an exit code
  and a line on stderr (no traceback reaches the user); no command: the TUI.
- ``parsing``: the parser, its commands and options, their help and value checks.
- ``prompts``: the questions asked on the terminal (y/N, a large batch's count, the
  password).
- ``csv_input``: a CSV file or stdin read into staged actions, every row checked.
- ``output``: exit codes, the usage error, and every line printed, masked and escaped.
- ``commands/``: one function per command, by group: ``reads`` (pending, query),
  ``send`` (submit, reconcile), ``offline`` (stage, staged, journal, init), and
  ``profile`` (what they work on: settings, password, store, client).
"""

from __future__ import annotations

import os
import sys

from .output import (
    EXIT_INTERNAL,
    EXIT_NOT_CONFIRMED,
    EXIT_OK,
    EXIT_UNKNOWN,
    EXIT_UNSETTLED,
    EXIT_USAGE,
    UsageError,
    err,
)
from .parsing import build_parser, merge_options

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

__all__ = [
    "EXIT_INTERNAL",
    "EXIT_NOT_CONFIRMED",
    "EXIT_OK",
    "EXIT_UNKNOWN",
    "EXIT_UNSETTLED",
    "EXIT_USAGE",
    "UsageError",
    "build_parser",
    "main",
]


SCRIPT_COMMANDS = (
    "pending",
    "query ORDER...",
    "submit FILE --yes",
    "reconcile --yes",
    "journal",
    "stage FILE",
    "staged",
)


def not_a_terminal() -> str:
    """Which of standard input, output and error is not a terminal ("" when all three
    are): the TUI reads keys from the first and draws on the last."""
    names = ("standard input", "standard output", "standard error")
    missing = []
    for name, stream in zip(names, (sys.stdin, sys.stdout, sys.stderr), strict=True):
        try:
            if stream is None or not os.isatty(stream.fileno()):
                missing.append(name)
        except (AttributeError, OSError, ValueError):  # closed, or no file descriptor
            missing.append(name)
    return " and ".join([", ".join(missing[:-1]), missing[-1]] if len(missing) > 1 else missing)


def cmd_tui(args: argparse.Namespace) -> int:
    """The TUI, on a terminal only: without one it could neither be seen nor quit (it
    would draw into a file or a pipe for ever), so a script is pointed at a command."""
    missing = not_a_terminal()
    if missing:
        what = "ccnow-tui --demo" if args.demo else "ccnow-tui"
        raise UsageError(
            f"{what} is the interactive TUI and needs a terminal, but {missing} "
            f"{'is' if ' and ' not in missing else 'are'} not one. A script wants a command: "
            + ", ".join(f"`ccnow-tui {c}`" for c in SCRIPT_COMMANDS)
            + " (`ccnow-tui --help` lists them)"
        )
    from ..tui.app import run_tui

    return run_tui(args)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(sandbox_arguments="sandbox" in argv)
    args = parser.parse_args(argv)
    merge_options(parser, args)
    try:
        return run(args)
    except UsageError as exc:
        err(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        err("interrupted; if a batch was in flight its outcome is unknown: query the orders before re-sending")
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: not worth a traceback. Point stdout at
        # devnull so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # the last line of defence: no traceback reaches the user
        from .commands.profile import store_problem

        problem = store_problem(exc)
        if problem:
            err(problem)
            return EXIT_USAGE
        err(f"internal error: {type(exc).__name__}: {exc} (please report this; CCNOW_DEBUG=1 shows details)")
        if os.environ.get("CCNOW_DEBUG"):
            import traceback

            from ..protocol.redact import safe_text

            print(safe_text("".join(traceback.format_exception(exc)), newlines=True), file=sys.stderr)
        return EXIT_INTERNAL


def run(args: argparse.Namespace) -> int:
    """Run the command ``args`` names, importing its group's module only now (each group
    imports what its commands need when they run: see the module's docstring)."""
    command = args.command
    if command == "sandbox":
        from ..sandbox.command import run_sandbox

        return run_sandbox(args)
    if command in ("pending", "query"):
        from .commands.reads import COMMANDS
    elif command in ("submit", "reconcile"):
        from .commands.send import COMMANDS
    elif command in ("stage", "staged", "journal", "init"):
        from .commands.offline import COMMANDS
    else:
        return cmd_tui(args)
    return COMMANDS[command](args)
