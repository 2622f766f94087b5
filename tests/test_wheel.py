"""The built wheel carries everything a store needs: code, migrations, templates, static files, translations."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A file of each kind in nested folders, in case the package has none of that kind yet:
# the packaging rules must carry them whenever they come.
SAMPLES = [
    "templates/oscar_chat/packaging-sample.html",
    "templates/oscar_chat/partials/packaging-sample.html",
    "static/oscar_chat/js/packaging-sample.js",
    "static/oscar_chat/css/packaging-sample.css",
    "static/oscar_chat/img/packaging-sample.svg",
]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    source = tmp_path_factory.mktemp("source")
    shutil.copy(ROOT / "pyproject.toml", source)
    shutil.copy(ROOT / "README.md", source)
    shutil.copytree(ROOT / "oscar_chat", source / "oscar_chat", ignore=shutil.ignore_patterns("__pycache__"))
    for sample in SAMPLES:
        path = source / "oscar_chat" / sample
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("sample\n")
    out = tmp_path_factory.mktemp("dist")
    # Offline and quick: the build tools come from the test extra instead of an isolated env.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(source)],
        check=True,
        cwd=source,
    )
    (built,) = out.glob("django_oscar_chat-*.whl")
    with zipfile.ZipFile(built) as archive:
        names = set(archive.namelist())
    package_files = {str(path.relative_to(source)) for path in (source / "oscar_chat").rglob("*") if path.is_file()}
    return names, package_files


def test_the_wheel_carries_every_file_of_the_package(wheel):
    names, package_files = wheel
    assert package_files - names == set()


@pytest.mark.parametrize(
    "kind",
    [
        "oscar_chat/migrations/0001_initial.py",
        "oscar_chat/locale/id/LC_MESSAGES/django.mo",
        "oscar_chat/templates/oscar_chat/partials/",
        "oscar_chat/static/oscar_chat/js/",
        "oscar_chat/static/oscar_chat/css/",
        "oscar_chat/api/urls.py",
    ],
)
def test_the_wheel_carries_migrations_translations_templates_and_static_files(wheel, kind):
    names, _ = wheel
    assert any(name.startswith(kind) for name in names), kind


def test_the_wheel_holds_nothing_but_the_package(wheel):
    names, _ = wheel
    top_level = {name.split("/")[0] for name in names} - {"oscar_chat"}
    assert len(top_level) == 1 and top_level.pop().endswith(".dist-info")
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)
