"""List filters of the rooms changelist that Django cannot derive from a field."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils.translation import gettext_lazy as _

from .. import selectors
from ..ids import parse_id
from .selectors import agent_choices


class AssigneeFilter(admin.SimpleListFilter):
    """Assigned to me, unassigned, or to one agent."""

    title = _("assigned agent")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        choices = [("me", _("Me")), ("none", _("Unassigned"))]
        return choices + [(str(pk), name) for pk, name in agent_choices() if pk != request.user.pk]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        assigned = value if value in ("me", "none") else parse_id(value)
        if assigned is None:
            raise IncorrectLookupParameters(value)
        return selectors.filter_rooms(queryset, request.user, assigned=assigned)


class UnreadFilter(admin.SimpleListFilter):
    """Rooms with customer messages no agent has read yet."""

    title = _("unread")
    parameter_name = "unread"

    def lookups(self, request, model_admin):
        return [("yes", _("Unread")), ("no", _("Read"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "yes":
            return queryset.filter(agent_unread_count__gt=0)
        if value == "no":
            return queryset.filter(agent_unread_count=0)
        if value is not None:
            raise IncorrectLookupParameters(value)
        return queryset
