"""Entry point: ``transition [--db URL] [--actor NAME] COMMAND …``.

Errors never surface as tracebacks: the tool's own errors print ``error: …`` lines on
stderr with their exit code (1 refused by a rule, 2 bad input); usage errors exit 2.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer import _click as click  # typer vendors its own click
from typer.core import TyperGroup
from typer.models import TyperInfo

from transition.cli.state import State, state
from transition.errors import TransitionError


def print_error(lines: list[str]) -> None:
    for line in lines:
        sys.stderr.write(f"error: {line}\n")
    sys.stderr.flush()


#: One command group per noun: ``transition.cli.<module>`` with ``app`` and ``NAME``.
#: A group's module (and the services it uses) is imported only when that group is
#: invoked or listed in help, so a command pays only for what it runs.
GROUPS = (
    "playbook",
    "engagement",
    "phase",
    "task",
    "system",
    "person",
    "access",
    "kt",
    "handover",
    "runbook",
)


#: Integer options and arguments are 64-bit signed on both backends: a larger value is
#: a usage error (exit 2) before any service or SQL statement sees it.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def bound_integers(command: click.Command) -> click.Command:
    """Give every integer parameter of ``command`` and its sub-commands a 64-bit range
    (kept narrower where the parameter declares its own ``min``/``max``)."""
    for param in command.params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or not _is_int(descriptor.annotation):
            continue
        info = descriptor.parameter_info
        if getattr(param, "_runtime_param", None) is not None:
            continue  # already bounded (built) on an earlier invocation
        info.min = INT_MIN if info.min is None else max(info.min, INT_MIN)
        info.max = INT_MAX if info.max is None else min(info.max, INT_MAX)
    for sub in getattr(command, "commands", {}).values():
        bound_integers(sub)
    return command


def _is_int(annotation: Any) -> bool:
    from typing import get_args

    return annotation is int or int in get_args(annotation)


class TransitionGroup(TyperGroup):
    """Typer group whose ``main`` turns every expected failure into ``error:`` lines,
    and which loads the noun groups lazily."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        own = super().list_commands(ctx)
        return [*own, *(name for name in GROUPS if name not in own)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in GROUPS:
            from importlib import import_module

            module = import_module(f"transition.cli.{cmd_name}")
            # Built as ``app.add_typer(module.app, name=NAME)`` would build it.
            command = typer.main.get_group_from_info(
                TyperInfo(module.app, name=module.NAME),
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
                suggest_commands=app.suggest_commands,
            )
            self.add_command(command, bound_integers(command) and module.NAME)
        elif command is not None:
            bound_integers(command)
        return command

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
            print_error(exc.lines())
            sys.exit(exc.exit_code)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else "", err=False)
            sys.exit(2)
        except click.exceptions.UsageError as exc:
            hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
            print_error([f"{exc.format_message()}{hint}"])
            sys.exit(2)
        except click.exceptions.ClickException as exc:
            print_error([exc.format_message()])
            sys.exit(exc.exit_code if exc.exit_code else 1)
        except typer.Abort:
            print_error(["aborted"])
            sys.exit(1)
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


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    db: str | None = typer.Option(
        None,
        "--db",
        envvar="TRANSITION_DATABASE_URL",
        metavar="URL",
        help="SQLAlchemy database URL, or a SQLite file path (default: a SQLite file in your "
        "data directory).",
    ),
    actor: str | None = typer.Option(
        None,
        "--actor",
        envvar="TRANSITION_ACTOR",
        metavar="NAME",
        help="Name recorded in the audit log (default: your OS user).",
    ),
) -> None:
    from transition import settings

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
        demo,
        init,
        report,
        transfer,
        tui_cmd,
    )

    # Top-level commands; the noun groups (GROUPS) load when invoked.
    for module in (init, demo, tui_cmd, audit_cmd, report, transfer):
        module.register(app)


_register()


def main(argv: list[str] | None = None) -> None:
    command = typer.main.get_command(app)
    command.main(args=argv if argv is not None else sys.argv[1:], prog_name="transition")


__all__ = ["State", "app", "main"]
