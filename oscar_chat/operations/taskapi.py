"""Django's tasks API: ``django.tasks`` from Django 6, the ``django-tasks`` backport on 5.2."""

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

try:  # Django 6+
    from django.tasks import task, task_backends
except ImportError:  # Django 5.2: the backport
    from django_tasks import task, task_backends

from .. import conf

logger = logging.getLogger(__name__)

__all__ = ["enqueue_after_commit", "task", "task_backends"]


def enqueue_after_commit(chat_task: Any, *args: Any, delay: float | None = None, **kwargs: Any) -> None:
    """Enqueue ``chat_task`` once the current transaction commits (at once outside one).

    ``delay`` (seconds) becomes the task's ``run_after``: the worker runs it no earlier. A
    backend that cannot defer (e.g. the ImmediateBackend) runs delayed work never, with a
    warning (the system check ``oscar_chat.W401`` says so at start-up too).
    """

    def enqueue() -> None:
        backend_name = conf.get("TASK_BACKEND")
        options: dict[str, Any] = {"backend": backend_name}
        if delay is not None:
            if not task_backends[backend_name].supports_defer:
                logger.warning("oscar_chat: task backend %r cannot defer; %s skipped", backend_name, chat_task.name)
                return
            options["run_after"] = timezone.now() + timedelta(seconds=delay)
        try:
            chat_task.using(**options).enqueue(*args, **kwargs)
        except Exception:
            logger.exception("oscar_chat: could not enqueue %s", chat_task.name)

    transaction.on_commit(enqueue)
