"""Admin of the chat's operations: rating column, data rights, opening hours, automatic replies, reports."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..operations import reports
from ..operations import services as operations
from ..operations.hours import store_timezone
from ..operations.models import AutoReply, ChatReport, Holiday, OpeningHours
from ..roles import display_name, is_agent


def _customers(queryset):
    return get_user_model().objects.filter(pk__in=queryset.values("user_id")).order_by("pk")


@admin.action(description=gettext_lazy("Export the customer's conversations (zip)"), permissions=["change"])
def export_customer_action(modeladmin, request, queryset):
    customers = list(_customers(queryset))
    if len(customers) != 1:
        modeladmin.message_user(request, _("Select the conversations of one customer to export."), messages.WARNING)
        return None
    return _export_response(customers[0])


@admin.action(description=gettext_lazy("Erase the customers' chat data"), permissions=["delete"])
def erase_customers_action(modeladmin, request, queryset):
    customers = list(_customers(queryset))
    for customer in customers:
        operations.erase_customer(customer)
    modeladmin.message_user(
        request,
        ngettext("Chat data of %(count)d customer erased.", "Chat data of %(count)d customers erased.", len(customers))
        % {"count": len(customers)},
        messages.SUCCESS,
    )


def _export_response(customer):
    response = HttpResponse(operations.export_customer(customer), content_type="application/zip")
    stamp = timezone.localdate(timezone=store_timezone()).isoformat()
    response["Content-Disposition"] = f'attachment; filename="chat-customer-{customer.pk}-{stamp}.zip"'
    return response


class OperationsAdminMixin:
    """Added to ChatRoomAdmin: rating column, per-customer export and erasure views."""

    @admin.display(description=gettext_lazy("rating"), ordering="rating_score")
    def rating_column(self, room):
        if room.rating_score is None:
            return format_html('<span class="oc-quiet">{}</span>', "–")
        return format_html(
            '<span class="oc-rating" title="{}">{}</span>',
            room.rating_comment,
            "★" * room.rating_score + "☆" * (5 - room.rating_score),
        )

    def operations_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "customer/<int:user_id>/export/",
                self.admin_site.admin_view(self.export_customer_view),
                name="{}_{}_export_customer".format(*info),
            ),
            path(
                "customer/<int:user_id>/erase/",
                self.admin_site.admin_view(self.erase_customer_view),
                name="{}_{}_erase_customer".format(*info),
            ),
        ]

    def export_customer_view(self, request, user_id):
        if not (is_agent(request.user) and self.has_change_permission(request)):
            raise PermissionDenied
        return _export_response(get_object_or_404(get_user_model(), pk=user_id))

    def erase_customer_view(self, request, user_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (is_agent(request.user) and self.has_delete_permission(request)):
            raise PermissionDenied
        customer = get_object_or_404(get_user_model(), pk=user_id)
        count = operations.erase_customer(customer)
        self.message_user(
            request,
            ngettext("%(count)d conversation of %(name)s erased.", "%(count)d conversations of %(name)s erased.", count)
            % {"count": count, "name": display_name(customer)},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:oscar_chat_chatroom_changelist"))


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ["weekday", "opens_at", "closes_at"]
    list_editable = ["opens_at", "closes_at"]
    list_display_links = ["weekday"]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name"]
    date_hierarchy = "date"


class AutoReplyForm(forms.ModelForm):
    language = forms.ChoiceField(label=gettext_lazy("language"), choices=lambda: settings.LANGUAGES)

    class Meta:
        model = AutoReply
        fields = ["kind", "language", "text"]


@admin.register(AutoReply)
class AutoReplyAdmin(admin.ModelAdmin):
    form = AutoReplyForm
    list_display = ["kind", "language", "text"]
    list_filter = ["kind", "language"]


PRESETS = [7, 30, 90]


@admin.register(ChatReport)
class ChatReportAdmin(admin.ModelAdmin):
    """ "Chat reports": figures for a period, charts drawn as SVG on the server, CSV export."""

    def has_view_permission(self, request, obj=None):
        return is_agent(request.user)

    def has_module_permission(self, request):
        return is_agent(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [path("", self.admin_site.admin_view(self.changelist_view), name="{}_{}_changelist".format(*info))]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        period, error = self._period(request)
        stats = reports.chat_stats(period)
        if request.GET.get("format") == "csv":
            response = HttpResponse(reports.by_day_csv(stats), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="chat-{period.first}-{period.last}.csv"'
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": _("Chat reports"),
            "opts": self.opts,
            "stats": stats,
            "period": period,
            "error": error,
            "presets": [(days, reports.Period.last_days(days)) for days in PRESETS],
            "conversations_chart": reports.bar_chart(stats["by_day"], "conversations"),
            "messages_chart": reports.bar_chart(stats["by_day"], "messages"),
            "time_zone": str(store_timezone()),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/oscar_chat/chatreport/report.html", context)

    def _period(self, request):
        default = reports.Period.last_days(30)
        first, last = parse_date_or_none(request.GET.get("from")), parse_date_or_none(request.GET.get("to"))
        if not request.GET.get("from") and not request.GET.get("to"):
            return default, None
        if first is None or last is None or first > last or (last - first).days >= reports.MAX_DAYS:
            return default, _("Choose a start and an end date, at most a year apart.")
        return reports.Period(first, last), None


def parse_date_or_none(value):
    try:
        return parse_date(value or "")
    except ValueError:
        return None
