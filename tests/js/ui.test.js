// Unit tests of the DOM-free helpers of oscar_chat/static/oscar_chat/js/chat/ui.js.
import assert from "node:assert/strict";
import { test } from "node:test";

import { fmt, formatSize, initials } from "../../oscar_chat/static/oscar_chat/js/chat/ui.js";

test("initials of a name, for the avatars", () => {
  assert.equal(initials("Budi Santoso"), "BS");
  assert.equal(initials("Eka Putri Pratama"), "EP");
  assert.equal(initials("eka"), "EK");
  assert.equal(initials("  "), "?");
  assert.equal(initials("مريم أحمد"), "مأ");
});

test("file sizes in words a person reads", () => {
  assert.equal(formatSize(15), "15 B");
  assert.equal(formatSize(300 * 1024), "300 KB");
  assert.equal(formatSize(3.4 * 1024 * 1024), "3.4 MB");
});

test("placeholders as Django's interpolate(…, true)", () => {
  assert.equal(fmt("%(n)s of %(limit)s characters", { n: 4500, limit: 5000 }), "4500 of 5000 characters");
  assert.equal(fmt("%(missing)s stays", {}), "%(missing)s stays");
});
