"""Mount with ``path("api/chat/", include("oscar_chat.api.urls"))``. Every path works with and without a trailing slash."""

from django.urls import re_path
from drf_spectacular.views import SpectacularAPIView

from . import operations, views

app_name = "oscar_chat_api"

ROOM = r"rooms/(?P<room_id>[0-9]{1,19})"
PRODUCT = r"products/(?P<product_id>[0-9]{1,19})"

urlpatterns = [
    re_path(r"^rooms/?$", views.RoomListView.as_view(), name="rooms"),
    re_path(rf"^{ROOM}/?$", views.RoomDetailView.as_view(), name="room"),
    re_path(rf"^{ROOM}/manage/?$", views.RoomManageView.as_view(), name="room-manage"),
    re_path(rf"^{ROOM}/read/?$", views.RoomReadView.as_view(), name="room-read"),
    re_path(rf"^{ROOM}/typing/?$", views.RoomTypingView.as_view(), name="room-typing"),
    re_path(rf"^{ROOM}/rating/?$", operations.RoomRatingView.as_view(), name="room-rating"),
    re_path(r"^unread/?$", views.UnreadView.as_view(), name="unread"),
    re_path(r"^stats/?$", operations.StatsView.as_view(), name="stats"),
    re_path(r"^presence/?$", views.PresenceView.as_view(), name="presence"),
    # GET sse is served by oscar_chat.asgi (its path is found by this name).
    re_path(r"^sse/?$", views.EventStreamView.as_view(), name="sse"),
    re_path(r"^sse/ticket/?$", views.StreamTicketView.as_view(), name="sse-ticket"),
    re_path(r"^products/search/?$", views.ProductSearchView.as_view(), name="product-search"),
    re_path(rf"^{PRODUCT}/?$", views.ProductDetailView.as_view(), name="product"),
    re_path(rf"^{PRODUCT}/basket/?$", views.ProductBasketView.as_view(), name="product-basket"),
    re_path(rf"^{PRODUCT}/wishlist/?$", views.ProductWishlistView.as_view(), name="product-wishlist"),
    re_path(
        r"^schema/?$",
        SpectacularAPIView.as_view(
            custom_settings={
                "TITLE": "oscar_chat API",
                "VERSION": "1",
                "PREPROCESSING_HOOKS": ["oscar_chat.api.schema.only_chat_endpoints"],
            }
        ),
        name="schema",
    ),
]

# Last: anything else under the API answers a JSON 404.
urlpatterns.append(re_path(r"^.*$", views.NotFoundView.as_view(), name="not-found"))
