"""``python -m databroker``: the ``databroker`` command."""

import sys

from .cli.main import main

sys.exit(main())
