"""Template helpers of the agents' dashboard in Django admin."""

from django import template
from django.utils.html import format_html
from django.utils.translation import ngettext

from ..admin.selectors import agents_unread_summary

register = template.Library()


@register.simple_tag
def chat_unread_in_app_list(app_list):
    """Show the number of unread conversations beside the chat rooms entry of admin's app list.

    Only this app's entry changes; the list holds it only for staff who may see chat rooms.
    """
    for app in app_list or []:
        if app.get("app_label") != "oscar_chat":
            continue
        for model in app.get("models", []):
            if model.get("object_name") != "ChatRoom" or model.get("chat_unread") is not None:
                continue
            rooms = agents_unread_summary()["rooms"]
            model["chat_unread"] = rooms
            if rooms:
                label = ngettext("%(count)d unread conversation", "%(count)d unread conversations", rooms) % {
                    "count": rooms
                }
                model["name"] = format_html(
                    '{} <span class="oc-app-unread" title="{}" aria-label="{}">{}</span>',
                    model["name"],
                    label,
                    label,
                    rooms,
                )
    return ""
