"""Quick replies agents insert by typing ``/`` in the conversation composer."""

from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from ..models import CannedResponse


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ["shortcut_column", "title", "text_preview"]
    list_display_links = ["shortcut_column", "title"]
    search_fields = ["shortcut", "title", "text"]
    fields = ["title", "shortcut", "text"]
    ordering = ["shortcut"]

    @admin.display(description=_("shortcut"), ordering="shortcut")
    def shortcut_column(self, canned):
        return f"/{canned.shortcut}"

    @admin.display(description=_("text"))
    def text_preview(self, canned):
        return Truncator(canned.text).chars(80)
