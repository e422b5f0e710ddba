"""`python -m scripts ...`: the build tool's entry point."""

from .cli import entry

entry()
