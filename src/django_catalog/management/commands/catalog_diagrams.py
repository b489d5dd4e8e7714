"""``manage.py catalog_diagrams``: draw FSM fields as DOT, Mermaid and SVG files."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from django_catalog.diagrams import DEFAULT_TARGETS, FORMATS, stale_diagrams, write_diagrams


class Command(BaseCommand):
    help = (
        "Render state diagrams of django-fsm fields (default: the catalog's "
        f"{', '.join(DEFAULT_TARGETS)}) as DOT, Mermaid and, with Graphviz installed, SVG."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "targets",
            nargs="*",
            metavar="app_label.Model[.field]",
            help="FSM fields to draw; a model alone stands for all its FSM fields.",
        )
        parser.add_argument(
            "--format",
            "-f",
            action="append",
            choices=list(FORMATS),
            dest="formats",
            help="Output format; repeat for several (default: all, or dot and mermaid "
            "with --check).",
        )
        parser.add_argument(
            "--output",
            "-o",
            default="diagrams",
            help="Directory to write into (default: ./diagrams).",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; fail if the files in --output differ from what the code "
            "generates.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        targets = options["targets"] or None
        try:
            if options["check"]:
                stale = stale_diagrams(
                    targets, options["formats"] or ("dot", "mermaid"), options["output"]
                )
                if stale:
                    names = ", ".join(str(path) for path in stale)
                    raise CommandError(
                        f"State diagrams out of date: {names}. "
                        "Regenerate them with `manage.py catalog_diagrams`."
                    )
                self.stdout.write("State diagrams are up to date.")
                return
            written = write_diagrams(
                targets,
                options["formats"] or tuple(FORMATS),
                options["output"],
                notify=self.stderr.write,
            )
        except (LookupError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        for path in written:
            self.stdout.write(f"Wrote {path}")
