"""Attachments of IMAGE and FILE messages: checked by content, kept in a private storage.

A file is judged by its bytes, never by its declared type or name: an IMAGE must decode with
Pillow as an accepted raster format; a FILE must be a binary type recognised by its magic
numbers (puremagic, pure Python) or UTF-8 plain text, and HTML, SVG, XML or script is refused
either way. Accepted files are stored under random names in the storage alias
``OSCAR_CHAT_ATTACHMENT_STORAGE`` (never the public media) and served by the API's
authorising view (``oscar_chat.api.views.AttachmentView``).
"""

import mimetypes
import re
import secrets
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path, PurePath

import puremagic
from django.conf import settings
from django.core.checks import Error, register
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext as _
from PIL import Image

from . import conf
from .exceptions import ValidationError

# Where the default private folder goes when the store defines no storage for the alias.
DEFAULT_FOLDER_NAME = "oscar_chat_private"
# Bytes of a binary file searched for HTML (browsers that sniff look at the first 1,445).
SNIFFED_HEAD = 4096
# Anything an HTML or XML parser reads as markup: a tag, a closing tag, <!...> or <?...>.
TEXT_MARKUP = re.compile(rb"<(?:[!?]|/?[a-z][a-z0-9:._-]*(?:[\s/>]|$))", re.IGNORECASE)
# HTML that makes a binary file a polyglot (XMP metadata, <x:xmpmeta>, <rdf:...>, stays allowed).
HTML_IN_BINARY = re.compile(
    rb"<(?:script|html|body|head|iframe|frame|svg|object|embed|meta|link|style|form|img|"
    rb"!doctype\s+html|\?xml-stylesheet)[\s/>]",
    re.IGNORECASE,
)
SCRIPT_START = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*#!")
# Formats never served inline, whatever a store lists as image types.
NEVER_INLINE = {"image/svg+xml", "text/html", "application/xhtml+xml", "text/xml", "application/xml"}


@dataclass(frozen=True)
class CheckedFile:
    """What the content of an upload turned out to be."""

    content_type: str
    name: str  # the uploader's file name, cleaned, for display and as the download's name


# Storage -------------------------------------------------------------------------------


def default_location() -> Path:
    """The default private folder: beside MEDIA_ROOT, never inside it (in the working folder without one)."""
    if not settings.MEDIA_ROOT:
        return Path.cwd() / DEFAULT_FOLDER_NAME
    return Path(settings.MEDIA_ROOT).resolve().parent / DEFAULT_FOLDER_NAME


def build_storage() -> Storage:
    """The storage of the alias ``OSCAR_CHAT_ATTACHMENT_STORAGE`` in ``STORAGES``, or the default private folder."""
    alias = conf.get("ATTACHMENT_STORAGE")
    if alias in settings.STORAGES:
        return storages[alias]
    # No base_url: these files have no public URL; the API serves them.
    return FileSystemStorage(location=default_location(), base_url=None)


class AttachmentStorage(LazyObject):
    """The attachments' storage, resolved on first use (and again when the settings change in tests)."""

    def _setup(self):
        self._wrapped = build_storage()


attachment_storage_instance = AttachmentStorage()


def attachment_storage() -> Storage:
    """For ``FileField(storage=...)``: a callable keeps the storage out of migrations."""
    return attachment_storage_instance


@receiver(setting_changed)
def _reset_storage(*, setting, **kwargs):
    if setting in ("STORAGES", "MEDIA_ROOT", "OSCAR_CHAT_ATTACHMENT_STORAGE"):
        attachment_storage_instance._wrapped = empty


def upload_to(instance, filename: str) -> str:
    """A random name (the uploader's name is kept in ``attachment_name`` only)."""
    extension = mimetypes.guess_extension(instance.attachment_content_type or "") or ""
    return f"oscar_chat/{timezone.now():%Y/%m}/{secrets.token_urlsafe(18)}{extension}"


@register("oscar_chat")
def check_attachment_storage(app_configs=None, **kwargs):
    """The attachments' folder must not be one the web server publishes."""
    storage = build_storage()
    location = getattr(storage, "location", None)
    if not location:
        return []
    location = Path(location).resolve()
    errors = []
    for setting in ("MEDIA_ROOT", "STATIC_ROOT"):
        public = getattr(settings, setting, None)
        if public and location.is_relative_to(Path(public).resolve()):
            errors.append(
                Error(
                    f"Chat attachments would be stored in {location}, inside {setting}, "
                    "where anyone can download them.",
                    hint="Point STORAGES['oscar_chat_attachments'] (or OSCAR_CHAT_ATTACHMENT_STORAGE) "
                    "at a private folder or bucket.",
                    id="oscar_chat.E101",
                )
            )
    return errors


# Content checks ------------------------------------------------------------------------


def _refuse(message: str):
    raise ValidationError({"file": [message]})


def _pillow_formats(content_types) -> dict[str, str]:
    """Pillow's format names for the accepted raster types: ``{"PNG": "image/png", ...}``."""
    Image.init()
    return {
        fmt: mime
        for fmt, mime in Image.MIME.items()
        if mime in content_types and mime not in NEVER_INLINE and fmt in Image.OPEN
    }


def _decoded_image_type(file, content_types) -> str | None:
    """The content type of ``file`` if Pillow decodes it whole as an accepted format, else None."""
    formats = _pillow_formats(content_types)
    if not formats:
        return None
    try:
        with warnings.catch_warnings():
            # A decompression bomb is refused like any other bad image.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            file.seek(0)
            with Image.open(file, formats=list(formats)) as image:
                found = image.format
                image.verify()
            file.seek(0)
            with Image.open(file, formats=list(formats)) as image:
                image.load()
    except Exception:  # noqa: BLE001 - Pillow raises many kinds for a bad image; all mean "not an image"
        return None
    finally:
        file.seek(0)
    return formats.get(found)


def _read(file, limit=None) -> bytes:
    file.seek(0)
    data = file.read() if limit is None else file.read(limit)
    file.seek(0)
    return data


def _magic_types(head: bytes) -> list[str]:
    try:
        return [match.mime_type for match in puremagic.magic_string(head) if match.mime_type]
    except (puremagic.PureError, ValueError):
        return []


def _is_plain_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def clean_name(name: str) -> str:
    """The uploader's file name without folders, control characters or surrounding dots and spaces."""
    name = PurePath(str(name).replace("\\", "/")).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip(" .")
    return name[:255] or _("attachment")


def download_name(name: str, content_type: str) -> str:
    """``name`` with an extension that matches ``content_type`` (``page.html`` as text: ``page.html.txt``)."""
    name = clean_name(name)
    extensions = mimetypes.guess_all_extensions(content_type)
    if not extensions or content_type == "application/octet-stream" or PurePath(name).suffix.lower() in extensions:
        return name
    return name + (mimetypes.guess_extension(content_type) or extensions[0])


def is_inline(content_type: str) -> bool:
    """Whether a stored attachment is shown in the page (verified raster images) rather than downloaded."""
    return content_type in conf.get("IMAGE_CONTENT_TYPES") and content_type not in NEVER_INLINE


def check_upload(file, message_type: str) -> CheckedFile:
    """Judge ``file`` by its content for an IMAGE or FILE message; a ``400`` (ValidationError) if refused."""
    from .models import ChatMessage

    if message_type == ChatMessage.MessageType.IMAGE:
        accepted = conf.get("IMAGE_CONTENT_TYPES")
        content_type = _decoded_image_type(file, accepted)
        if content_type is None:
            _refuse(_("Upload an image in one of these formats: %(types)s.") % {"types": _type_names(accepted)})
        if HTML_IN_BINARY.search(_read(file, SNIFFED_HEAD)):
            _refuse(_("This file contains HTML, which is not accepted."))
        return CheckedFile(content_type, clean_name(getattr(file, "name", "")))

    accepted = conf.get("FILE_CONTENT_TYPES")
    head = _read(file, SNIFFED_HEAD)
    # Text is judged below, whatever signature (a byte-order mark, say) it starts with.
    magic = [mime for mime in _magic_types(head) if mime != "text/plain"]
    content_type = next((mime for mime in magic if mime in accepted and mime not in NEVER_INLINE), None)
    if content_type is not None:
        if content_type.startswith("image/") and _decoded_image_type(file, [content_type]) is None:
            _refuse(_("This file is not a valid image."))
        if HTML_IN_BINARY.search(head):
            _refuse(_("This file contains HTML, which is not accepted."))
        return CheckedFile(content_type, clean_name(getattr(file, "name", "")))
    if magic:
        # A signature of a type not accepted (HTML and SVG have theirs too).
        _refuse(_("This type of file is not accepted."))

    # No signature: only plain UTF-8 text, with no markup or script in it.
    data = _read(file)
    if "text/plain" not in accepted or not _is_plain_text(data):
        _refuse(_("This type of file is not accepted."))
    if TEXT_MARKUP.search(data) or SCRIPT_START.match(data):
        _refuse(_("HTML, SVG, XML and scripts are not accepted as files."))
    return CheckedFile("text/plain", clean_name(getattr(file, "name", "")))


def _type_names(content_types) -> str:
    return ", ".join(sorted({t.split("/")[-1].upper() for t in content_types}))
