"""HTTP API of the chat (contract: API.md). Thin: parse input, call services/selectors, render."""

import logging

from django.contrib.auth import get_user_model
from django.http import FileResponse, Http404
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from oscar.core.loading import feature_hidden
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import Token

from .. import attachments, audience, conf, selectors, services
from ..access import token_expiry
from ..ids import require_id
from ..models import ChatMessage
from ..orders import get_customer_order
from ..products import (
    basket_summary,
    build_cards,
    get_public_product,
    get_shareable_product,
    live_cards,
    search_products,
)
from ..products import services as product_services
from ..roles import agent_ids_among, is_agent
from ..vouchers import apply_voucher, find_voucher, get_voucher
from . import serializers as s
from .auth import ChatAPIView, NoStoreMixin
from .pagination import RoomCursorPagination
from .schema import extend_schema
from .shop import request_basket, request_strategy

logger = logging.getLogger(__name__)


def _room_or_404(request, room_id):
    room = selectors.get_visible_room(request.user, require_id(room_id, "room_id"))
    if room is None:
        raise Http404(_("No such conversation."))
    return room


def _require_agent(request):
    if not is_agent(request.user):
        raise exceptions.PermissionDenied(_("Only agents may do this."))


def _require_field(data, field):
    if field not in data:
        raise exceptions.ValidationError({field: [_("This field is required.")]})


def _validated(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _viewer_is_customer(request, room):
    return audience.sees_as_customer(request.user, room)


def _room_data(request, room, agent_ids=None):
    return s.room_data(room, viewer_is_customer=_viewer_is_customer(request, room), agent_ids=agent_ids)


def _live_cards(request, messages):
    """Cards of the products in ``messages``, live and priced for the requester, in one batch."""
    product_ids = [m.product_id for m in messages if m.message_type == ChatMessage.MessageType.PRODUCT]
    if not product_ids:
        return {}
    return live_cards(product_ids, request_strategy(request))


def _room_response(request, room, status_code=200):
    return Response(_room_data(request, room), status=status_code)


class RoomListView(ChatAPIView):
    pagination_class = RoomCursorPagination

    @extend_schema(
        parameters=[s.RoomListQuerySerializer],
        responses=s.RoomSerializer(many=True),
        summary="Rooms visible to the requester, newest activity first",
    )
    def get(self, request):
        query = _validated(s.RoomListQuerySerializer, request.query_params)
        if "assigned" in query and not is_agent(request.user):
            raise exceptions.ValidationError({"assigned": [_("Only agents may filter by assignee.")]})
        if "label" in query and not is_agent(request.user):
            raise exceptions.ValidationError({"label": [_("Only agents may filter by label.")]})
        rooms = selectors.filter_rooms(
            selectors.rooms_visible_to(request.user),
            request.user,
            statuses=query.get("status"),
            priorities=query.get("priority"),
            q=query.get("q") or None,
            unread=query.get("unread", False),
            assigned=query.get("assigned"),
            label=query.get("label"),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rooms, request, view=self)
        agent_ids = agent_ids_among([room.user for room in page] + [room.admin for room in page])
        return paginator.get_paginated_response([_room_data(request, room, agent_ids) for room in page])

    @extend_schema(request=s.RoomCreateSerializer, responses={201: s.RoomSerializer}, summary="Open a room")
    def post(self, request):
        data = _validated(s.RoomCreateSerializer, request.data)
        agent = is_agent(request.user)
        if not agent:
            refused = {
                field: [_("Only agents may set this field.")] for field in ("priority", "user_id") if field in data
            }
            if refused:
                raise exceptions.ValidationError(refused)
        customer = request.user
        if "user_id" in data:
            customer = get_user_model().objects.filter(pk=data["user_id"], is_active=True).first()
            if customer is None:
                raise exceptions.ValidationError({"user_id": [_("No active user with this id.")]})
        product = get_shareable_product(data["product_id"]) if "product_id" in data else None
        room = services.open_room(
            customer=customer,
            opened_by=request.user,
            subject=data.get("subject", ""),
            message=data.get("message", ""),
            product=product,
            priority=data.get("priority"),
        )
        room = selectors.get_visible_room(request.user, room.pk)
        return _room_response(request, room, status.HTTP_201_CREATED)


class RoomDetailView(ChatAPIView):
    @extend_schema(
        parameters=[s.HistoryQuerySerializer],
        responses=inline_serializer(
            "RoomHistory",
            {
                "room": s.RoomSerializer(),
                "results": s.MessageSerializer(many=True),
                "has_more": serializers.BooleanField(),
                "next": serializers.CharField(allow_null=True),
            },
        ),
        summary="A room and a page of its history, oldest first",
    )
    def get(self, request, room_id):
        room = _room_or_404(request, room_id)
        query = _validated(s.HistoryQuerySerializer, request.query_params)
        messages, has_more = selectors.room_history(
            room,
            viewer_is_customer=_viewer_is_customer(request, room),
            before=query.get("before"),
            after=query.get("after"),
        )
        next_url = None
        if has_more and messages:
            cursor = {"after": messages[-1].pk} if "after" in query else {"before": messages[0].pk}
            next_url = request.build_absolute_uri(request.path) + "?" + urlencode(cursor)
        agent_ids = agent_ids_among([room.user, room.admin] + [m.sender for m in messages])
        context = {"agent_ids": agent_ids, "live_cards": _live_cards(request, messages)}
        return Response(
            {
                "room": _room_data(request, room, agent_ids),
                "results": [s.message_data(m, context) for m in messages],
                "has_more": has_more,
                "next": next_url,
            }
        )

    @extend_schema(
        operation_id="rooms_messages_create",
        request=s.MessageCreateSerializer,
        responses={201: s.MessageSerializer, 200: s.MessageSerializer},
        summary="Send a message (idempotent by client_id)",
    )
    def post(self, request, room_id):
        room = _room_or_404(request, room_id)
        data = _validated(s.MessageCreateSerializer, request.data)
        # A product_id alone shares the product: TEXT by default must not drop it silently.
        message_type = data.get("message_type") or ("PRODUCT" if "product_id" in data else "TEXT")
        if "product_id" in data and message_type != "PRODUCT":
            raise exceptions.ValidationError({"product_id": [_("Only PRODUCT messages take a product.")]})
        product = None
        if message_type == "PRODUCT":
            if "product_id" not in data:
                raise exceptions.ValidationError({"product_id": [_("This field is required.")]})
            product = get_shareable_product(data["product_id"])
        order = voucher = None
        if message_type in ("ORDER", "VOUCHER"):
            _require_field(data, "order_number" if message_type == "ORDER" else "voucher_code")
        if message_type == "ORDER":
            order = get_customer_order(room.user, data["order_number"])
        elif message_type == "VOUCHER":
            voucher = get_voucher(data["voucher_code"])
        message, created = services.post_message(
            room,
            request.user,
            message=data.get("message", ""),
            message_type=message_type,
            product=product,
            client_id=data.get("client_id"),
            file=data.get("file"),
            order=order,
            voucher=voucher,
        )
        return Response(
            s.message_data(message, {"live_cards": _live_cards(request, [message])}),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class RoomManageView(ChatAPIView):
    @extend_schema(
        request=s.ManageSerializer, responses=s.RoomSerializer, summary="Status, priority, assignee (agents)"
    )
    def patch(self, request, room_id):
        room = _room_or_404(request, room_id)
        _require_agent(request)
        data = _validated(s.ManageSerializer, request.data)
        admin = ...
        if "admin_id" in data:
            admin = None
            if data["admin_id"] is not None:
                admin = get_user_model().objects.filter(pk=data["admin_id"]).first()
                if admin is None or not is_agent(admin):
                    raise exceptions.ValidationError({"admin_id": [_("This user is not an agent.")]})
        room = services.manage_room(
            room,
            status=data.get("status"),
            priority=data.get("priority"),
            admin=admin,
            labels=data.get("labels"),
            by=request.user,
        )
        return _room_response(request, selectors.get_visible_room(request.user, room.pk))


class RoomReadView(ChatAPIView):
    @extend_schema(
        request=None,
        responses=inline_serializer(
            "ReadResult", {"room": serializers.IntegerField(), "unread_count": serializers.IntegerField()}
        ),
        summary="Mark every message from the other side read",
    )
    def post(self, request, room_id):
        room = _room_or_404(request, room_id)
        request.data  # noqa: B018 - a malformed body is a 400 here too, before anything changes
        room = services.mark_read(room, request.user)
        return Response({"room": room.pk, "unread_count": 0})


class RoomTypingView(ChatAPIView):
    @extend_schema(request=s.TypingSerializer, responses={204: None}, summary="Report typing")
    def post(self, request, room_id):
        room = _room_or_404(request, room_id)
        data = _validated(s.TypingSerializer, request.data)
        services.set_typing(room, request.user, data["is_typing"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class AttachmentView(ChatAPIView):
    """The file of an IMAGE or FILE message, for the room's customer and the agents (errors: JSON,
    whatever an ``<img>`` asks for)."""

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        summary="An attachment's file (verified raster images inline, everything else as a download)",
    )
    def get(self, request, message_id):
        message = selectors.get_visible_attachment(request.user, require_id(message_id, "message_id"))
        if message is None:
            raise Http404(_("No such attachment."))
        try:
            handle = message.attachment.open("rb")
        except OSError as exc:
            raise Http404(_("This file is no longer available.")) from exc
        content_type = message.attachment_content_type or "application/octet-stream"
        response = FileResponse(
            handle,
            as_attachment=not attachments.is_inline(content_type),
            filename=attachments.download_name(message.attachment_name, content_type),
            content_type=f"{content_type}; charset=utf-8" if content_type.startswith("text/") else content_type,
        )
        # The browser takes the type as given, and a file opened on its own runs nothing.
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox"
        return response


class UnreadView(ChatAPIView):
    @extend_schema(
        responses=inline_serializer(
            "Unread", {"total": serializers.IntegerField(), "rooms": serializers.IntegerField()}
        ),
        summary="Unread messages and rooms for the requester",
    )
    def get(self, request):
        return Response(selectors.unread_summary(request.user))


class PresenceView(ChatAPIView):
    @extend_schema(
        responses=inline_serializer(
            "Presence",
            {
                "online": serializers.BooleanField(),
                "agents_online": serializers.IntegerField(),
                "expected_reply": serializers.CharField(allow_null=True),
                # Opening hours (docs/operations.md): open now, next opening, their time zone.
                "is_open": serializers.BooleanField(),
                "next_opening": serializers.DateTimeField(allow_null=True),
                "time_zone": serializers.CharField(),
            },
        ),
        summary="Whether the shop's agents are online and the shop open, and when it answers when not",
    )
    def get(self, request):
        return Response(selectors.presence())


class ActivityView(ChatAPIView):
    @extend_schema(
        request=s.PageReportSerializer,
        responses={204: None},
        summary="Report the store page a customer has open, for the agents' customer panel (customers)",
    )
    def post(self, request):
        if not conf.get("CUSTOMER_PAGES"):
            raise Http404(_("This store does not share customers' pages with its agents."))
        if is_agent(request.user):
            raise exceptions.PermissionDenied(_("Only customers report the page they have open."))
        data = _validated(s.PageReportSerializer, request.data)
        services.report_page(request.user, data["url"], data["title"], host=request.get_host())
        return Response(status=status.HTTP_204_NO_CONTENT)


class StreamUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = gettext_lazy("Live updates are unavailable right now. Try again shortly.")
    default_code = "unavailable"


class StreamTicketView(ChatAPIView):
    @extend_schema(
        request=None,
        responses=inline_serializer(
            "StreamTicket", {"ticket": serializers.CharField(), "expires_in": serializers.IntegerField()}
        ),
        summary="A single-use ticket opening the event stream (GET sse?ticket=...) for a browser EventSource",
    )
    def post(self, request):
        try:
            ticket, lifetime = services.issue_stream_ticket(request.user, **_access_of(request))
        except Exception as exc:  # noqa: BLE001 - the ticket store (cache) is down
            logger.exception("oscar_chat: could not issue a stream ticket")
            raise StreamUnavailable() from exc
        return Response({"ticket": ticket, "expires_in": lifetime})


def _access_of(request):
    """What the access of this request hangs on: its token's expiry, or its session."""
    if isinstance(request.auth, Token):
        return {"expires_at": token_expiry(request.auth)}
    session = getattr(request._request, "session", None)
    return {"session_key": getattr(session, "session_key", None)}


class EventStreamView(ChatAPIView):
    """Documents ``GET sse``. The stream is served by ``oscar_chat.asgi.wrap`` in front of Django;
    this view answers only where that is missing from the store's ASGI file."""

    @extend_schema(
        parameters=[
            OpenApiParameter("room", int, description="Only this room's events (404 if not visible)."),
            OpenApiParameter(
                "last_event_id", int, description="Resume after this event id (or the Last-Event-ID header)."
            ),
            OpenApiParameter("ticket", str, description="A ticket from POST sse/ticket, instead of a header."),
        ],
        responses={(200, "text/event-stream"): OpenApiTypes.STR},
        summary="The event stream: message, room, typing, read (and reset) events",
    )
    def get(self, request):
        logger.error("oscar_chat: GET sse reached Django; serve the ASGI app through oscar_chat.asgi.wrap")
        raise StreamUnavailable(_("The event stream is not served by this server's ASGI application."))


def _public_product_or_404(product_id):
    product = get_public_product(require_id(product_id, "product_id"))
    if product is None:
        raise Http404(_("No such product."))
    return product


class ProductSearchView(ChatAPIView):
    @extend_schema(
        parameters=[s.ProductSearchQuerySerializer],
        responses=s.ProductSearchResultSerializer,
        summary="Search public products by title words, brand, SKU or UPC (empty q: newest)",
    )
    def get(self, request):
        query = _validated(s.ProductSearchQuerySerializer, request.query_params)
        products = search_products(query.get("q", ""), limit=query.get("limit") or conf.get("PRODUCT_SEARCH_LIMIT"))
        return Response({"results": build_cards(products, request_strategy(request))})


class ProductDetailView(ChatAPIView):
    @extend_schema(responses=s.ProductCardSerializer, summary="A public product's card")
    def get(self, request, product_id):
        product = _public_product_or_404(product_id)
        return Response(build_cards([product], request_strategy(request))[0])


class ProductBasketView(ChatAPIView):
    @extend_schema(
        request=s.BasketAddSerializer,
        responses=s.BasketResultSerializer,
        summary="Add a product to the requester's Oscar basket",
    )
    def post(self, request, product_id):
        product = _public_product_or_404(product_id)
        data = _validated(s.BasketAddSerializer, request.data)
        basket = product_services.add_to_basket(
            request_basket(request),
            product,
            quantity=data["quantity"],
            user=request.user,
            request=request._request,
            sender=self,
        )
        return Response({"basket": basket_summary(basket)})


class VoucherBasketView(ChatAPIView):
    @extend_schema(
        request=None,
        responses=s.BasketResultSerializer,
        summary="Apply an Oscar voucher to the requester's basket (Oscar's voucher rules)",
    )
    def post(self, request, code):
        request.data  # noqa: B018 - a malformed body is a 400 here too, before anything changes
        voucher = find_voucher(code)
        if voucher is None:
            raise Http404(_("No voucher with this code."))
        basket = apply_voucher(
            request_basket(request), voucher, user=request.user, request=request._request, sender=self
        )
        return Response({"basket": basket_summary(basket)})


class ProductWishlistView(ChatAPIView):
    @extend_schema(
        request=None, responses=s.WishlistResultSerializer, summary="Add a product to the requester's wish list"
    )
    def post(self, request, product_id):
        if feature_hidden("wishlists"):
            raise Http404(_("Wish lists are not available."))
        product = _public_product_or_404(product_id)
        wishlist, added = product_services.add_to_wishlist(request.user, product)
        return Response(
            {
                "wishlist": {"id": wishlist.pk, "name": wishlist.name, "url": wishlist.get_absolute_url()},
                "added": added,
            }
        )


class NotFoundView(NoStoreMixin, APIView):
    """Unknown paths under the API answer JSON, like the rest of it."""

    authentication_classes = []
    permission_classes = []
    renderer_classes = ChatAPIView.renderer_classes
    content_negotiation_class = ChatAPIView.content_negotiation_class
    # Not an endpoint of the contract: left out of the schema. (extend_schema(exclude=True) would
    # subclass the store's DEFAULT_SCHEMA_CLASS at import time, and fail with DRF's own.)
    schema = None

    def _404(self, request, *args, **kwargs):
        raise Http404(_("No such endpoint."))

    get = post = put = patch = delete = _404
