"""Mount with ``path("api/chat/", include("oscar_chat.api.urls"))``. Every path works with and without a trailing slash."""

from django.urls import re_path
from django.views.decorators.cache import never_cache
from drf_spectacular.views import SpectacularAPIView

from .. import jsi18n
from . import operations, views

app_name = "oscar_chat_api"

# Any path segment: the views read it with oscar_chat.ids (a 400 when it is not an id).
ROOM = r"rooms/(?P<room_id>[^/]+)"
PRODUCT = r"products/(?P<product_id>[^/]+)"

urlpatterns = [
    re_path(r"^rooms/?$", views.RoomListView.as_view(), name="rooms"),
    re_path(rf"^{ROOM}/?$", views.RoomDetailView.as_view(), name="room"),
    re_path(rf"^{ROOM}/manage/?$", views.RoomManageView.as_view(), name="room-manage"),
    re_path(rf"^{ROOM}/read/?$", views.RoomReadView.as_view(), name="room-read"),
    re_path(rf"^{ROOM}/typing/?$", views.RoomTypingView.as_view(), name="room-typing"),
    re_path(rf"^{ROOM}/rating/?$", operations.RoomRatingView.as_view(), name="room-rating"),
    re_path(r"^attachments/(?P<message_id>[^/]+)/?$", views.AttachmentView.as_view(), name="attachment"),
    re_path(r"^unread/?$", views.UnreadView.as_view(), name="unread"),
    re_path(r"^stats/?$", operations.StatsView.as_view(), name="stats"),
    re_path(r"^presence/?$", views.PresenceView.as_view(), name="presence"),
    re_path(r"^activity/?$", views.ActivityView.as_view(), name="activity"),
    # GET sse is served by oscar_chat.asgi (its path is found by this name).
    re_path(r"^sse/?$", views.EventStreamView.as_view(), name="sse"),
    re_path(r"^sse/ticket/?$", views.StreamTicketView.as_view(), name="sse-ticket"),
    re_path(r"^products/search/?$", views.ProductSearchView.as_view(), name="product-search"),
    re_path(rf"^{PRODUCT}/?$", views.ProductDetailView.as_view(), name="product"),
    re_path(rf"^{PRODUCT}/basket/?$", views.ProductBasketView.as_view(), name="product-basket"),
    re_path(rf"^{PRODUCT}/wishlist/?$", views.ProductWishlistView.as_view(), name="product-wishlist"),
    re_path(r"^vouchers/(?P<code>[^/]{1,128})/basket/?$", views.VoucherBasketView.as_view(), name="voucher-basket"),
    # The widget's words in one language (oscar_chat.jsi18n): JSON, private, kept an hour.
    re_path(r"^i18n/?$", jsi18n.WidgetCatalogView.as_view(), name="widget-catalog"),
    re_path(
        r"^schema/?$",
        never_cache(
            SpectacularAPIView.as_view(
                custom_settings={
                    "TITLE": "oscar_chat API",
                    "VERSION": "1",
                    "PREPROCESSING_HOOKS": ["oscar_chat.api.schema.only_chat_endpoints"],
                    "POSTPROCESSING_HOOKS": [
                        "drf_spectacular.hooks.postprocess_schema_enums",
                        "oscar_chat.api.schema.ids_are_integers",
                    ],
                }
            )
        ),
        name="schema",
    ),
]

# Last: anything else under the API answers a JSON 404.
urlpatterns.append(re_path(r"^.*$", views.NotFoundView.as_view(), name="not-found"))
