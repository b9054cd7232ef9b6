"""The `medkb` command: parse arguments, run a command, turn errors into lines."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from core.settings import Settings
from core.store import JobNotFound, Store, StoreError, open_store
from core.tasks.registry import InvalidParams, UnknownKind, load_task_modules

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CommandFailed(Exception):
    """The command ran but what it was asked did not happen (exit 1)."""


class UsageError(Exception):
    """The user asked for something impossible (exit 2)."""


@dataclass
class Context:
    """What every command needs: settings, the store URL and, lazily, the store."""

    settings: Settings
    store_url: str
    _store: Store | None = field(default=None, repr=False)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.store_url, log_cap=self.settings.log_cap)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


Command = Callable[[argparse.Namespace, Context], int]


def build_parser() -> argparse.ArgumentParser:
    from tui import jobs_commands, kb_commands, start_commands, worker_commands

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--store",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="a SQLite path, sqlite:///path or a mongodb:// URL "
        "(default: MEDKB_STORE, MONGODB_URI, then a file in the data directory)",
    )
    parser = argparse.ArgumentParser(
        prog="medkb",
        description="Build a multilingual first-aid knowledge base with Gemini.",
        parents=[common],
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="watch the dashboard without any action that changes a job",
    )
    parser.set_defaults(command=dashboard)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    start_commands.add_commands(commands, common)
    kb_commands.add_commands(commands, common)
    worker_commands.add_commands(commands, common)
    jobs_commands.add_commands(commands, common)
    return parser


def dashboard(args: argparse.Namespace, context: Context) -> int:
    """With no command: the dashboard on the configured store."""
    from tui.app import run_dashboard

    return run_dashboard(context.settings, context.store_url, read_only=args.read_only)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    try:
        settings = Settings()
    except ValidationError as error:
        return _fail(f"invalid setting: {_first_error(error)}", EXIT_USAGE)
    try:
        load_task_modules(settings.task_modules)
    except UnknownKind as error:
        return _fail(str(error), EXIT_USAGE)
    args = build_parser().parse_args(argv)
    context = Context(settings, settings.store_url(getattr(args, "store", None)))
    command: Command = args.command
    try:
        return command(args, context)
    except (StoreError, UsageError, UnknownKind, InvalidParams) as error:
        return _fail(str(error), EXIT_USAGE)
    except JobNotFound as error:
        hint = "see `medkb jobs list` for the ids"
        return _fail(f"no job with id {error.args[0]!r}; {hint}.", EXIT_USAGE)
    except CommandFailed as error:
        return _fail(str(error), EXIT_FAILED)
    except KeyboardInterrupt:
        return EXIT_FAILED
    finally:
        context.close()


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}"


def _fail(message: str, code: int) -> int:
    print(f"medkb: {message}", file=sys.stderr)
    return code
