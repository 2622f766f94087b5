"""The agents' dashboard: the rooms changelist and the conversation page (the room's change view)."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import HttpResponseNotAllowed, JsonResponse
from django.middleware.csrf import get_token
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import format_lazy, smart_split, unescape_string_literal
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, override
from django.views.i18n import JavaScriptCatalog

from .. import audience, conf, selectors, services
from ..api.serializers import message_data, room_data, user_summary
from ..ids import INVALID_ID, parse_id
from ..models import ChatMessage, ChatRoom
from ..roles import agents_queryset, display_name, is_agent
from ..templatetags.oscar_chat import _currency_formats
from . import selectors as dashboard
from .filters import AssigneeFilter, LabelFilter, UnreadFilter
from .operations import (
    OperationsAdminMixin,
    erase_customers_action,
    export_customer_action,
)

Status = ChatRoom.Status
Priority = ChatRoom.Priority


def relative_time(moment, now=None):
    now = now or timezone.now()
    if (now - moment).total_seconds() < 60:
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(moment, now, depth=1)}


def label_hue(label: str) -> int:
    """The hue a label is coloured with, the same as the inbox's script gives it (labelHue)."""
    hash_ = 0
    for char in label:
        hash_ = (hash_ * 31 + ord(char)) % 2**32
    return hash_ % 360


def _manage_action(status=None, priority=None, assign_to_me=False, *, name, description, done):
    """An admin action that changes each selected room through ``services.manage_room``.

    Going through the service publishes a ``room`` event per room, so customers and the
    other agents see the change at once.
    """

    def action(modeladmin, request, queryset):
        changed = 0
        for room in queryset:
            before = (room.status, room.priority, room.admin_id)
            room = services.manage_room(
                room,
                status=status,
                priority=priority,
                admin=request.user if assign_to_me else ...,
                by=request.user,
            )
            if (room.status, room.priority, room.admin_id) != before:
                changed += 1
                with override(None):  # stored in English and translated when shown, as admin does
                    fields = [
                        str(ChatRoom._meta.get_field(field).verbose_name)
                        for field, old, new in [
                            ("status", before[0], room.status),
                            ("priority", before[1], room.priority),
                            ("admin", before[2], room.admin_id),
                        ]
                        if old != new
                    ]
                modeladmin.log_change(request, room, [{"changed": {"fields": fields}}])
        modeladmin.message_user(request, done(changed) % {"count": changed}, messages.SUCCESS)

    action.__name__ = name
    return admin.action(description=description, permissions=["change"])(action)


@admin.register(ChatRoom)
class ChatRoomAdmin(OperationsAdminMixin, admin.ModelAdmin):
    list_display = [
        "customer_column",
        "subject_column",
        # Beside the subject, where a narrow screen still shows it.
        "unread_column",
        "status_column",
        "priority_column",
        "assignee_column",
        "labels_column",
        "preview_column",
        "activity_column",
        "rating_column",
    ]
    list_display_links = ["subject_column"]
    list_filter = ["status", "priority", AssigneeFilter, UnreadFilter, LabelFilter]
    list_select_related = ["user", "admin"]
    # Message text is searched as well, through an EXISTS subquery (see get_search_results).
    search_fields = ["subject", "user__first_name", "user__last_name", "user__email", "user__username"]
    search_help_text = gettext_lazy("Subject, customer name, email or username, labels, or words of a message.")
    ordering = ["-last_activity", "-id"]
    list_per_page = 50
    change_list_template = "admin/oscar_chat/chatroom/change_list.html"
    conversation_template = "admin/oscar_chat/chatroom/conversation.html"

    actions = [
        _manage_action(
            assign_to_me=True,
            name="assign_to_me",
            description=gettext_lazy("Assign selected conversations to me"),
            done=lambda n: ngettext(
                "%(count)d conversation assigned to you.", "%(count)d conversations assigned to you.", n
            ),
        ),
        _manage_action(
            status=Status.RESOLVED,
            name="resolve",
            description=gettext_lazy("Mark selected conversations resolved"),
            done=lambda n: ngettext("%(count)d conversation resolved.", "%(count)d conversations resolved.", n),
        ),
        _manage_action(
            status=Status.CLOSED,
            name="close",
            description=gettext_lazy("Close selected conversations"),
            done=lambda n: ngettext("%(count)d conversation closed.", "%(count)d conversations closed.", n),
        ),
        _manage_action(
            status=Status.OPEN,
            name="reopen",
            description=gettext_lazy("Reopen selected conversations"),
            done=lambda n: ngettext("%(count)d conversation reopened.", "%(count)d conversations reopened.", n),
        ),
        *[
            _manage_action(
                priority=value,
                name=f"set_priority_{value.lower()}",
                description=format_lazy(gettext_lazy("Set priority: {priority}"), priority=label),
                done=lambda n: ngettext(
                    "Priority changed on %(count)d conversation.", "Priority changed on %(count)d conversations.", n
                ),
            )
            for value, label in Priority.choices
        ],
        export_customer_action,
        erase_customers_action,
    ]

    # Permissions: Django admin's own. view_chatroom reads, change_chatroom answers and manages.

    def has_add_permission(self, request):
        # Customers open conversations (agents can through the API); there is no empty form to fill.
        return False

    def is_agent_here(self, request, room=None):
        return self.has_change_permission(request, room) and is_agent(request.user)

    # Queries

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "admin")

    def get_search_results(self, request, queryset, search_term):
        """Every word must match the subject, the customer's name, email or username, a label, or a message."""
        if not search_term:
            return queryset, False
        queryset = dashboard.with_labels_text(queryset)
        for word in smart_split(search_term):
            if word and word[0] in "\"'" and word[0] == word[-1]:
                word = unescape_string_literal(word)
            if not word:
                continue
            in_fields = Q()
            for field in self.get_search_fields(request):
                in_fields |= Q(**{f"{field}__icontains": word})
            in_messages = Exists(ChatMessage.objects.filter(room=OuterRef("pk"), message__icontains=word))
            queryset = queryset.filter(in_fields | in_messages | dashboard.in_labels(word))
        return queryset, False

    # Columns. Each cell carries data-oc-* hooks the live list script reads.

    @admin.display(description=gettext_lazy("customer"), ordering="user__first_name")
    def customer_column(self, room):
        # The email is the name's tooltip: nine columns share the width beside admin's sidebars.
        return format_html(
            '<span class="oc-customer{}" data-oc-room="{}" data-oc-unread="{}" title="{}">{}</span>',
            " oc-has-unread" if room.agent_unread_count else "",
            room.pk,
            room.agent_unread_count,
            room.user.email or room.user.get_username(),
            display_name(room.user),
        )

    @admin.display(description=gettext_lazy("subject"), ordering="subject")
    def subject_column(self, room):
        return room.subject

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_column(self, room):
        return format_html(
            '<span class="oc-badge oc-status-{}">{}</span>', room.status.lower(), room.get_status_display()
        )

    @admin.display(description=gettext_lazy("priority"), ordering="priority")
    def priority_column(self, room):
        return format_html(
            '<span class="oc-badge oc-priority-{}">{}</span>', room.priority.lower(), room.get_priority_display()
        )

    @admin.display(description=gettext_lazy("agent"), ordering="admin__first_name")
    def assignee_column(self, room):
        if room.admin is None:
            return format_html('<span class="oc-quiet">{}</span>', _("Unassigned"))
        return display_name(room.admin)

    @admin.display(description=gettext_lazy("labels"))
    def labels_column(self, room):
        return format_html_join(
            " ",
            '<span class="oc-badge oc-label" style="--oc-label-hue: {}">{}</span>',
            ((label_hue(label), label) for label in room.labels),
        )

    @admin.display(description=gettext_lazy("last message"))
    def preview_column(self, room):
        return format_html('<span class="oc-preview">{}</span>', room.last_message)

    @admin.display(description=gettext_lazy("activity"), ordering="last_activity")
    def activity_column(self, room):
        local = timezone.localtime(room.last_activity)
        return format_html(
            '<time class="oc-relative" datetime="{}" title="{}">{}</time>',
            room.last_activity.isoformat(),
            local.strftime("%Y-%m-%d %H:%M"),
            relative_time(room.last_activity),
        )

    @admin.display(description=gettext_lazy("unread"), ordering="agent_unread_count")
    def unread_column(self, room):
        if not room.agent_unread_count:
            return format_html('<span class="oc-quiet">{}</span>', "0")
        return format_html('<span class="oc-unread-count">{}</span>', room.agent_unread_count)

    # Views

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/history.json",
                self.admin_site.admin_view(self.history_json_view),
                name="%s_%s_history_json" % info,
            ),
            path("inbox/", self.admin_site.admin_view(self.inbox_view), name="%s_%s_inbox" % info),
            path(
                "inbox/rooms.json", self.admin_site.admin_view(self.inbox_rooms_view), name="%s_%s_inbox_rooms" % info
            ),
            path("vouchers.json", self.admin_site.admin_view(self.vouchers_view), name="%s_%s_vouchers" % info),
            path(
                "<path:object_id>/workspace/",
                self.admin_site.admin_view(self.workspace_view),
                name="%s_%s_workspace" % info,
            ),
            path(
                "jsi18n/",
                self.admin_site.admin_view(JavaScriptCatalog.as_view(packages=["oscar_chat"])),
                name="%s_%s_jsi18n" % info,
            ),
            *self.operations_urls(),
            *super().get_urls(),
        ]

    def api_root(self):
        """Where the store mounted the chat API, or None when it did not (check oscar_chat.E001)."""
        try:
            return reverse("oscar_chat_api:unread").rsplit("unread", 1)[0]
        except NoReverseMatch:
            return None

    def live_config(self, request):
        """What every dashboard page's script needs: where the API is and who is looking."""
        info = self.opts.app_label, self.opts.model_name
        return {
            "apiRoot": self.api_root(),
            "me": user_summary(request.user),
            # The pages may hold no form: the API's session auth needs the token all the same.
            "csrfToken": get_token(request),
            "isAgent": is_agent(request.user),
            "roomUrl": reverse("admin:%s_%s_change" % info, args=[0]).replace("/0/", "/{id}/"),
            "inboxUrl": reverse("admin:%s_%s_inbox" % info),
            "pollInterval": conf.get("WIDGET_POLL_INTERVAL_MS"),
            "currencyFormats": _currency_formats(),
            # The agent composer's attachments: the widget's limits (oscar_chat.attachments checks them again).
            "maxUploadSize": conf.get("MAX_UPLOAD_SIZE"),
            "imageTypes": list(conf.get("IMAGE_CONTENT_TYPES")),
            "fileTypes": sorted(set(conf.get("IMAGE_CONTENT_TYPES")) | set(conf.get("FILE_CONTENT_TYPES"))),
        }

    def changelist_view(self, request, extra_context=None):
        # Without the API nothing can be live: the pages are shown read-only, with a note why.
        agent = self.is_agent_here(request) and self.api_root() is not None
        unread = selectors.unread_summary(request.user) if agent else dashboard.agents_unread_summary()
        context = {
            "title": _("Customer conversations"),
            "chat_unread": unread,
            "chat_config": {**self.live_config(request), "live": agent, "unreadTotal": unread["total"]},
            "api_missing": self.api_root() is None,
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The conversation: history, composer and controls for agents; read-only otherwise."""
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        room = self._room_for(request, object_id)
        if room is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        context = {
            **self.admin_site.each_context(request),
            **self.conversation_context(request, room),
            "title": room.subject,
            "subtitle": None,
            **(extra_context or {}),
        }
        context["chat_config"] = {**self.live_config(request), **context["room_config"]}
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.conversation_template, context)

    def _room_for(self, request, object_id):
        """The room, or None when it does not exist; PermissionDenied for staff who may not view it."""
        room = self.get_object(request, unquote(object_id))
        if room is not None and not self.has_view_or_change_permission(request, room):
            raise PermissionDenied
        return room

    def conversation_context(self, request, room):
        """What the conversation and its customer panel show, for the conversation page and the
        inbox's fragment alike. Opening it marks the customer's messages read (as an agent)."""
        api_mounted = self.api_root() is not None
        agent = self.is_agent_here(request, room) and api_mounted
        viewer_is_customer = audience.sees_as_customer(request.user, room)
        if agent and not viewer_is_customer and room.agent_unread_count:
            room = services.mark_read(room, request.user)
            room = selectors.get_visible_room(request.user, room.pk)
        history, has_more = selectors.room_history(room, viewer_is_customer=viewer_is_customer)
        info = self.opts.app_label, self.opts.model_name
        room_config = {
            "live": agent,
            "canReply": agent,
            "room": room_data(room, viewer_is_customer=viewer_is_customer),
            "history": {"results": [message_data(m) for m in history], "has_more": has_more},
            "historyUrl": reverse("admin:%s_%s_history_json" % info, args=[room.pk]),
            "statuses": [{"value": v, "label": str(label)} for v, label in Status.choices],
            "priorities": [{"value": v, "label": str(label)} for v, label in Priority.choices],
            "agents": [{"id": pk, "name": name} for pk, name in dashboard.agent_choices()] if agent else [],
            "quickReplies": dashboard.quick_replies(room, request.user) if agent else [],
            "vouchersUrl": reverse("admin:%s_%s_vouchers" % info) if agent else None,
            "customerPage": dashboard.customer_page(room.user_id) if agent else None,
        }
        return {
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "original": room,
            "room": room,
            "customer": room.user,
            "customer_name": display_name(room.user),
            "can_reply": agent,
            "api_missing": not api_mounted,
            "max_message_length": conf.get("MAX_MESSAGE_LENGTH"),
            "has_view_permission": self.has_view_permission(request, room),
            "has_change_permission": self.has_change_permission(request, room),
            "has_delete_permission": self.has_delete_permission(request, room),
            "orders": dashboard.recent_orders(room.user, request.user),
            "basket": dashboard.open_basket(room.user),
            "other_rooms": dashboard.other_rooms(room),
            "labels_in_use": selectors.labels_in_use() if agent else [],
            "customer_pages": conf.get("CUSTOMER_PAGES"),
            "room_config": room_config,
            "jsi18n_url": reverse("admin:%s_%s_jsi18n" % info),
        }

    def workspace_view(self, request, object_id):
        """The inbox's fragment of one conversation: controls, history, composer, customer panel."""
        room = self._room_for(request, object_id)
        if room is None:
            return JsonResponse({"detail": _("This conversation does not exist.")}, status=404)
        context = {**self.conversation_context(request, room), "in_inbox": True}
        return TemplateResponse(request, "admin/oscar_chat/chatroom/includes/workspace_fragment.html", context)

    # The inbox: the list, the open conversation and the customer panel on one page.

    INBOX_VIEWS = ("mine", "unassigned", "all")
    INBOX_LIMIT = 100

    def inbox_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        agent = self.is_agent_here(request) and self.api_root() is not None
        unread = selectors.unread_summary(request.user) if agent else dashboard.agents_unread_summary()
        info = self.opts.app_label, self.opts.model_name
        config = {
            **self.live_config(request),
            "live": agent,
            "unreadTotal": unread["total"],
            # A notification's click opens the conversation here, in the inbox.
            "roomUrl": reverse("admin:%s_%s_inbox" % info) + "?room={id}",
            "roomsUrl": reverse("admin:%s_%s_inbox_rooms" % info),
            "workspaceUrl": reverse("admin:%s_%s_workspace" % info, args=[0]).replace("/0/", "/{id}/"),
            "changelistUrl": reverse("admin:%s_%s_changelist" % info),
            "statuses": [{"value": v, "label": str(label)} for v, label in Status.choices],
            "priorities": [{"value": v, "label": str(label)} for v, label in Priority.choices],
        }
        context = {
            **self.admin_site.each_context(request),
            "title": _("Inbox"),
            "subtitle": None,
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "chat_config": config,
            "api_missing": self.api_root() is None,
            "can_reply": agent,
            "labels_in_use": selectors.labels_in_use(),
            "jsi18n_url": reverse("admin:%s_%s_jsi18n" % info),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/oscar_chat/chatroom/inbox.html", context)

    def inbox_rooms_view(self, request):
        """The inbox's list: ``view`` (mine, unassigned, all), ``status``, ``priority``, ``label``,
        ``unread=yes`` and ``q`` (the changelist's search), newest activity first."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        view = request.GET.get("view") or "all"
        if view not in self.INBOX_VIEWS:
            return JsonResponse({"view": [_("Choose mine, unassigned or all.")]}, status=400)
        statuses = [v for v in request.GET.get("status", "").split(",") if v]
        priorities = [v for v in request.GET.get("priority", "").split(",") if v]
        for field, values, choices in (("status", statuses, Status.values), ("priority", priorities, Priority.values)):
            if any(value not in choices for value in values):
                return JsonResponse({field: [_("Unknown value.")]}, status=400)
        rooms = selectors.filter_rooms(
            self.get_queryset(request),
            request.user,
            statuses=statuses,
            priorities=priorities,
            label=request.GET.get("label") or None,
            unread=False,
            assigned={"mine": "me", "unassigned": "none", "all": None}[view],
        )
        if request.GET.get("unread") == "yes":
            rooms = rooms.filter(agent_unread_count__gt=0)
        rooms, _distinct = self.get_search_results(request, rooms, request.GET.get("q", "").strip())
        page = list(rooms[: self.INBOX_LIMIT + 1])
        agent_ids = set(agents_queryset().values_list("pk", flat=True))
        return JsonResponse(
            {
                "results": [
                    room_data(room, viewer_is_customer=False, agent_ids=agent_ids) for room in page[: self.INBOX_LIMIT]
                ],
                "has_more": len(page) > self.INBOX_LIMIT,
            }
        )

    def vouchers_view(self, request):
        """Oscar's active vouchers whose code or name holds ``q``, for an agent to share as a card."""
        if not self.is_agent_here(request):
            raise PermissionDenied
        return JsonResponse({"results": dashboard.active_vouchers(request.GET.get("q", ""))})

    def history_json_view(self, request, object_id):
        """Older pages of the history for staff who may only view (they have no API access to it)."""
        room = self.get_object(request, unquote(object_id))
        if room is None or not self.has_view_or_change_permission(request, room):
            raise PermissionDenied
        before = request.GET.get("before")
        before_id = parse_id(before) if before else None
        if before and before_id is None:
            return JsonResponse({"before": [str(INVALID_ID)]}, status=400)
        messages_, has_more = selectors.room_history(
            room, viewer_is_customer=room.user_id == request.user.pk, before=before_id
        )
        return JsonResponse({"results": [message_data(m) for m in messages_], "has_more": has_more})
