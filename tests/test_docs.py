"""The documentation tells the truth about the code: every setting of conf.py, and only those."""

import json
import re
from pathlib import Path

from oscar_chat.conf import DEFAULTS

SETTINGS_PAGE = Path(__file__).resolve().parent.parent / "docs" / "settings.md"
ROW = re.compile(r"^\| `OSCAR_CHAT_([A-Z0-9_]+)` \| ([^|]+) \|", re.M)


def documented():
    rows = ROW.findall(SETTINGS_PAGE.read_text())
    names = [name for name, _ in rows]
    assert len(names) == len(set(names)), "a setting is listed twice"
    return dict(rows)


def test_the_settings_reference_lists_every_setting_of_conf_and_no_other():
    assert set(documented()) == set(DEFAULTS)


def test_the_settings_reference_gives_the_defaults_of_conf():
    for name, cell in documented().items():
        default = DEFAULTS[name]
        if isinstance(default, (bool, int, float, str)):
            shown = json.dumps(default) if isinstance(default, str) else str(default)
            assert cell.strip().startswith(f"`{shown}`"), (name, cell, shown)
