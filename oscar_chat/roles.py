"""Who is an agent: staff with the chat permission (a superuser has it)."""

from django.contrib.auth import get_user_model
from django.db.models import Q

AGENT_PERMISSION = "oscar_chat.change_chatroom"


def is_agent(user):
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(AGENT_PERMISSION)
    )


def agents_queryset():
    """Active staff users holding the chat permission, directly, through a group, or as superuser."""
    app_label, codename = AGENT_PERMISSION.split(".")
    perm = Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label)
    group_perm = Q(
        groups__permissions__codename=codename,
        groups__permissions__content_type__app_label=app_label,
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(Q(is_superuser=True) | perm | group_perm)
        .distinct()
    )


def agent_ids_among(users):
    """The ids of the agents among ``users``, in at most one query (for lists of rooms and messages).

    Only active staff can be agents and an active superuser always is, so the query runs only
    for the other staff members, whatever the number of users.
    """
    staff = {user.pk: user for user in users if user is not None and user.is_active and user.is_staff}
    agents = {pk for pk, user in staff.items() if user.is_superuser}
    others = staff.keys() - agents
    if others:
        agents.update(agents_queryset().filter(pk__in=others).values_list("pk", flat=True))
    return agents


def display_name(user):
    """Full name, else email, else username."""
    full = user.get_full_name().strip() if hasattr(user, "get_full_name") else ""
    return full or getattr(user, "email", "") or user.get_username()
