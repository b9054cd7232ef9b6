"""`python -m tui`: the same as the `medkb` command."""

import sys

from tui.cli import main

sys.exit(main())
