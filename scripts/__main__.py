"""`python -m scripts ...`: the build tool's entry point."""

import sys

from .cli import main

sys.exit(main())
