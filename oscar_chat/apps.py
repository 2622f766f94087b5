from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OscarChatConfig(AppConfig):
    name = "oscar_chat"
    label = "oscar_chat"
    verbose_name = _("Customer chat")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import receivers
        from .operations import checks, receivers as operations_receivers  # noqa: F401 - registers checks, receivers

        receivers.connect()
