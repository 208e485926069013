"""Settings: every setting the code reads is defined, and each is defined in one place.

The project's code is read with ``ast`` (not imported), so a setting read only on a rare
path is checked as well as one read at start-up.
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = [
    "incidents",
    "oncall",
    "postmortems",
    "readiness",
    "runbooks",
    "common",
    "config",
    "demo",
]
SETTINGS_DIR = ROOT / "config" / "settings"
# The modules config/settings/__init__.py composes; test.py overrides on purpose.
COMPOSED_MODULES = sorted(
    path for path in SETTINGS_DIR.glob("*.py") if path.stem not in {"__init__", "env", "test"}
)


def project_files() -> list[Path]:
    files = []
    for package in PROJECT_PACKAGES:
        files += [p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]
    return sorted(files)


def settings_read(source: str) -> set[str]:
    """Names read as ``settings.NAME`` or ``getattr(settings, "NAME"[, default])`` where
    ``settings`` is ``django.conf.settings`` (under whatever local name it was imported)."""
    tree = ast.parse(source)
    aliases = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "django.conf"
        for alias in node.names
        if alias.name == "settings"
    }
    names = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            names.add(node.attr)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id in aliases
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            names.add(node.args[1].value)
    return names


def settings_read_by_project() -> dict[str, list[str]]:
    """Each setting name read by the project, with the files that read it."""
    readers: dict[str, list[str]] = {}
    for path in project_files():
        for name in settings_read(path.read_text()):
            readers.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return readers


def test_the_scan_sees_both_kinds_of_read():
    source = (
        "from django.conf import settings\n"
        "from django.conf import settings as conf\n"
        "a = settings.ONE\n"
        "b = getattr(settings, 'TWO', 2)\n"
        "c = conf.THREE\n"
        "d = other.FOUR\n"
    )
    assert settings_read(source) == {"ONE", "TWO", "THREE"}
    # A file that does not import django.conf.settings has nothing to check.
    assert settings_read("settings = {}\nsettings.get('x')\n") == set()


def test_an_undefined_setting_is_caught():
    read = settings_read("from django.conf import settings\nsettings.NO_SUCH_TOCSIN_SETTING\n")
    assert [name for name in read if not hasattr(settings, name)] == ["NO_SUCH_TOCSIN_SETTING"]


def test_every_setting_the_code_reads_is_defined():
    readers = settings_read_by_project()
    # The scan really read the project (a broken walk would pass trivially).
    assert {"SITE_URL", "ONCALL_PAGES_PER_WEEK_LIMIT", "METRICS_TOKEN"} <= set(readers)
    undefined = {name: files for name, files in readers.items() if not hasattr(settings, name)}
    assert undefined == {}


def _module_level_statements(tree: ast.Module):
    """Top-level statements, including those inside top-level ``if``/``else`` blocks."""
    pending = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, ast.If):
            pending += node.body + node.orelse
        elif isinstance(node, ast.For):
            pending += node.body
        else:
            yield node


def _assigned_names(node) -> set[str]:
    targets = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign):
        targets = [node.target]
    return {t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper()}


def _settings_defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in _module_level_statements(tree):
        names |= _assigned_names(node)
    return names


def test_each_setting_is_defined_in_one_module():
    seen: dict[str, str] = {}
    duplicates = []
    for path in COMPOSED_MODULES:
        for name in _settings_defined(path):
            if name in seen:
                duplicates.append((name, seen[name], path.name))
            seen[name] = path.name
    assert duplicates == []
    assert {"INSTALLED_APPS", "ONCALL_PAGES_PER_WEEK_LIMIT"} <= set(seen)


@pytest.mark.parametrize("path", COMPOSED_MODULES, ids=lambda path: path.stem)
def test_settings_modules_change_only_their_own_names(path):
    """No module changes a setting another module defines (``INSTALLED_APPS += …``,
    ``MIDDLEWARE.insert(…)``, ``SPECTACULAR_SETTINGS[…] = …``, imports of another
    module's settings): the composed settings do not depend on the order of imports."""
    tree = ast.parse(path.read_text())
    own = _settings_defined(path)
    foreign = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("config.settings"):
            if node.module != "config.settings.env":
                foreign.append(f"imports {node.module}")
        elif isinstance(node, ast.Name) and node.id.isupper() and node.id not in own:
            foreign.append(node.id)
    assert foreign == []


def test_pytest_runs_on_the_test_settings():
    assert settings.SETTINGS_MODULE == "config.settings.test"
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]
