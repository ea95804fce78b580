"""What a wheel carries: every package of bot/, the rulesets and the migrations (CI also builds
and installs one: .ci/wheel), and declared floors that CI can pin (.ci/floors.py)."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_package_of_bot_is_listed():
    listed = set(PROJECT["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "bot").rglob("__init__.py")}
    assert found - listed == set()


def test_rulesets_and_migrations_are_package_data():
    dirs = PROJECT["tool"]["setuptools"]["package-dir"]
    data = PROJECT["tool"]["setuptools"]["package-data"]
    assert dirs == {"bot.rulesets": "rulesets", "bot.migrations": "migrations"}
    for package, folder in dirs.items():
        files = [f for pattern in data[package] for f in (ROOT / folder).glob(pattern)]
        shipped = {f.relative_to(ROOT / folder) for f in (ROOT / folder).rglob("*")
                   if f.suffix in (".yaml", ".sql")}
        assert shipped and set(f.relative_to(ROOT / folder) for f in files) == shipped


def test_the_shipped_folders_are_found_through_the_package():
    from bot.shipped import shipped_dir

    assert (shipped_dir("rulesets") / "vi.yaml").is_file()
    assert (shipped_dir("migrations") / "sqlite" / "0001_initial.sql").is_file()


def test_floors_pin_every_declared_minimum():
    out = subprocess.run([sys.executable, str(ROOT / ".ci" / "floors.py")], check=True,
                         capture_output=True, text=True).stdout.split()
    pins = dict(line.split("==") for line in out)
    assert pins["asyncpg"] == "0.30" and pins["redis"] == "5.0.1"
    assert pins["pytest-asyncio"] == "0.24" and pins["yarl"] == "1.9.1"
    assert pins["aiohttp"] == "3.10.1"
    specs = PROJECT["project"]["dependencies"] + [
        s for extra in PROJECT["project"]["optional-dependencies"].values() for s in extra]
    assert len(pins) == sum(">=" in s for s in specs)


def test_the_runtime_does_not_need_the_extras():
    """What only bench and check import stays out of the runtime dependencies."""
    runtime = " ".join(PROJECT["project"]["dependencies"]).lower()
    for extra_only in ("better-profanity", "psutil", "langdetect", "sniffio", "scikit-learn"):
        assert extra_only not in runtime


def test_every_data_file_beside_the_code_is_package_data():
    """A data file the code reads at import (the confusables table was one) must be in the
    wheel: every file under bot/ that is not Python is matched by a package-data pattern."""
    data = PROJECT["tool"]["setuptools"]["package-data"]
    missing = []
    for path in (ROOT / "bot").rglob("*"):
        if not path.is_file() or path.suffix in (".py", ".pyc", ".so", ".c") \
                or "__pycache__" in path.parts:
            continue
        package_dir = path.parent
        while not (package_dir / "__init__.py").exists():
            package_dir = package_dir.parent
        package = ".".join(package_dir.relative_to(ROOT).parts)
        relative = path.relative_to(package_dir)
        if not any(relative.match(pattern) for pattern in data.get(package, [])):
            missing.append(str(path.relative_to(ROOT)))
    assert missing == []


def test_the_documentation_links_where_it_says():
    """Every relative link in the README, the changelog and docs/ names a file that exists."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    pages = [root / "README.md", root / "CHANGELOG.md", *sorted((root / "docs").glob("*.md"))]
    assert len(pages) >= 7
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" not in target and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(root)} → {target}")
    assert broken == []
