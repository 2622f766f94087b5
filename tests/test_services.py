"""The services: every write of the chat, its rules, and the events it publishes after commit."""

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer

from oscar_chat import events, services
from oscar_chat.exceptions import RateLimited, ValidationError
from oscar_chat.models import ChatMessage, ChatRoom, StreamSequence

from .factories import db_state, make_product, open_room, say


def fresh(room):
    return ChatRoom.objects.get(pk=room.pk)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"subject": " \t"}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"subject": "ok", "priority": "SOON"}, "priority"),
        ({"subject": "ok", "message": "   "}, "message"),
    ],
)
def test_open_room_validates_and_creates_nothing_on_error(customer, kwargs, field):
    with pytest.raises(ValidationError) as error:
        services.open_room(customer=customer, opened_by=customer, **kwargs)
    assert field in error.value.message_dict
    assert not ChatRoom.objects.exists() and not ChatMessage.objects.exists()


def test_an_agent_opening_a_room_for_a_customer_is_its_assignee(customer, agent):
    room = services.open_room(customer=customer, opened_by=agent, subject="Your order", message="It shipped.")
    assert (room.user, room.admin, room.customer_unread_count, room.agent_unread_count) == (customer, agent, 1, 0)


def test_a_customer_opening_their_own_room_leaves_it_unassigned(customer):
    room = services.open_room(customer=customer, opened_by=customer, subject="Question", message="Hi")
    assert (room.admin, room.agent_unread_count, room.is_read, room.last_message) == (None, 1, False, "Hi")


def test_post_message_reports_whether_it_created_the_message(customer):
    room = open_room(customer)
    first, created = services.post_message(room, customer, message="Hi", client_id="a")
    again, created_again = services.post_message(room, customer, message="Hi", client_id="a")
    assert (created, created_again, again.pk) == (True, False, first.pk)


def test_every_message_gets_the_next_stream_position(customer, agent):
    room = open_room(customer)
    seqs = [say(room, user, "x").seq for user in (customer, agent, customer)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert StreamSequence.objects.get(pk=1).last_seq == seqs[-1]


def test_the_stream_position_continues_after_the_existing_messages_when_its_row_is_missing(customer):
    room = open_room(customer)
    ChatMessage.objects.create(room=room, sender=customer, message="imported", seq=41)
    StreamSequence.objects.all().delete()
    assert say(room, customer, "next").seq == 42


def test_the_rate_limit_is_checked_before_anything_is_written(customer, settings):
    settings.OSCAR_CHAT_RATE_LIMIT_MESSAGES = 1
    room = open_room(customer)
    say(room, customer, "one")
    before = db_state()
    with pytest.raises(RateLimited) as error:
        say(room, customer, "two")
    assert 1 <= error.value.wait_seconds <= 60
    assert db_state() == before


def test_a_limit_of_none_lets_customers_send_freely_and_zero_stops_them(customer, settings):
    room = open_room(customer)
    settings.OSCAR_CHAT_RATE_LIMIT_MESSAGES = None
    for n in range(40):
        say(room, customer, f"message {n}")
    settings.OSCAR_CHAT_RATE_LIMIT_MESSAGES = 0
    with pytest.raises(RateLimited) as error:
        say(room, customer, "stopped")
    assert error.value.wait_seconds == 60


def test_product_messages_store_a_snapshot_of_the_card(customer):
    product = make_product("Sambal Bawang Pedas 200g", price="32000")
    room = open_room(customer)
    message = say(room, customer, "", message_type="PRODUCT", product=product)
    assert message.product_snapshot["title"] == "Sambal Bawang Pedas 200g"
    assert message.product_snapshot["price"]["amount"] == "32000.00"
    product.delete()
    message.refresh_from_db()
    assert message.product is None and message.product_snapshot["title"] == "Sambal Bawang Pedas 200g"


def test_manage_room_changes_only_what_it_is_given(customer, agent):
    room = open_room(customer)
    services.manage_room(room, admin=agent)
    room = services.manage_room(room, status="CLOSED")
    assert (room.status, room.priority, room.admin) == ("CLOSED", "NORMAL", agent)
    room = services.manage_room(room, priority="URGENT", admin=None)
    assert (fresh(room).status, fresh(room).priority, fresh(room).admin) == ("CLOSED", "URGENT", None)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"status": "GONE"}, "status"), ({"priority": "SOON"}, "priority"), ({"admin": "CUSTOMER"}, "admin_id")],
)
def test_manage_room_refuses_bad_values(customer, kwargs, field):
    room = open_room(customer)
    kwargs = {k: customer if v == "CUSTOMER" else v for k, v in kwargs.items()}
    with pytest.raises(ValidationError) as error:
        services.manage_room(room, **kwargs)
    assert field in error.value.message_dict
    assert fresh(room).status == "OPEN" and fresh(room).admin is None


def test_mark_read_marks_only_the_other_sides_messages(customer, agent):
    room = open_room(customer, message="Q1")
    say(room, agent, "A1")
    services.mark_read(room, agent)
    assert list(room.messages.order_by("id").values_list("is_read", flat=True)) == [True, False]
    services.mark_read(room, customer)
    assert list(room.messages.order_by("id").values_list("is_read", flat=True)) == [True, True]
    room = fresh(room)
    assert (room.agent_unread_count, room.customer_unread_count, room.is_read) == (0, 0, True)


def test_typing_is_throttled_and_a_stop_follows_only_a_shown_start(customer, settings):
    settings.OSCAR_CHAT_TYPING_THROTTLE_SECONDS = 30
    room = open_room(customer)
    assert services.set_typing(room, customer, False) is False  # nothing was shown: nothing to stop
    assert services.set_typing(room, customer, True) is True
    assert services.set_typing(room, customer, True) is False  # within the throttle window
    assert services.set_typing(room, customer, False) is True
    assert services.set_typing(room, customer, False) is False


# Events: published to the channel layer once the write commits.


def collect_events(groups, write, count):
    """Subscribe to each group, run ``write`` (sync, running its on_commit callbacks), and return
    the first ``count`` events each group received: ``{group: [event, ...]}``."""

    async def scenario():
        layer = get_channel_layer()
        channels = {group: await layer.new_channel() for group in groups}
        for group, channel in channels.items():
            await layer.group_add(group, channel)
        try:
            await sync_to_async(write)()
            return {
                group: [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(count)]
                for group, channel in channels.items()
            }
        finally:
            for group, channel in channels.items():
                await layer.group_discard(group, channel)

    return async_to_sync(scenario)()


def test_a_message_is_published_once_with_the_room_as_each_side_sees_it(
    customer, agent, django_capture_on_commit_callbacks
):
    room = open_room(customer)

    def write():
        with django_capture_on_commit_callbacks(execute=True):
            say(room, agent, "Hello Eka")

    (published,) = collect_events([events.MESSAGES_GROUP], write, 1)[events.MESSAGES_GROUP]
    message = ChatMessage.objects.get(room=room)
    assert (published["event"], published["seq"]) == ("message", message.seq)
    assert published["data"]["message"] == "Hello Eka"
    assert published["room_views"]["customer"]["unread_count"] == 1
    assert published["room_views"]["agent"]["unread_count"] == 0


def test_agents_get_the_room_as_agents_see_it(customer, agent, django_capture_on_commit_callbacks):
    room = open_room(customer)

    def write():
        with django_capture_on_commit_callbacks(execute=True):
            say(room, customer, "Anyone?")

    (published,) = collect_events([events.MESSAGES_GROUP], write, 1)[events.MESSAGES_GROUP]
    agent_view = published["room_views"]["agent"]
    assert (agent_view["unread_count"], agent_view["is_read"]) == (1, False)


def test_the_published_room_is_the_room_as_stored_after_the_message(
    customer, agent, django_capture_on_commit_callbacks
):
    from oscar_chat import payloads

    room = open_room(customer)
    services.manage_room(room, labels=["vip", "shipping"])

    def write():
        with django_capture_on_commit_callbacks(execute=True):
            say(room, agent, "On its way")  # the first answer: assigns the agent, stamps the response

    (published,) = collect_events([events.MESSAGES_GROUP], write, 1)[events.MESSAGES_GROUP]
    stored = ChatRoom.objects.select_related("user", "admin").get(pk=room.pk)
    assert stored.admin == agent and stored.first_response_at is not None
    for view, as_customer in (("customer", True), ("agent", False)):
        assert published["room_views"][view] == payloads.room_data(stored, viewer_is_customer=as_customer)
    assert sorted(published["room_views"]["agent"]["labels"]) == ["shipping", "vip"]


def test_typing_and_read_events_carry_the_contract_shapes(customer, agent, django_capture_on_commit_callbacks):
    room = open_room(customer)
    say(room, agent, "Hi")

    def write():
        with django_capture_on_commit_callbacks(execute=True):
            services.set_typing(room, customer, True)
        with django_capture_on_commit_callbacks(execute=True):
            services.mark_read(room, customer)

    typing, read, room_event = collect_events([events.MESSAGES_GROUP], write, 3)[events.MESSAGES_GROUP]
    assert typing["event"] == "typing" and typing["exclude_user"] == customer.pk
    assert typing["views"]["customer"] == {
        "room": room.pk,
        "user": {"id": customer.pk, "name": "Eka Pratama", "is_agent": False},
        "is_typing": True,
    }
    last = ChatMessage.objects.get(room=room, sender=agent)
    assert read["event"] == "read"
    assert read["views"]["customer"] == {
        "room": room.pk,
        "reader": typing["views"]["customer"]["user"],
        "last_read_id": last.pk,
    }
    assert room_event["event"] == "room" and room_event["views"]["agent"]["id"] == room.pk
