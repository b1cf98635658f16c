"""`python -m runbench` runs the CLI."""

import sys

from runbench.cli.main import main

sys.exit(main())
