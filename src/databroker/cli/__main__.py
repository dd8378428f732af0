"""``python -m databroker.cli``: the ``databroker`` command."""

import sys

from .main import main

sys.exit(main())
