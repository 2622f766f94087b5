"""Who is watching the chat now: users holding an open event stream (selectors).

Read from the open-stream slots that ``oscar_chat.limits`` keeps in Django's cache (leases
renewed while a stream lives, so a dead process's streams lapse by themselves); with a shared
cache (Redis) this holds across server processes. When streams are not counted
(``OSCAR_CHAT_SSE_MAX_STREAMS_PER_USER = None``) nobody counts as present: customers then get
reply emails and agents new-conversation notices even while watching.
"""

import logging

from .. import conf
from ..limits import users_with_open_streams
from ..sse.hub import has_local_stream

logger = logging.getLogger(__name__)


def _present(user_ids) -> set:
    try:
        return users_with_open_streams(user_ids)
    except Exception:  # noqa: BLE001 - unknown: treat as present, so nobody gets mail they need not
        logger.warning("oscar_chat: open streams unknown (cache error)", exc_info=True)
        return set(user_ids)


def has_open_stream(user_id: int) -> bool:
    if conf.get("SSE_MAX_STREAMS_PER_USER") is not None and has_local_stream(user_id):
        return True  # open in this process: no need to ask the cache
    return user_id in _present([user_id])


def agents_online() -> int:
    """How many agents are online, as ``GET presence`` tells the widget (0: nobody is watching)."""
    from ..selectors import presence

    try:
        return presence()["agents_online"]
    except Exception:  # noqa: BLE001 - unknown: treat as online, so agents get no mail they need not
        logger.warning("oscar_chat: agents' presence unknown (cache error)", exc_info=True)
        return 1
