"""``python -m resproof`` is the ``resproof`` command."""

import sys

from .cli import main

sys.exit(main())
