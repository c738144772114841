"""``transition handover pack ENG -o DIR|FILE.zip [--force]`` and
``transition handover pack --verify DIR|FILE.zip``."""

from __future__ import annotations

from typing import Annotated

import typer

from transition.cli.output import say
from transition.cli.state import call

#: The engagement: required to write a pack, not given to verify one.
SomeEngagement = Annotated[str | None, typer.Argument(metavar="ENG", show_default=False)]


def register(app: typer.Typer) -> None:
    @app.command("pack")
    def pack(
        ctx: typer.Context,
        engagement: SomeEngagement = None,
        output: str | None = typer.Option(
            None,
            "-o",
            "--output",
            metavar="DIR|FILE.zip",
            help="Folder to write the pack into (mode 0700), or a .zip file (0600).",
        ),
        force: bool = typer.Option(False, "--force", help="Replace an earlier pack there."),
        verify: str | None = typer.Option(
            None, "--verify", metavar="DIR|FILE.zip", help="Check a pack against its manifest."
        ),
    ) -> None:
        """The hand-back pack: access ledger, runbooks, KT record, exit checklist, status
        report and full export, with a manifest of SHA-256 hashes."""
        from transition.errors import BadInput
        from transition.services import pack as service

        if verify is not None:
            if engagement is not None or output is not None or force:
                raise BadInput("--verify takes only the pack: no ENG, -o or --force")
            checked = service.verify_pack(verify)
            say(f"verified {checked.files} files of the pack of {checked.engagement}")
            return
        if engagement is None or output is None:
            raise BadInput("give the engagement and -o DIR|FILE.zip (or --verify DIR|FILE.zip)")
        written = call(ctx, service.write_pack, engagement, output, force=force)
        say(
            f"wrote the hand-back pack of {written.engagement} to {written.path}: "
            f"{len(written.files)} files and {service.MANIFEST}"
        )
