"""CONFIG GET / SET / RESETSTAT / REWRITE / HELP (Redis: config.c configCommand)."""

from __future__ import annotations
