// Unit tests of the checks of oscar_chat/static/oscar_chat/js/chat/attach.js (widget and admin composer).
import assert from "node:assert/strict";
import { test } from "node:test";

// No Django catalog here: the messages stay in English.
globalThis.window = globalThis.window || {};
const { messageTypeFor, refusal } = await import("../../oscar_chat/static/oscar_chat/js/chat/attach.js");

const limits = { maxUploadSize: 1024 * 1024, fileTypes: ["image/png", "application/pdf"], imageTypes: ["image/png"] };

test("a file is refused in words when too large or of a type the store does not take", () => {
  assert.equal(refusal({ name: "a.png", size: 2 * 1024 * 1024, type: "image/png" }, limits), "“a.png” is 2 MB; files may be at most 1 MB.");
  assert.match(refusal({ name: "setup.exe", size: 10, type: "application/x-msdownload" }, limits), /^“setup\.exe” cannot be sent/);
  assert.equal(refusal({ name: "bill.pdf", size: 10, type: "application/pdf" }, limits), null);
});

test("images the store shows inline go as IMAGE, the rest as FILE", () => {
  assert.equal(messageTypeFor({ type: "image/png" }, limits), "IMAGE");
  assert.equal(messageTypeFor({ type: "image/svg+xml" }, limits), "FILE");
  assert.equal(messageTypeFor({ type: "application/pdf" }, limits), "FILE");
});
