// Unit tests of the DOM-free helpers of oscar_chat/static/oscar_chat/js/chat/ui.js.
import assert from "node:assert/strict";
import { test } from "node:test";

import { _, fmt, formatSize, initials, ngettext } from "../../oscar_chat/static/oscar_chat/js/chat/ui.js";

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

test("the widget's catalog (<api>/i18n) translates, plurals by its rule; English without it", () => {
  globalThis.window = /** @type {any} */ ({});
  try {
    assert.equal(_("Send"), "Send");
    assert.equal(ngettext("%(n)s product", "%(n)s products", 2), "%(n)s products");
    // As the Russian catalog would say it: three forms and the rule choosing one.
    globalThis.window.OscarChat = {
      i18n: {
        plural: (n) => +(n % 10 == 1 && n % 100 != 11 ? 0 : n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 10 || n % 100 >= 20) ? 1 : 2),
        strings: { Send: "Отправить", "%(n)s product": ["%(n)s товар", "%(n)s товара", "%(n)s товаров"] },
      },
    };
    assert.equal(_("Send"), "Отправить");
    assert.equal(_("Not in the catalog"), "Not in the catalog");
    assert.deepEqual([1, 3, 5, 21].map((n) => ngettext("%(n)s product", "%(n)s products", n)),
      ["%(n)s товар", "%(n)s товара", "%(n)s товаров", "%(n)s товар"]);
    assert.equal(ngettext("%(n)s unread", "%(n)s unread", 2), "%(n)s unread");
  } finally {
    delete globalThis.window;
  }
});
