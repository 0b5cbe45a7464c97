"""The package version: its one source (``pyproject.toml`` reads it, through hatchling)."""

__version__ = "0.1.0"
