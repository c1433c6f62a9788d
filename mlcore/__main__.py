"""`python -m mlcore ...`: the command line over the same core the app uses."""

import sys

from mlcore.cli import main

sys.exit(main())
