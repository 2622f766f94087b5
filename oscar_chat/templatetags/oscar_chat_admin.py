"""Template helpers of the agents' dashboard in Django admin."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
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
        models = app.get("models", [])
        for index, model in enumerate(list(models)):
            if model.get("object_name") != "ChatRoom" or model.get("chat_unread") is not None:
                continue
            # The agents' default entry: the inbox, above the rooms' list.
            models.insert(
                index,
                {
                    "name": _("Inbox"),
                    "object_name": "ChatInbox",
                    "admin_url": reverse("admin:oscar_chat_chatroom_inbox"),
                    "add_url": None,
                    "view_only": True,
                    "perms": dict(model.get("perms", {})),
                },
            )
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


@register.filter
def duration(seconds):
    """A report's time as people read it: "45 s", "3 min 20 s", "7 h 36 min", "2 d 4 h"; "–" for none.

    The seconds themselves stay in GET stats and the CSV.
    """
    if seconds is None:
        return "–"
    seconds = round(seconds)
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 60:
        return _("%(seconds)d s") % {"seconds": seconds}
    if seconds < 600 and seconds % 60:
        return _("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": seconds % 60}
    if seconds < 3600:
        return _("%(minutes)d min") % {"minutes": minutes}
    if seconds < 86400:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes % 60}
    return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours % 24}
