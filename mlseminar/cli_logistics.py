"""Commands for the organizer's logistics: announcements, the calendar export and README import.

They are registered on the main app by `register`, so cli.py stays short.
"""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the logistics commands to `app`."""
