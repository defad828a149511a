"""``python -m lamella.runner.cli``."""

import sys

from lamella.runner.cli import main

sys.exit(main())
