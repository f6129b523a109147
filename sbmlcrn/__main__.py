"""``python -m sbmlcrn``."""

import sys

from sbmlcrn.cli import main

sys.exit(main())
