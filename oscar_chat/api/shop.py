"""Oscar's strategy and basket for an API request, whichever way it was authenticated.

Oscar's BasketMiddleware sets ``request.strategy`` and ``request.basket`` for the user of
the Django session. A JWT request is authenticated later, by DRF, so the middleware saw an
anonymous visitor: its strategy and basket are built here for the token's user instead.
"""

from oscar.core.loading import get_class
from rest_framework.authentication import SessionAuthentication

from ..products.services import open_basket_for

Selector = get_class("partner.strategy", "Selector")


def _by_session(request):
    return isinstance(getattr(request, "successful_authenticator", None), SessionAuthentication)


def request_strategy(request):
    """Oscar's purchase strategy for the user who made ``request`` (a DRF request)."""
    django_request = request._request
    strategy = getattr(django_request, "_oscar_chat_strategy", None)
    if strategy is None:
        strategy = getattr(django_request, "strategy", None) if _by_session(request) else None
        if strategy is None:
            # DRF has put the authenticated user on the Django request too: the strategy sees them.
            strategy = Selector().strategy(request=django_request, user=request.user)
        django_request._oscar_chat_strategy = strategy
    return strategy


def request_basket(request):
    """The open Oscar basket the storefront shows the user who made ``request``."""
    django_request = request._request
    if _by_session(request) and hasattr(django_request, "basket"):
        return django_request.basket
    return open_basket_for(request.user, request_strategy(request))
