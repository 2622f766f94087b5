"""Django's signals about users, turned into "the access of these users changed"; and Oscar's
``basket_addition``, turned into the basket of the agents' customer panel (``basket_added``).

Connected in ``OscarChatConfig.ready``. Each receiver names the users whose streams must be
re-checked (``events.publish_access_changed``, sent after commit through the channel layer,
so that it reaches the streams of every server process): a user saved (deactivated, staff
or superuser flag changed) or deleted, their permissions or groups changed, a group's
permissions changed or the group deleted, a logout (the streams opened with that session).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from oscar.core.loading import get_class

from . import events

# Fields whose change never affects access: saving only these re-checks nothing (every login
# saves last_login).
HARMLESS_FIELDS = frozenset({"last_login"})
CHANGES = {"post_add", "post_remove", "post_clear"}


def access_changed(user_ids, *, session_key=None) -> None:
    """Re-check (and end, where access is gone) the open streams of ``user_ids``."""
    from . import roles, user_cache

    roles.forget_agents(user_ids)
    user_cache.forget(user_ids)
    events.publish_access_changed(user_ids, session_key=session_key)


def _users_of_groups(group_ids):
    return list(get_user_model().objects.filter(groups__in=group_ids).values_list("pk", flat=True).distinct())


def _users_with_permissions(permission_ids):
    return list(
        get_user_model().objects.filter(user_permissions__in=permission_ids).values_list("pk", flat=True).distinct()
    )


def user_saved(sender, instance, created, update_fields=None, **kwargs):
    if created or (update_fields and set(update_fields) <= HARMLESS_FIELDS):
        return
    access_changed([instance.pk])


def user_deleted(sender, instance, **kwargs):
    access_changed([instance.pk])


def user_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    # A clear from the permission's side names no users: they are noted before it runs.
    if action == "pre_clear" and reverse:
        instance._oscar_chat_users = _users_with_permissions([instance.pk])
    if action not in CHANGES:
        return
    if not reverse:
        access_changed([instance.pk])
    elif action == "post_clear":
        access_changed(getattr(instance, "_oscar_chat_users", []))
    else:
        access_changed(pk_set or [])


def user_groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "pre_clear" and reverse:
        instance._oscar_chat_users = _users_of_groups([instance.pk])
    if action not in CHANGES:
        return
    if not reverse:
        access_changed([instance.pk])
    elif action == "post_clear":
        access_changed(getattr(instance, "_oscar_chat_users", []))
    else:
        access_changed(pk_set or [])


def group_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "pre_clear" and reverse:
        instance._oscar_chat_users = _users_of_groups(instance.group_set.values_list("pk", flat=True))
    if action not in CHANGES:
        return
    if not reverse:
        access_changed(_users_of_groups([instance.pk]))
    elif action == "post_clear":
        access_changed(getattr(instance, "_oscar_chat_users", []))
    else:
        access_changed(_users_of_groups(pk_set or []))


def group_deleting(sender, instance, **kwargs):
    # Memberships go with the group without an m2m signal: note its users while they are there.
    access_changed(_users_of_groups([instance.pk]))


def permission_deleting(sender, instance, **kwargs):
    users = set(_users_with_permissions([instance.pk]))
    users.update(_users_of_groups(instance.group_set.values_list("pk", flat=True)))
    access_changed(users)


def logged_out(sender, request, user, **kwargs):
    if user is None:
        return
    session = getattr(request, "session", None)
    access_changed([user.pk], session_key=getattr(session, "session_key", None))


def basket_added(sender, product=None, user=None, request=None, **kwargs):
    """Oscar's ``basket_addition``: the agents' customer panel hears the new basket (chat customers only)."""
    if user is None or not user.is_authenticated:
        return
    from . import services

    services.basket_changed(user)


def connect() -> None:
    user_model = get_user_model()
    uid = "oscar_chat.access"
    post_save.connect(user_saved, sender=user_model, dispatch_uid=f"{uid}.user_saved")
    post_delete.connect(user_deleted, sender=user_model, dispatch_uid=f"{uid}.user_deleted")
    # A custom user model without Django's PermissionsMixin has neither relation.
    if hasattr(user_model, "user_permissions"):
        m2m_changed.connect(
            user_permissions_changed,
            sender=user_model.user_permissions.through,
            dispatch_uid=f"{uid}.user_permissions",
        )
    if hasattr(user_model, "groups"):
        m2m_changed.connect(user_groups_changed, sender=user_model.groups.through, dispatch_uid=f"{uid}.user_groups")
    m2m_changed.connect(
        group_permissions_changed, sender=Group.permissions.through, dispatch_uid=f"{uid}.group_permissions"
    )
    pre_delete.connect(group_deleting, sender=Group, dispatch_uid=f"{uid}.group_deleting")
    pre_delete.connect(permission_deleting, sender=Permission, dispatch_uid=f"{uid}.permission_deleting")
    user_logged_out.connect(logged_out, dispatch_uid=f"{uid}.logged_out")
    get_class("basket.signals", "basket_addition").connect(basket_added, dispatch_uid="oscar_chat.basket_added")
