"""Labels and internal notes in the admin: the list's column and filter, the conversation's controls."""

import pytest

from oscar_chat import services
from oscar_chat.admin.rooms import label_hue

from .conftest import CHANGELIST, room_url

pytestmark = pytest.mark.django_db


def test_the_list_shows_labels_escaped_and_filters_by_a_label_in_use(signed_in, agent, customer, make_room):
    refund = make_room(customer, "Broken mug", "It arrived broken")
    other = make_room(customer, "Where is my parcel?", "Hello")
    services.manage_room(refund, labels=["Refund", "<b>vip</b>"])
    services.manage_room(other, labels=["shipping"])
    client = signed_in(agent)

    html = client.get(CHANGELIST).content.decode()
    # Each label in its own colour, the same in the inbox (label_hue).
    assert f'<span class="oc-badge oc-label" style="--oc-label-hue: {label_hue("refund")}">refund</span>' in html
    assert "&lt;b&gt;vip&lt;/b&gt;" in html and "<b>vip</b>" not in html

    filtered = client.get(CHANGELIST, {"label": "refund"})
    assert [room.subject for room in filtered.context["cl"].result_list] == ["Broken mug"]
    choices = [
        choice["display"]
        for spec in filtered.context["cl"].filter_specs
        for choice in spec.choices(filtered.context["cl"])
    ]
    assert {"refund", "shipping", "<b>vip</b>"} <= set(choices)


def test_the_conversation_offers_a_note_mode_and_the_labels(signed_in, agent, customer, make_room):
    room = make_room(customer, "Broken mug", "It arrived broken")
    services.manage_room(room, labels=["refund"])
    services.post_message(room, agent, message="Refund approved by Sari", message_type="NOTE")
    page = signed_in(agent).get(room_url(room))
    html = page.content.decode()
    assert 'id="oc-note-mode" aria-pressed="false"' in html
    assert 'value="refund"' in html
    history = page.context["chat_config"]["history"]["results"]
    assert [m["message_type"] for m in history][-1] == "NOTE"
