"""A store's URLconf that forgot the chat API: admin and Oscar only (for the system checks and the admin)."""

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include(apps.get_app_config("oscar").urls[0])),
]
