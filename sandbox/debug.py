"""DEBUG-only introspection of this server process, for the real-time tests and for curiosity."""

import asyncio
import gc

from django.http import JsonResponse

from oscar_chat.sse.consumer import EventStreamConsumer
from oscar_chat.sse.hub import stats


async def chat_streams(request):
    """What the event streams of this process hold: hubs (streams, groups), live consumer
    objects, and asyncio tasks (this request's own included)."""
    gc.collect()
    consumers = sum(1 for obj in gc.get_objects() if isinstance(obj, EventStreamConsumer))
    return JsonResponse({"hubs": stats(), "consumers": consumers, "tasks": len(asyncio.all_tasks())})
