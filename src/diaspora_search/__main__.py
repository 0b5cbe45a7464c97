"""``python -m diaspora_search``: the same as the ``diaspora-search`` command."""

import sys

from ._cli import main

sys.exit(main())
