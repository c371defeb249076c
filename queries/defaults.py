"""Default values the store backends and the settings share (a leaf: it imports nothing)."""

from pathlib import Path

DEFAULT_PATH = Path("relex.kuzu")
"""The embedded store's file."""
DEFAULT_BATCH_SIZE = 10_000
"""Rows per Neo4j write transaction."""
