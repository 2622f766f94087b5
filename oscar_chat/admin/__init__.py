from django.contrib import admin

from ..models import CannedResponse, ChatRoom


@admin.register(ChatRoom)
class ChatRoomAdmin(admin.ModelAdmin):
    list_display = ["subject", "user", "status", "priority", "admin", "last_activity", "agent_unread_count"]
    list_filter = ["status", "priority"]
    search_fields = ["subject", "user__email", "user__username"]
    list_select_related = ["user", "admin"]


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ["shortcut", "title"]
    search_fields = ["shortcut", "title", "text"]
