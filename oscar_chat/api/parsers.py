from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, MultiPartParser

from .. import conf
from .handlers import PayloadTooLarge


class ChatJSONParser(JSONParser):
    """DRF's JSON parser, with a deeply nested document refused (400) instead of crashing the request."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - the document is nested too deeply.")) from None


def _file_too_large():
    return PayloadTooLarge(_("The file is too large."))


class UploadSizeLimit(FileUploadHandler):
    """First of the upload handlers: stops a file at ``OSCAR_CHAT_MAX_UPLOAD_SIZE`` bytes (413)."""

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = conf.get("MAX_UPLOAD_SIZE")

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            raise _file_too_large()
        return raw_data

    def file_complete(self, file_size):
        return None


class ChatMultiPartParser(MultiPartParser):
    """Refuses a body that cannot fit the upload limit before parsing it, and a file past it while parsing."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = parser_context["request"]
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        # The file, plus the other fields at most as large as Django lets them be.
        allowance = conf.get("MAX_UPLOAD_SIZE") + (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)
        if length > allowance:
            raise _file_too_large()
        request.upload_handlers = [UploadSizeLimit(request._request), *request.upload_handlers]
        return super().parse(stream, media_type, parser_context)
