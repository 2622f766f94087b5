"""Auto-resolve, reply emails and new-conversation emails, run by the real database worker
(``db_worker``) with the clock moved by the test."""

import datetime as dt

import pytest

from oscar_chat import limits
from oscar_chat.models import ChatRoom
from oscar_chat.operations import presence
from oscar_chat.services import mark_read

from .conftest import open_conversation, reload, reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("oscar_site")]

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def minutes(n):
    return T0 + dt.timedelta(minutes=n)


def hold_stream_slot(user):
    """What an open event stream holds (oscar_chat.limits); the live test opens real ones."""
    key = limits._take_slot(user.pk, 10, "test", 3600)
    assert presence.has_open_stream(user.pk)
    return key


def delete_stream_slot(key):
    from django.core.cache import cache

    cache.delete(key)


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.OSCAR_CHAT_AUTO_RESOLVE_AFTER = 3600
    settings.OSCAR_CHAT_REPLY_EMAIL_DELAY = 120
    settings.OSCAR_CHAT_NOTIFY_AGENTS_OFFLINE = False


def test_a_conversation_waiting_on_the_customer_is_resolved_with_a_reopen_notice(customer, agent, clock, run_worker):
    clock.to(T0)
    room = open_conversation(customer)
    clock.to(minutes(5))
    reply(room, agent, "Here is the size chart.")

    clock.to(minutes(64))  # 59 minutes after the reply: not yet
    run_worker()
    assert reload(room).status == ChatRoom.Status.OPEN

    clock.to(minutes(66))
    run_worker()
    room = reload(room)
    assert room.status == ChatRoom.Status.RESOLVED
    assert room.resolved_at == minutes(66)
    last = room.messages.order_by("-id").first()
    assert last.is_automatic and last.sender == agent
    assert "reopen" in last.message
    assert room.last_message == last.preview

    # Writing again reopens it, as the notice says.
    from oscar_chat.services import post_message

    post_message(room, customer, message="Actually, one more question")
    assert reload(room).status == ChatRoom.Status.OPEN


def test_a_customer_answer_stops_the_auto_resolve(customer, agent, clock, run_worker):
    clock.to(T0)
    room = open_conversation(customer)
    reply(room, agent)
    clock.to(minutes(30))
    from oscar_chat.services import post_message

    post_message(room, customer, message="Let me check")
    clock.to(minutes(120))
    run_worker()
    room = reload(room)
    assert room.status == ChatRoom.Status.OPEN
    assert not room.messages.filter(is_automatic=True).exists()


def test_several_replies_wait_from_the_last_and_queue_one_task(customer, agent, clock, run_worker):
    from django_tasks_db.models import DBTaskResult

    clock.to(T0)
    room = open_conversation(customer)
    reply(room, agent, "Let me look.")
    clock.to(minutes(30))
    sweeps = DBTaskResult.objects.filter(task_path__endswith=".resolve_due_rooms_task")
    queued = sweeps.count()
    reply(room, agent, "Found it: here is the size chart.")
    reply(room, agent, "Anything else?")
    # The replies of one minute share one queued sweep: a send costs no task row of its own.
    assert sweeps.count() == queued + 1

    clock.to(minutes(61))  # an hour after the first reply, half an hour after the last: not yet
    run_worker()
    assert reload(room).status == ChatRoom.Status.OPEN

    clock.to(minutes(91))
    run_worker()
    room = reload(room)
    assert room.status == ChatRoom.Status.RESOLVED
    assert room.resolved_at == minutes(91)

    # Resolved, then answered again and replied to: a new wait, from the new reply.
    from oscar_chat.services import post_message

    post_message(room, customer, message="Sorry, one more thing")
    clock.to(minutes(100))
    reply(room, agent, "Sure.")
    clock.to(minutes(159))
    run_worker()
    assert reload(room).status == ChatRoom.Status.OPEN
    clock.to(minutes(161))
    run_worker()
    assert reload(room).status == ChatRoom.Status.RESOLVED


def test_auto_resolve_off_resolves_nothing(customer, agent, clock, run_worker, settings):
    settings.OSCAR_CHAT_AUTO_RESOLVE_AFTER = None
    clock.to(T0)
    room = open_conversation(customer)
    reply(room, agent)
    clock.to(minutes(60 * 24 * 30))
    run_worker()
    assert reload(room).status == ChatRoom.Status.OPEN


def test_replies_to_a_customer_who_left_are_emailed_once_as_a_digest(customer, agent, clock, run_worker, mailoutbox):
    clock.to(T0)
    room = open_conversation(customer)
    clock.to(minutes(1))
    reply(room, agent, "We have it in blue.")
    clock.to(minutes(2))
    reply(room, agent, "And in red.")

    clock.to(minutes(2.5))
    run_worker()
    assert mailoutbox == []  # the delay is not over

    clock.to(minutes(5))
    run_worker()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [customer.email]
    assert "Stock" in mail.subject
    assert "We have it in blue." in mail.body and "And in red." in mail.body
    assert f"https://testserver/catalogue/?oscar_chat_room={room.pk}" in mail.body
    html = mail.alternatives[0][0]
    assert f'href="https://testserver/catalogue/?oscar_chat_room={room.pk}"' in html
    # Oscar's framework sent it: it is logged as the customer's email.
    from oscar.apps.communication.models import Email

    assert Email.objects.filter(user=customer, subject=mail.subject).exists()

    clock.to(minutes(30))
    run_worker()
    assert len(mailoutbox) == 1  # never twice


def test_nothing_is_emailed_when_the_customer_read_it_meanwhile(customer, agent, clock, run_worker, mailoutbox):
    clock.to(T0)
    room = open_conversation(customer)
    reply(room, agent)
    clock.to(minutes(1))
    mark_read(room, customer)
    clock.to(minutes(10))
    run_worker()
    assert mailoutbox == []


def test_nothing_is_emailed_to_a_customer_with_an_open_stream(customer, agent, clock, run_worker, mailoutbox):
    clock.to(T0)
    room = open_conversation(customer)
    slot = hold_stream_slot(customer)
    reply(room, agent)
    clock.to(minutes(10))
    run_worker()
    assert mailoutbox == []
    delete_stream_slot(slot)
    assert not presence.has_open_stream(customer.pk)


def test_agents_are_emailed_about_a_new_conversation_when_none_is_online(
    customer, agent, agent2, clock, run_worker, mailoutbox, settings
):
    settings.OSCAR_CHAT_NOTIFY_AGENTS_OFFLINE = True
    clock.to(T0)
    room = open_conversation(customer, text="Do you ship to Bali?", subject="Shipping")
    run_worker()
    assert sorted(m.to[0] for m in mailoutbox) == sorted([agent.email, agent2.email])
    assert all("Shipping" in m.subject for m in mailoutbox)
    assert f"https://testserver/admin/oscar_chat/chatroom/{room.pk}/change/" in mailoutbox[0].body
    assert "Do you ship to Bali?" in mailoutbox[0].body


def test_no_agent_email_when_an_agent_is_online(customer, agent, clock, run_worker, mailoutbox, settings):
    settings.OSCAR_CHAT_NOTIFY_AGENTS_OFFLINE = True
    from oscar_chat.presence import mark_agent_present

    mark_agent_present(agent.pk)  # what an agent's open stream does (GET presence: online)
    assert presence.agents_online() == 1
    clock.to(T0)
    open_conversation(customer)
    run_worker()
    assert mailoutbox == []


def test_work_queued_for_a_room_deleted_meanwhile_does_nothing(customer, agent, clock, run_worker, mailoutbox):
    clock.to(T0)
    room = open_conversation(customer)
    reply(room, agent)
    room.delete()
    clock.to(minutes(24 * 60))
    assert run_worker() >= 2  # the digest and the auto-resolve ran (and failed nothing)
    assert mailoutbox == []


def test_agents_notes_are_never_emailed_nor_make_the_customer_wait(customer, agent, clock, run_worker, mailoutbox):
    from oscar_chat.models import ChatMessage
    from oscar_chat.services import post_message

    clock.to(T0)
    room = open_conversation(customer)
    clock.to(minutes(1))
    reply(room, agent, "We have it in blue.")
    post_message(
        room, agent, message="Customer asked twice already: give a discount", message_type=ChatMessage.MessageType.NOTE
    )
    clock.to(minutes(5))
    run_worker()
    assert len(mailoutbox) == 1
    assert "We have it in blue." in mailoutbox[0].body
    assert "discount" not in mailoutbox[0].body and "discount" not in mailoutbox[0].alternatives[0][0]

    # The customer wrote last; a note after it does not start the wait for their answer.
    clock.to(minutes(10))
    post_message(room, customer, message="Blue please, is there a discount?")
    post_message(room, agent, message="Check with the manager", message_type=ChatMessage.MessageType.NOTE)
    clock.to(minutes(60 * 24))
    run_worker()
    room = reload(room)
    assert room.status == ChatRoom.Status.OPEN
    assert not room.messages.filter(is_automatic=True).exists()
    assert len(mailoutbox) == 1


def test_a_reply_then_resolved_is_emailed_with_the_rating_asked(customer, agent, clock, run_worker, mailoutbox):
    from oscar_chat.services import manage_room

    clock.to(T0)
    room = open_conversation(customer)
    clock.to(minutes(1))
    reply(room, agent, "Your refund is on its way.")
    manage_room(reload(room), status=ChatRoom.Status.RESOLVED)  # within the email's delay
    clock.to(minutes(5))
    run_worker()
    [mail] = mailoutbox
    assert "Your refund is on its way." in mail.body
    assert "How did we do? Rate it from 1 to 5" in mail.body
    html = mail.alternatives[0][0]
    assert "How did we do?" in html and f"oscar_chat_room={room.pk}" in html


def test_an_open_conversation_s_email_does_not_ask_for_a_rating(customer, agent, clock, run_worker, mailoutbox):
    clock.to(T0)
    room = open_conversation(customer)
    reply(room, agent)
    clock.to(minutes(5))
    run_worker()
    [mail] = mailoutbox
    assert "Rate it" not in mail.body and "How did we do?" not in mail.alternatives[0][0]
    assert reload(room).status == ChatRoom.Status.OPEN


def test_the_store_s_email_template_from_oscar_s_dashboard_is_used(customer, agent, clock, run_worker, mailoutbox):
    """Oscar's dashboard (Content > Email templates) stores a CommunicationEventType: it wins over
    the chat's template files, as for Oscar's own emails."""
    from oscar.apps.communication.models import CommunicationEventType

    CommunicationEventType.objects.create(
        code="CHAT_REPLY_DIGEST",
        name="Chat reply",
        category=CommunicationEventType.USER_RELATED,
        email_subject_template="Toko Batik: {{ room.subject }}",
        email_body_template="Halo {{ customer_name }}!{% for r in replies %} {{ r.sender }} wrote {{ r.text }}{% endfor %} "
        "{{ conversation_url }}",
        email_body_html_template="<p>Halo {{ customer_name }}</p><a href='{{ conversation_url }}'>Buka</a>",
    )
    clock.to(T0)
    room = open_conversation(customer)
    reply(room, agent, "Ready to ship.")
    clock.to(minutes(5))
    run_worker()
    [mail] = mailoutbox
    assert mail.subject == "Toko Batik: Stock"
    url = f"https://testserver/catalogue/?oscar_chat_room={room.pk}"
    assert mail.body == f"Halo Eka Pratama! Budi Santoso wrote Ready to ship. {url}"
    assert mail.alternatives[0][0] == f"<p>Halo Eka Pratama</p><a href='{url}'>Buka</a>"


def test_a_wait_lengthened_after_the_reply_still_resolves_at_its_new_end(customer, agent, clock, run_worker, settings):
    clock.to(T0)
    room = open_conversation(customer)
    reply(room, agent, "Here is the size chart.")  # its sweep is queued for an hour later
    settings.OSCAR_CHAT_AUTO_RESOLVE_AFTER = 3 * 3600  # the shop gives customers longer

    clock.to(minutes(61))  # the queued sweep runs: not due under the new wait
    run_worker()
    assert reload(room).status == ChatRoom.Status.OPEN

    # No agent writes again anywhere: the conversation is still resolved when its new wait ends.
    clock.to(minutes(179))
    run_worker()
    assert reload(room).status == ChatRoom.Status.OPEN
    clock.to(minutes(182))
    run_worker()
    assert reload(room).status == ChatRoom.Status.RESOLVED
