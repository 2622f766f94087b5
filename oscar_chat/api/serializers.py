"""JSON shapes of the API contract, shared by the HTTP views and the event stream."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import conf, payloads
from ..ids import IdField, parse_id
from ..models import ChatMessage, ChatRoom
from ..products import unavailable
from ..roles import display_name, is_agent
from ..vouchers import card_from_snapshot


class UserSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.SerializerMethodField()
    is_agent = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return display_name(user)

    def get_is_agent(self, user) -> bool:
        # Lists pass the agents among their users (one query) instead of a query per user.
        agent_ids = self.context.get("agent_ids")
        return user.pk in agent_ids if agent_ids is not None else is_agent(user)


class PriceSerializer(serializers.Serializer):
    amount = serializers.CharField()
    currency = serializers.CharField()
    incl_tax = serializers.BooleanField()


class AvailabilitySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    is_available_to_buy = serializers.BooleanField()


class ProductCardSerializer(serializers.Serializer):
    """Documents the product card; cards are built as dicts by ``oscar_chat.products``."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField()
    image = serializers.CharField(allow_null=True)
    price = PriceSerializer(allow_null=True)
    availability = AvailabilitySerializer()
    category = serializers.CharField(allow_null=True)
    brand = serializers.CharField(allow_null=True)
    sku = serializers.CharField(allow_null=True)
    upc = serializers.CharField(allow_null=True)
    is_parent = serializers.BooleanField()


class ProductSearchResultSerializer(serializers.Serializer):
    results = ProductCardSerializer(many=True)


class BasketSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    num_items = serializers.IntegerField()
    total = serializers.CharField()
    currency = serializers.CharField()


class BasketResultSerializer(serializers.Serializer):
    basket = BasketSummarySerializer()


class WishlistSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()


class WishlistResultSerializer(serializers.Serializer):
    wishlist = WishlistSummarySerializer()
    added = serializers.BooleanField()


class RatingSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class RoomSerializer(serializers.ModelSerializer):
    """A room as the viewer sees it. Context: ``viewer_is_customer`` (bool)."""

    user = UserSummarySerializer(read_only=True)
    admin = UserSummarySerializer(read_only=True, allow_null=True)
    is_read = serializers.SerializerMethodField()
    unread_count = serializers.SerializerMethodField()
    labels = serializers.SerializerMethodField()
    rating = serializers.SerializerMethodField()

    class Meta:
        model = ChatRoom
        fields = [
            "id",
            "subject",
            "status",
            "priority",
            "user",
            "admin",
            "last_message",
            "last_activity",
            "created_at",
            "is_read",
            "unread_count",
            "labels",
            "first_response_at",
            "resolved_at",
            "rating",
        ]

    def get_labels(self, room) -> list[str]:
        # Agents' tags: a customer's view carries none.
        return [] if self.context.get("viewer_is_customer") else list(room.labels)

    @extend_schema_field(RatingSerializer(allow_null=True))
    def get_rating(self, room):
        if room.rating_score is None:
            return None
        return {"score": room.rating_score, "comment": room.rating_comment}

    def get_unread_count(self, room) -> int:
        if self.context.get("viewer_is_customer"):
            return room.customer_unread_count
        return room.agent_unread_count

    def get_is_read(self, room) -> bool:
        return self.get_unread_count(room) == 0


class AttachmentSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="GET it with the requester's credentials (session or bearer token).")
    name = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()


class OrderLineSerializer(serializers.Serializer):
    title = serializers.CharField()
    quantity = serializers.IntegerField()


class OrderCardSerializer(serializers.Serializer):
    """Documents the ORDER card; built as a dict by ``oscar_chat.orders``."""

    number = serializers.CharField()
    status = serializers.CharField()
    date_placed = serializers.DateTimeField(allow_null=True)
    total = serializers.CharField()
    currency = serializers.CharField()
    lines = OrderLineSerializer(many=True)
    url = serializers.CharField(allow_null=True)


class VoucherCardSerializer(serializers.Serializer):
    """Documents the VOUCHER card; built as a dict by ``oscar_chat.vouchers``."""

    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    end_datetime = serializers.DateTimeField(allow_null=True)
    is_active = serializers.BooleanField()


class MessageSerializer(serializers.ModelSerializer):
    sender = UserSummarySerializer(read_only=True)
    room = serializers.IntegerField(source="room_id")
    product = serializers.SerializerMethodField()
    attachment = serializers.SerializerMethodField()
    order = serializers.SerializerMethodField()
    voucher = serializers.SerializerMethodField()

    class Meta:
        model = ChatMessage
        fields = [
            "id",
            "room",
            "sender",
            "message",
            "message_type",
            "product",
            "attachment",
            "order",
            "voucher",
            "is_read",
            "created_at",
            "client_id",
        ]

    @extend_schema_field(OrderCardSerializer(allow_null=True))
    def get_order(self, message):
        return message.order_snapshot if message.message_type == ChatMessage.MessageType.ORDER else None

    @extend_schema_field(VoucherCardSerializer(allow_null=True))
    def get_voucher(self, message):
        if message.message_type != ChatMessage.MessageType.VOUCHER:
            return None
        return card_from_snapshot(message.voucher_snapshot)

    @extend_schema_field(ProductCardSerializer(allow_null=True))
    def get_product(self, message):
        if message.message_type != ChatMessage.MessageType.PRODUCT:
            return None
        live_cards = self.context.get("live_cards")
        if live_cards is not None:
            # Built in one batch for the viewer; a product missing from it is gone or hidden.
            return live_cards.get(message.product_id) or unavailable(message.product_snapshot)
        product = message.product
        if product is None or not product.is_public:
            return unavailable(message.product_snapshot)
        return message.product_snapshot

    @extend_schema_field(AttachmentSerializer(allow_null=True))
    def get_attachment(self, message):
        if not message.has_attachment:
            return None
        return {
            # The API's authorising view, never the storage's own (private) URL.
            "url": payloads.attachment_url(message),
            "name": message.attachment_name,
            "size": message.attachment_size or 0,
            "content_type": message.attachment_content_type,
        }


# The shapes are built by ``oscar_chat.payloads`` (the serializers above document them).


def user_summary(user):
    return payloads.user_summary(user)


def room_data(room, *, viewer_is_customer, agent_ids=None):
    """``agent_ids``: the agents among the room's users, when the caller already knows them."""
    return payloads.room_data(room, viewer_is_customer=viewer_is_customer, agent_ids=agent_ids)


def message_data(message, context=None):
    context = context or {}
    return payloads.message_data(message, live_cards=context.get("live_cards"), agent_ids=context.get("agent_ids"))


# Input


def _comma_list(value, choices, field):
    items = [v.strip().upper() for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in choices]
    if bad:
        raise serializers.ValidationError({field: [_("Unknown value: %(v)s.") % {"v": ", ".join(bad)}]})
    return items


class RoomListQuerySerializer(serializers.Serializer):
    status = serializers.CharField(required=False, help_text="One status or several, comma-separated.")
    priority = serializers.CharField(required=False, help_text="One priority or several, comma-separated.")
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    unread = serializers.BooleanField(required=False, default=False)
    assigned = serializers.CharField(
        required=False, trim_whitespace=False, help_text="Agents only: me, none or a user id."
    )
    label = serializers.CharField(required=False, max_length=200, help_text="Agents only: rooms with this label.")

    def validate_status(self, value):
        return _comma_list(value, ChatRoom.Status.values, "status")

    def validate_priority(self, value):
        return _comma_list(value, ChatRoom.Priority.values, "priority")

    def validate_assigned(self, value):
        if value in ("me", "none"):
            return value
        user_id = parse_id(value)
        if user_id is not None:
            return user_id
        raise serializers.ValidationError(_("Use me, none or a user id."))


class RoomCreateSerializer(serializers.Serializer):
    # Optional when a message or product is given: the subject is then derived (API 1.1).
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True)
    message = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    product_id = IdField(required=False)
    priority = serializers.ChoiceField(choices=ChatRoom.Priority.choices, required=False)
    user_id = IdField(required=False)
    # The message's own rules (length, blank) belong to services.post_message.


class MessageCreateSerializer(serializers.Serializer):
    message = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    # Absent: PRODUCT when a product_id is given, else TEXT (decided in the view).
    message_type = serializers.ChoiceField(choices=ChatMessage.MessageType.choices, required=False)
    product_id = IdField(required=False)
    order_number = serializers.CharField(
        required=False, max_length=128, help_text="ORDER: the customer's order number."
    )
    voucher_code = serializers.CharField(required=False, max_length=128, help_text="VOUCHER: an Oscar voucher code.")
    client_id = serializers.CharField(required=False, max_length=64, allow_blank=False)
    file = serializers.FileField(required=False)


class ProductSearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    limit = serializers.IntegerField(required=False, min_value=1)

    def validate_limit(self, value):
        # Like DRF's max_page_size: a larger limit is served at the maximum, not refused.
        return min(value, conf.get("PRODUCT_SEARCH_MAX_LIMIT"))


class BasketAddSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(required=False, default=1, min_value=1, max_value=2**31 - 1)


class HistoryQuerySerializer(serializers.Serializer):
    before = IdField(required=False)
    after = IdField(required=False, min_value=0)

    def validate(self, attrs):
        if "before" in attrs and "after" in attrs:
            raise serializers.ValidationError(_("Use before or after, not both."))
        return attrs


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class LabelsField(serializers.JSONField):
    """Labels as sent: any JSON here, so that ``services.normalise_labels`` gives the one 400 for
    them; documented as the list of strings it must be."""


class ManageSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ChatRoom.Status.choices, required=False)
    priority = serializers.ChoiceField(choices=ChatRoom.Priority.choices, required=False)
    admin_id = IdField(required=False, allow_null=True)
    # Normalised and checked by services.normalise_labels (one rule for the API and the admin).
    labels = LabelsField(required=False, help_text="A list of labels; replaces the room's.")


class TypingSerializer(serializers.Serializer):
    is_typing = serializers.BooleanField()


class PageReportSerializer(serializers.Serializer):
    """``POST activity``: the store page a customer has open (API 1.1 extension, docs/assignment.md)."""

    url = serializers.CharField(max_length=2000, help_text="A path of the store (/...), or a URL of this site.")
    title = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
