"""`python -m pipelines.cli`: the `kpipe` command."""

import sys

from pipelines.cli import main

sys.exit(main())
