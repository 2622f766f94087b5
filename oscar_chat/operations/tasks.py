"""The chat's background tasks (Django's tasks API). Thin: each calls a service."""

from .taskapi import task


# One room after one message: queued before resolve_due_rooms_task replaced it (such tasks may
# still wait in a store's queue).
@task()
def auto_resolve_task(room_id: int, message_id: int) -> bool:
    from .services import auto_resolve

    return auto_resolve(room_id, message_id)


@task()
def resolve_due_rooms_task() -> int:
    from .services import resolve_due_rooms

    return resolve_due_rooms()


@task()
def away_reply_task(room_id: int, no_agent: bool = False) -> bool:
    from .services import send_away_reply

    return send_away_reply(room_id, no_agent=no_agent) is not None


@task()
def reply_digest_task(room_id: int) -> int:
    from .services import send_reply_digest

    return send_reply_digest(room_id)


@task()
def new_room_notice_task(room_id: int) -> int:
    from .services import notify_agents_of_new_room

    return notify_agents_of_new_room(room_id)


@task()
def retention_task() -> dict[str, int]:
    from .services import apply_retention

    return apply_retention()
