"""Entry point for ``python -m bot``: the same CLI as the ``quytac`` console script."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
