"""API of the chat's operations (API.md 1.1): rating and stats (opening hours: GET presence). Thin."""

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .. import selectors
from ..ids import require_id
from ..operations import hours, reports
from ..operations import services as operations
from ..roles import is_agent
from . import serializers as s
from .auth import ChatAPIView
from .schema import extend_schema


def _room_or_404(request, room_id):
    room = selectors.get_visible_room(request.user, require_id(room_id, "room_id"))
    if room is None:
        raise Http404(_("No such conversation."))
    return room


class RoomRatingView(ChatAPIView):
    @extend_schema(
        request=s.RatingSerializer, responses=s.RoomSerializer, summary="Rate a resolved conversation (its customer)"
    )
    def post(self, request, room_id):
        room = _room_or_404(request, room_id)
        serializer = s.RatingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            operations.rate_room(room, request.user, **serializer.validated_data)
        except operations.NotRoomCustomer as exc:
            # API.md 1.1: anyone but the room's customer is a 400 (another customer never sees the room: 404).
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        room = selectors.get_visible_room(request.user, room.pk)
        return Response(s.room_data(room, viewer_is_customer=True))


class StatsQuerySerializer(serializers.Serializer):
    # "from" is a Python keyword: declared below.
    to = serializers.DateField(required=False)

    def validate(self, attrs):
        last = attrs.get("to") or timezone.localdate(timezone=hours.store_timezone())
        first = attrs.get("from") or last.replace(day=1)
        if first > last:
            raise serializers.ValidationError({"from": [_("The start must not be after the end.")]})
        if (last - first).days >= reports.MAX_DAYS:
            raise serializers.ValidationError(
                {"from": [_("Choose a period of at most %(n)d days.") % {"n": reports.MAX_DAYS}]}
            )
        return {"period": reports.Period(first, last)}


StatsQuerySerializer._declared_fields["from"] = serializers.DateField(required=False)


class StatsView(ChatAPIView):
    # Always JSON (errors too); ?format=csv is answered by the view itself.
    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        return (JSONRenderer(), JSONRenderer.media_type)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.DATE, description="First day (default: the 1st of the month of `to`)."
            ),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, inclusive (default: today)."),
            OpenApiParameter("format", str, enum=["json", "csv"], description="csv: the figures by day."),
        ],
        responses=OpenApiTypes.OBJECT,
        summary="Chat figures for a period (agents)",
    )
    def get(self, request):
        if not is_agent(request.user):
            raise exceptions.PermissionDenied(_("Only agents may do this."))
        output = request.query_params.get("format", "json")
        if output not in ("json", "csv"):
            raise exceptions.ValidationError({"format": [_("Use json or csv.")]})
        query = StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        period = query.validated_data["period"]
        stats = reports.chat_stats(period)
        if output == "csv":
            response = HttpResponse(reports.by_day_csv(stats), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="chat-{period.first}-{period.last}.csv"'
            return response
        return Response(stats)
