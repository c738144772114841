"""Tabletop exercises and go/no-go decisions (0008)."""

from __future__ import annotations

__all__: list[str] = []
