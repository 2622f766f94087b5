"""The sandbox's URLs without the chat API: a store that has not mounted it (yet)."""

from django.apps import apps
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include(apps.get_app_config("oscar").urls[0])),
]
