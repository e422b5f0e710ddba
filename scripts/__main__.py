"""`python -m scripts ...`: the build tool's entry point."""

from .entry import entry

entry()
