"""``python -m aiopex``: the command line."""

import sys

from aiopex.cli import main

sys.exit(main())
