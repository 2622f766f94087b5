from collections import OrderedDict

from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from .. import conf


class RoomCursorPagination(CursorPagination):
    """Cursor pages (stable while rooms move to the top) that also say how many rooms match."""

    ordering = ("-last_activity", "-id")
    cursor_query_param = "cursor"

    def get_page_size(self, request):
        return conf.get("PAGE_SIZE")

    def paginate_queryset(self, queryset, request, view=None):
        self.count = queryset.count()
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        return Response(
            OrderedDict(
                [
                    ("count", self.count),
                    ("next", self.get_next_link()),
                    ("previous", self.get_previous_link()),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"] = {"count": {"type": "integer"}, **response["properties"]}
        return response
