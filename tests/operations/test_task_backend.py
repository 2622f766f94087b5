"""The chat's background work needs a task backend that can run tasks later: a system check says so."""

from importlib.util import find_spec

from django.core import checks

# Django 6 has the tasks framework built in; 5.2 has the backport.
TASKS_PACKAGE = "django.tasks" if find_spec("django.tasks") else "django_tasks"


def run_checks():
    return [m for m in checks.run_checks() if m.id and m.id.startswith("oscar_chat.") and m.id[-3] == "4"]


def test_the_database_backend_passes(settings):
    assert run_checks() == []


def test_a_backend_that_cannot_defer_is_warned_about(settings):
    settings.TASKS = {"default": {"BACKEND": f"{TASKS_PACKAGE}.backends.immediate.ImmediateBackend"}}
    assert [m.id for m in run_checks()] == ["oscar_chat.W401"]


def test_an_unknown_backend_alias_is_an_error(settings):
    settings.OSCAR_CHAT_TASK_BACKEND = "nowhere"
    assert [m.id for m in run_checks()] == ["oscar_chat.E401"]
