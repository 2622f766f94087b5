"""System checks of the chat's background work."""

from django.core import checks

from .. import conf


@checks.register()
def task_backend_can_defer(app_configs, **kwargs):
    from .taskapi import task_backends

    name = conf.get("TASK_BACKEND")
    try:
        backend = task_backends[name]
    except Exception:  # noqa: BLE001 - an unknown alias or a backend that does not load
        return [
            checks.Error(
                f"OSCAR_CHAT_TASK_BACKEND {name!r} is not a usable backend of TASKS.",
                hint="Configure TASKS (docs/operations.md), e.g. the database backend django_tasks_db.DatabaseBackend.",
                id="oscar_chat.E401",
            )
        ]
    if not backend.supports_defer:
        return [
            checks.Warning(
                f"The task backend {name!r} cannot run tasks later: auto-resolve and reply emails will not run.",
                hint="Use django_tasks_db.DatabaseBackend (worker: manage.py db_worker) or a Celery backend.",
                id="oscar_chat.W401",
            )
        ]
    return []
