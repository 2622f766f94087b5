"""Indonesian: the API answers in the language the client asks for, and the catalog is complete."""

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import IN_CI
from .factories import open_room, say

PACKAGE = Path(__file__).resolve().parent.parent / "oscar_chat"
PO = PACKAGE / "locale" / "id" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

INDONESIAN = {"HTTP_ACCEPT_LANGUAGE": "id"}


def test_an_indonesian_client_gets_indonesian_errors(api, customer, other_customer, settings):
    room = open_room(customer, "Ukuran kemeja")
    client = api(customer)
    blank = client.post(f"/api/chat/rooms/{room.pk}", {"message": "   "}, format="json", **INDONESIAN)
    assert blank.status_code == 400
    assert blank.json() == {"message": ["Bidang ini tidak boleh kosong."]}
    hidden = api(other_customer).get(f"/api/chat/rooms/{room.pk}", **INDONESIAN)
    assert hidden.json() == {"detail": "Percakapan tidak ditemukan."}
    managed = client.patch(f"/api/chat/rooms/{room.pk}/manage", {"status": "CLOSED"}, format="json", **INDONESIAN)
    assert managed.json() == {"detail": "Hanya agen yang boleh melakukan ini."}
    settings.OSCAR_CHAT_RATE_LIMIT_MESSAGES = 1
    say(room, customer, "Halo")
    limited = client.post(f"/api/chat/rooms/{room.pk}", {"message": "Halo lagi"}, format="json", **INDONESIAN)
    assert limited.status_code == 429
    assert limited.json()["detail"].startswith("Terlalu banyak pesan. Coba lagi dalam ")


def test_english_stays_the_default(api, customer, other_customer):
    room = open_room(customer)
    assert api(other_customer).get(f"/api/chat/rooms/{room.pk}").json() == {"detail": "No such conversation."}
    english = api(other_customer).get(f"/api/chat/rooms/{room.pk}", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert english.json() == {"detail": "No such conversation."}


def unquote(text):
    """A .po string's content: the quotes dropped and its backslash escapes read."""
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), text[1:-1])


def read_po(path):
    """``{msgid: msgstr}`` of a .po file (plural entries keyed by their singular); fuzzy entries count as empty."""
    entries, current, key, fuzzy = {}, {}, None, False

    def flush():
        if "msgid" in current and current["msgid"]:
            entries[current["msgid"]] = "" if fuzzy else current.get("msgstr", current.get("msgstr[0]", ""))

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            flush()
            current, key, fuzzy = {}, None, False
        elif line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] += unquote(line)
        else:
            key, _, value = line.partition(" ")
            current[key] = unquote(value)
    return entries


def test_every_string_of_the_catalog_is_translated_and_compiled():
    entries = read_po(PO)
    assert entries
    untranslated = [msgid for msgid, msgstr in entries.items() if not msgstr]
    assert not untranslated, f"untranslated in {PO.name}: {untranslated}"
    with MO.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = [msgid for msgid, msgstr in entries.items() if compiled.gettext(msgid) != msgstr]
    assert not stale, f"django.mo is older than django.po for {stale}: run `make messages`"


def test_every_translatable_string_in_the_code_is_in_the_catalog(tmp_path):
    if not shutil.which("xgettext"):
        if IN_CI:
            pytest.fail("xgettext (gettext) is required under CI=true")
        pytest.skip("xgettext (gettext) not installed")
    copy = tmp_path / "oscar_chat"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("locale", "__pycache__", "static"))
    (copy / "locale").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(
        [sys.executable, "-P", "-m", "django", "makemessages", "-l", "id", "-v0"], cwd=copy, env=env, check=True
    )
    in_code = set(read_po(copy / "locale" / "id" / "LC_MESSAGES" / "django.po"))
    missing = sorted(in_code - set(read_po(PO)))
    assert not missing, (
        f"strings missing from {PO.relative_to(PACKAGE.parent)}: {missing}. "
        "Run `django-admin makemessages -l id` in oscar_chat/, translate them, then `make messages`."
    )
