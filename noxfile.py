"""The CI matrix (CONTRIBUTING.md, "CI"): ``nox`` runs every session, ``nox -s tests`` the pinned legs.

Each leg runs the suite on SQLite and the in-memory channel layer, without the browser and live
tests (they run once, in the main job of .ci/run, on PostgreSQL and Redis). The pinned legs install from
constraints/py3XX.txt, so that an upstream release cannot break them; ``newest`` installs the newest
releases of everything, to hear of breakage first.
"""

from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

# (Python, Django) of each leg.
MATRIX = [("3.11", "5.2"), ("3.12", "6.0"), ("3.13", "6.1")]
# Browser, live (real daphne processes: timing-bound, and on SQLite and the in-memory layer they
# prove nothing the main job's PostgreSQL + Redis run does not), PostgreSQL and Redis tests run once,
# in .ci/run's main job; the legs check the code against their Python and Django.
LEG_MARKERS = "not browser and not live and not postgres and not redis and not install"


def constraints(python: str) -> Path:
    return ROOT / "constraints" / f"py{python.replace('.', '')}.txt"


def run_suite(session: nox.Session, *extra: str) -> None:
    env = {
        # Each leg its own SQLite file and nothing shared: legs run side by side with the main job.
        "DATABASE_URL": f"sqlite:///{session.create_tmp()}/db.sqlite3",
        "TEST_DATABASE_NAME": f"{session.create_tmp()}/test_db.sqlite3",
        "REDIS_URL": "",
        "SEARCH_INDEX_PATH": f"{session.create_tmp()}/whoosh_index",
        "MEDIA_ROOT": f"{session.create_tmp()}/media",
    }
    session.run(
        "python",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-m",
        LEG_MARKERS,
        f"--basetemp={session.create_tmp()}/pytest",
        *extra,
        *session.posargs,
        env=env,
    )


@nox.session
@nox.parametrize("python,django", MATRIX, ids=[f"{p}-django{d}" for p, d in MATRIX])
def tests(session: nox.Session, django: str) -> None:
    """A pinned leg of the matrix."""
    session.install("-c", str(constraints(session.python)), "-e", ".[test]")
    session.run(
        "python",
        "-c",
        f"import django, sys; assert django.get_version().startswith('{django}'), "
        "django.get_version(); print('Python', sys.version.split()[0], 'Django', django.get_version())",
    )
    run_suite(session)


@nox.session(python="3.13")
def newest(session: nox.Session) -> None:
    """The newest release of every dependency (no constraints): breakage upstream is heard here first."""
    session.install("--upgrade", "--upgrade-strategy", "eager", "-e", ".[test]")
    frozen = session.run("python", "-m", "pip", "freeze", "--all", "--exclude-editable", silent=True)
    installed = {line.lower() for line in frozen.splitlines() if "==" in line and not line.startswith("pip==")}
    pinned = {line.lower() for line in constraints("3.13").read_text().splitlines() if "==" in line}
    newer = sorted(installed - pinned)
    if not newer:
        # Exactly the 3.13 leg's versions, which that leg tests: nothing new to hear of.
        session.log(
            "The newest releases are the pinned ones (constraints/py313.txt): covered by tests(3.13-django6.1)."
        )
        return
    session.log("Newer than constraints/py313.txt: " + ", ".join(newer))
    run_suite(session)
