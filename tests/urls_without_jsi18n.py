"""A store's URLconf with the chat API but without Django's JavaScript catalog."""

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/chat/", include("oscar_chat.api.urls")),
    path("", include(apps.get_app_config("oscar").urls[0])),
]
