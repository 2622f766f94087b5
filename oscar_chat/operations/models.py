"""Models of the chat's operations: opening hours, holidays, automatic replies, the reports page."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..models import ChatRoom


class OpeningHours(models.Model):
    """One period of a weekday when agents answer (several per day allowed; none at all: always open)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))

    class Meta:
        app_label = "oscar_chat"
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens_at"]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"

    def clean(self):
        if self.opens_at is not None and self.closes_at is not None and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("Closing time must be after opening time.")})


class Holiday(models.Model):
    """A day the shop does not answer, whatever its weekday."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        app_label = "oscar_chat"
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


class AutoReply(models.Model):
    """A store's own wording of an automatic message, per language (else the built-in translation)."""

    class Kind(models.TextChoices):
        AWAY = "AWAY", _("Away reply (outside opening hours)")
        AUTO_RESOLVED = "AUTO_RESOLVED", _("Auto-resolve notice")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # A code of LANGUAGES (checked by the admin form: choices here would tie migrations to settings).
    language = models.CharField(_("language"), max_length=15)
    text = models.TextField(
        _("text"), help_text=_("Placeholders: {next_opening} (away reply), {name} (customer's name).")
    )

    class Meta:
        app_label = "oscar_chat"
        verbose_name = _("automatic reply")
        verbose_name_plural = _("automatic replies")
        constraints = [models.UniqueConstraint(fields=["kind", "language"], name="autoreply_kind_language")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.language})"


class ChatReport(ChatRoom):
    """The "Chat reports" admin page (a proxy: reports read rooms and messages)."""

    class Meta:
        proxy = True
        app_label = "oscar_chat"
        verbose_name = _("chat report")
        verbose_name_plural = _("chat reports")
        default_permissions = ()
