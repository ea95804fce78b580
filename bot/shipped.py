"""Where the files shipped beside the code are: the rulesets and the migrations.

They live at the top of the repository (``rulesets/``, ``migrations/``) and install as the
packages ``bot.rulesets`` and ``bot.migrations``, so a wheel carries them and an editable install
maps them back to the repository. A checkout run without installing finds them beside ``bot/``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_TOP = Path(__file__).resolve().parent.parent


def shipped_dir(name: str) -> Path:
    """The folder of ``rulesets`` or ``migrations``, as a real path (the loaders report
    ``file:line``, and an installed package is always unpacked on disk)."""
    try:
        found = Path(str(resources.files(f"bot.{name}")))
    except ModuleNotFoundError:
        found = _TOP / name
    if not found.is_dir():
        raise FileNotFoundError(f"the shipped {name} are missing: {found} is not a folder "
                                f"(reinstall quytac)")
    return found
