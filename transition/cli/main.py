"""Entry point: ``transition [--db URL] [--actor NAME] COMMAND …``.

Errors never surface as tracebacks: the tool's own errors print ``error: …`` lines on
stderr with their exit code (1 refused by a rule, 2 bad input); usage errors exit 2.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Any

import typer
from typer._click.utils import make_default_short_help
from typer.core import TyperGroup
from typer.main import get_group_from_info
from typer.models import TyperInfo

from transition.cli.catalog import NOUNS
from transition.cli.options import Actor, DatabaseUrl
from transition.errors import TransitionError

if TYPE_CHECKING:
    from transition.cli.state import State


#: An error line longer than this is cut (a value echoed back can be as long as the input).
ERROR_LINE = 500

#: What the CLI tells to do about a refusal, by its hint's kind (``errors.Hint``).
HINTS = {
    "force": "use --force --reason TEXT",
    "exercise": "record one with `transition runbook exercise {engagement} {runbook} "
    "--on DATE --by PERSON --outcome pass`",
    "unarchive": "unarchive it first",
}


def print_error(lines: list[str]) -> None:
    for line in lines:
        if len(line) > ERROR_LINE:
            line = f"{line[:ERROR_LINE]}… ({len(line) - ERROR_LINE:,} more characters)"
        sys.stderr.write(f"error: {line}\n")
    sys.stderr.flush()


#: The noun groups, each loaded only when invoked (click's "lazily loading subcommands"
#: pattern): name → ``module:attribute`` of its Typer app, so a command pays only for what
#: it runs. ``--help`` and shell completion list them from ``catalog.NOUNS`` without
#: loading any.
LAZY_GROUPS = {name: f"transition.cli.{name}:app" for name in NOUNS}


#: Integer options and arguments are 64-bit signed on both backends: a larger value is
#: a usage error (exit 2) before any service or SQL statement sees it.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def _out_of_range(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return any(_out_of_range(item) for item in value)
    return (
        isinstance(value, int) and not isinstance(value, bool) and not INT_MIN <= value <= INT_MAX
    )


def _bounded(callback: Callable[..., Any] | None) -> Callable[..., Any]:
    """A parameter callback (click's documented hook, run after conversion) refusing an
    integer outside 64 bits, then running the parameter's own callback, if any."""

    def check(ctx: typer.Context, param: Any, value: Any) -> Any:
        if _out_of_range(value):
            raise typer.BadParameter(
                f"{value} is not in the range {INT_MIN}<=x<={INT_MAX}", ctx=ctx, param=param
            )
        return callback(ctx, param, value) if callback is not None else value

    check.bounds_integers = True  # type: ignore[attr-defined]
    return check


def bound_integers(command: Any) -> Any:
    """Give every parameter of ``command`` and its sub-commands the 64-bit integer check
    (a parameter that declares a narrower ``min``/``max`` is refused by its own range
    first)."""
    for param in command.params:
        if not getattr(param.callback, "bounds_integers", False):
            param.callback = _bounded(param.callback)
    for sub in getattr(command, "commands", {}).values():
        bound_integers(sub)
    return command


class _WhenGiven:
    """A root option's conversion, built only when the option is given: Typer builds each
    one with pydantic, which ``--help``, completion and a command's ``--help`` need not
    load when ``--db`` and ``--actor`` are left out."""

    def __init__(self) -> None:
        self._built: Any = None

    def coerce(self, value: Any, param: Any, ctx: typer.Context) -> Any:
        if value is None:
            return None
        if self._built is None:
            from typer._coercion import build_runtime_param

            self._built = build_runtime_param(param.type_descriptor)
        return self._built.coerce(value, param=param, ctx=ctx)


class TransitionGroup(TyperGroup):
    """The root group: loads the noun groups lazily (``list_commands``/``get_command``,
    as click documents it), and its ``main`` turns every expected failure into
    ``error:`` lines."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        own = super().list_commands(ctx)
        return [*own, *(name for name in LAZY_GROUPS if name not in own)]

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        for param in self.get_params(ctx):
            if getattr(param, "_runtime_param", False) is None:
                param._runtime_param = _WhenGiven()
        return super().parse_args(ctx, args)

    def _listed(self, ctx: typer.Context, prefix: str = "") -> list[tuple[str, str | None]]:
        """(name, one-line help) of the visible commands starting with ``prefix``: a noun
        group not loaded yet is described by ``NOUNS``, so listing imports none of them."""
        listed = []
        for name in self.list_commands(ctx):
            if not name.startswith(prefix):
                continue
            command = self.commands.get(name)
            if command is None and name in NOUNS:
                listed.append((name, None))
            elif command is not None and not command.hidden:
                listed.append((name, name))
        return listed

    def _short_help(self, name: str, key: str | None, limit: int) -> str:
        if key is None:
            return make_default_short_help(NOUNS[name].help, limit)
        return self.commands[key].get_short_help_str(limit)

    def format_commands(self, ctx: typer.Context, formatter: Any) -> None:
        listed = self._listed(ctx)
        if not listed:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in listed)
        with formatter.section("Commands"):
            formatter.write_dl([(name, self._short_help(name, key, limit)) for name, key in listed])

    def shell_complete(self, ctx: typer.Context, incomplete: str) -> list[Any]:
        from typer._click.shell_completion import CompletionItem

        items = [
            CompletionItem(name, help=self._short_help(name, key, 45))
            for name, key in self._listed(ctx, incomplete)
        ]
        # The options (what ``Group.shell_complete`` adds after the command names).
        return items + super(TyperGroup, self).shell_complete(ctx, incomplete)

    def _main_shell_completion(self, ctx_args: Any, prog_name: str, complete_var: Any = None):
        # Shell completion (``_TRANSITION_COMPLETE=complete_bash|complete_zsh|
        # complete_fish``, or ``source_SHELL`` for the script): the shells are registered
        # here, as ``--install-completion`` would, without adding that option.
        from transition.settings import completion_requested

        if completion_requested(complete_var or "_TRANSITION_COMPLETE"):
            from typer._completion_classes import completion_init

            completion_init()
        return super()._main_shell_completion(ctx_args, prog_name, complete_var)

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in LAZY_GROUPS:
            command = self._lazy_load(cmd_name)
            self.add_command(command, cmd_name)
        if command is not None:
            bound_integers(command)
        return command

    @staticmethod
    @functools.cache
    def _lazy_load(cmd_name: str) -> TyperGroup:
        # Built once per process: building reads every command's signature and type
        # hints, which costs more than most commands themselves when a process (the TUI's
        # palette, a test) runs many.
        module_name, attribute = LAZY_GROUPS[cmd_name].split(":")
        sub_app = getattr(import_module(module_name), attribute)
        # The group ``app.add_typer(sub_app, name=cmd_name)`` would build, with the
        # root's settings (plain help, short tracebacks).
        return get_group_from_info(
            TyperInfo(sub_app, name=cmd_name),
            pretty_exceptions_short=app.pretty_exceptions_short,
            rich_markup_mode=app.rich_markup_mode,
            suggest_commands=app.suggest_commands,
        )

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: Any = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            result = super().main(
                args=args,
                prog_name=prog_name or "transition",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except TransitionError as exc:
            print_error(exc.lines(HINTS))
            sys.exit(exc.exit_code)
        except typer.Abort:
            print_error(["aborted"])
            sys.exit(1)
        except typer.TyperException as exc:  # usage errors (exit 2) and the like
            sys.exit(_report(exc))
        except KeyboardInterrupt:
            print_error(["interrupted; nothing was saved"])
            sys.exit(130)
        except BrokenPipeError:
            sys.exit(0)
        if isinstance(result, int) and standalone_mode:
            sys.exit(result)
        if standalone_mode:
            sys.exit(0)
        return result


def _report(exc: typer.TyperException) -> int:
    """Print one of Typer's own errors; returns its exit code. A usage error carries the
    context of the command it is about (a group run without a command shows its help)."""
    ctx: typer.Context | None = getattr(exc, "ctx", None)
    message = exc.format_message()
    if ctx is not None and message == ctx.get_help():  # a group run without a command
        typer.echo(message)
        return 2
    hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    print_error([f"{message}{hint}"])
    return getattr(exc, "exit_code", 1) or 1


app = typer.Typer(
    cls=TransitionGroup,
    help="Run IT-outsourcing transitions: phases and gates, knowledge transfer, access, "
    "runbooks, and the exit-handover checklist kept in step.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from transition import __version__

        typer.echo(f"transition {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    db: DatabaseUrl = None,
    actor: Actor = None,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    from transition import settings
    from transition.cli.state import state

    settings.reset()  # each run reads the environment once, here at its start
    current = state(ctx)
    current.url = db
    if actor:
        from transition.text import clean_name

        current.actor = clean_name(actor, "actor")
    if ctx.invoked_subcommand is None:
        from transition.cli.tui_cmd import open_tui

        open_tui(current, None)


def _register() -> None:
    from transition.cli import (
        audit_cmd,
        calendar_cmd,
        demo,
        init,
        report,
        transfer,
        tui_cmd,
        undo_cmd,
    )

    # Top-level commands; the noun groups (LAZY_GROUPS) load when invoked.
    for module in (init, demo, tui_cmd, audit_cmd, undo_cmd, report, transfer, calendar_cmd):
        module.register(app)


_register()


def main(argv: list[str] | None = None) -> None:
    command = typer.main.get_command(app)
    try:
        command.main(args=argv if argv is not None else sys.argv[1:], prog_name="transition")
    finally:
        _close_connections()


def _close_connections() -> None:
    """Close the process's database connections before it exits.

    What a command loaded is frozen out of the collector's reach (``memory.settle``), so
    its pooled connections would never be closed. Closed, SQLite's last connection folds
    the write-ahead log back into the database file and removes it; left open, every later
    process would first read the whole log (after a large import, hundreds of megabytes)
    to rebuild its index.
    """
    db = sys.modules.get("transition.db")
    if db is not None:
        db.reset_engines()


def __getattr__(name: str) -> Any:
    if name == "State":  # loaded on first use: ``cli.state`` is not needed to list commands
        from transition.cli.state import State

        return State
    raise AttributeError(name)


__all__ = ["State", "app", "main"]
