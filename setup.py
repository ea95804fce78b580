"""Build of the three C helpers (everything else is in pyproject.toml).

``bot/core/_quick.c`` answers, in one pass, whether a message needs more normalisation than case
and diacritics: most chat does not. ``bot/core/_score.c`` computes the learned stage's score.
``bot/core/_scan.c`` finds the rules' terms in a message. All are optional: without a C compiler
the install goes on and ``bot.core.normalize``, ``bot.core.features`` and ``bot.core.matcher``
give the same answers in Python, slower.
"""

from setuptools import Extension, setup

setup(ext_modules=[
    Extension("bot.core._quick", ["bot/core/_quick.c"], optional=True),
    Extension("bot.core._score", ["bot/core/_score.c"], optional=True),
    Extension("bot.core._scan", ["bot/core/_scan.c"], optional=True),
])
