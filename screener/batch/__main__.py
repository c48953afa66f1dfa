"""`python -m screener.batch ...`: the same flags as `screener batch`."""

import sys

from screener.batch.command import main

sys.exit(main())
