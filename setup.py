"""Build of the one C helper (everything else is in pyproject.toml).

``bot/core/_quick.c`` answers, in one pass, whether a message needs more normalisation than case
and diacritics: most chat does not. It is optional: without a C compiler the install goes on and
``bot.core.normalize`` answers the same question in Python, slower.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("bot.core._quick", ["bot/core/_quick.c"], optional=True)])
