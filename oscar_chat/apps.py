from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class OscarChatConfig(AppConfig):
    name = "oscar_chat"
    label = "oscar_chat"
    verbose_name = _("Customer chat")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # registers the system checks

        # Before any check could run, importing the chat's admin would fail on Oscar's models:
        # say what is missing instead (oscar_chat.E002 in docs/checks.md).
        missing = checks.missing_oscar_apps()
        if missing:
            raise ImproperlyConfigured(
                "oscar_chat.E002: Oscar's apps are missing from INSTALLED_APPS: %s. Install django-oscar as its "
                "documentation says (oscar.config.Shop and Oscar's apps, or forks of them)." % ", ".join(missing)
            )

        from . import receivers

        # Imported for their side effects: the operations' system checks and signal receivers.
        from .operations import checks as operations_checks  # noqa: F401
        from .operations import receivers as operations_receivers  # noqa: F401

        receivers.connect()
