// Unit tests of the conversation engine (oscar_chat/static/oscar_chat/js/chat/conversation.js)
// under Node's test runner: `node --test tests/js/`. The client is a stand-in recording calls;
// the browser tests run the same engine against the real API.
import assert from "node:assert/strict";
import { beforeEach, describe, mock, test } from "node:test";

import { Conversation, isTransient } from "../../oscar_chat/static/oscar_chat/js/chat/conversation.js";
import { TIMINGS } from "../../oscar_chat/static/oscar_chat/js/chat/timings.js";

const ME = { id: 7, name: "Eka Pratama", is_agent: false };
const AGENT = { id: 1, name: "Budi Santoso", is_agent: true };
const ROOM = 3;

const message = (id, sender, text, extra = {}) => ({
  id, room: ROOM, sender, message: text, message_type: "TEXT", is_read: false,
  created_at: new Date(Date.UTC(2026, 0, 1, 10, 0, id)).toISOString(), client_id: null, ...extra,
});

/** An API stand-in: answers sends from a script of outcomes, records every call. */
class FakeClient {
  constructor() {
    this.calls = [];
    this.outcomes = [];
    this.nextId = 100;
    this.ids = 0;
    this.history = { room: { id: ROOM, unread_count: 0, status: "OPEN" }, results: [], has_more: false };
    this.pages = {};
  }
  newClientId() {
    return "client-" + ++this.ids;
  }
  async getRoom(id, params) {
    this.calls.push(["getRoom", id, params || null]);
    return params && params.before ? this.pages[params.before] : structuredClone(this.history);
  }
  async send(id, data) {
    this.calls.push(["send", id, { ...data }]);
    const outcome = this.outcomes.shift() || "ok";
    if (outcome !== "ok") throw outcome;
    return message(this.nextId++, ME, data.message, { client_id: data.client_id });
  }
  async markRead(id) {
    this.calls.push(["markRead", id]);
    return { room: id, unread_count: 0 };
  }
  typing(id, isTyping) {
    this.calls.push(["typing", id, isTyping]);
    return Promise.resolve(null);
  }
  count(name) {
    return this.calls.filter((c) => c[0] === name).length;
  }
}

class MemoryStorage {
  constructor() {
    this.data = new Map();
  }
  getItem(key) {
    return this.data.has(key) ? this.data.get(key) : null;
  }
  setItem(key, value) {
    this.data.set(key, String(value));
  }
  removeItem(key) {
    this.data.delete(key);
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const offline = Object.assign(new Error("Network error"), { status: 0 });
const refused = Object.assign(new Error("Bad"), { status: 400, body: { message: ["Too long."] } });
const texts = (conv) => conv.items.map((item) => [item.message.message, item.status]);

let client;
let storage;
beforeEach(() => {
  client = new FakeClient();
  storage = new MemoryStorage();
});

async function loaded(options = {}) {
  const conv = new Conversation({ client, roomId: ROOM, me: ME, storage, ...options });
  await conv.load();
  await settle();
  return conv;
}

describe("loading and receiving", () => {
  test("the newest page, then messages in id order, each once", async () => {
    client.history.results = [message(1, ME, "Hello"), message(2, AGENT, "Hi!")];
    const conv = await loaded();
    conv.receive(message(4, AGENT, "four"));
    conv.receive(message(3, AGENT, "three")); // late, from polling
    conv.receive(message(4, AGENT, "four")); // replayed by the stream
    conv.receive(message(9, AGENT, "another room", { room: ROOM + 1 }));
    assert.deepEqual(conv.items.map((item) => item.message.id), [1, 2, 3, 4]);
  });

  test("older pages go before, without duplicates, until there are no more", async () => {
    client.history = { room: { id: ROOM, unread_count: 0 }, results: [message(51, AGENT, "51"), message(52, ME, "52")], has_more: true };
    client.pages[51] = { results: [message(49, ME, "49"), message(50, AGENT, "50"), message(51, AGENT, "51")], has_more: false };
    const conv = await loaded();
    const added = await conv.loadOlder();
    assert.deepEqual(added.map((item) => item.message.id), [49, 50]);
    assert.deepEqual(conv.items.map((item) => item.message.id), [49, 50, 51, 52]);
    assert.equal(conv.hasMore, false);
    assert.deepEqual(await conv.loadOlder(), []);
    assert.equal(client.count("getRoom"), 2);
  });
});

describe("sending", () => {
  test("shown at once, confirmed by the answer, in its place", async () => {
    const conv = await loaded();
    const item = conv.send({ message: "Is it in stock?" });
    assert.equal(conv.items.length, 1);
    assert.equal(item.message.client_id, "client-1");
    await settle();
    assert.deepEqual(texts(conv), [["Is it in stock?", "sent"]]);
    assert.equal(item.message.id, 100);
    assert.deepEqual(client.calls.find((c) => c[0] === "send")[2], { message: "Is it in stock?", message_type: "TEXT", product_id: undefined, client_id: "client-1" });
  });

  test("the stream's copy of one's own message replaces the pending one", async () => {
    client.outcomes = [new Promise(() => {})]; // the answer never comes
    client.send = function (id, data) {
      this.calls.push(["send", id, data]);
      return new Promise(() => {});
    };
    const conv = await loaded();
    conv.send({ message: "Hello" });
    await settle();
    conv.receive(message(5, ME, "Hello", { client_id: "client-1" }));
    assert.deepEqual(texts(conv), [["Hello", "sent"]]);
    assert.equal(conv.items.length, 1);
  });

  test("offline: queued in order, kept across a reload, sent in order when the connection returns", async () => {
    client.outcomes = [offline, offline];
    const conv = await loaded();
    conv.send({ message: "one" });
    await settle();
    conv.send({ message: "two" }); // tries the line again, from its first message
    await settle();
    assert.deepEqual(texts(conv), [["one", "queued"], ["two", "queued"]]);
    assert.deepEqual(client.calls.filter((c) => c[0] === "send").map((c) => c[2].message), ["one", "one"]);
    conv.destroy();

    // A new page: the outbox comes back with the same client_ids.
    const sentBefore = client.count("send");
    client.outcomes = [offline];
    const again = await loaded();
    assert.deepEqual(texts(again), [["one", "queued"], ["two", "queued"]]);
    assert.equal(client.count("send"), sentBefore + 1);
    again.online();
    await settle();
    await settle();
    assert.deepEqual(texts(again), [["one", "sent"], ["two", "sent"]]);
    const sends = client.calls.filter((c) => c[0] === "send").map((c) => [c[2].message, c[2].client_id]);
    assert.deepEqual(sends.slice(-2), [["one", "client-1"], ["two", "client-2"]]);
    assert.deepEqual([...storage.data.keys()], []);
  });

  test("a refusal fails that message only, with the reason; the next ones go", async () => {
    client.outcomes = [refused, "ok"];
    const conv = await loaded();
    conv.send({ message: "x".repeat(6000) });
    conv.send({ message: "short" });
    await settle();
    await settle();
    // What was sent takes its place in the conversation; what failed stays last, with its reason.
    assert.deepEqual(texts(conv), [["short", "sent"], ["x".repeat(6000), "failed"]]);
    assert.equal(conv.items[1].error, refused);
    conv.discard(conv.items[1]);
    assert.deepEqual(texts(conv), [["short", "sent"]]);
  });

  test("the outbox tries again by itself, waiting longer each time", async () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    try {
      client.outcomes = [offline, offline, "ok"];
      const conv = await loaded();
      conv.send({ message: "hello" });
      await settle();
      assert.equal(client.count("send"), 1);
      mock.timers.tick(TIMINGS.resendFirst);
      await settle();
      assert.equal(client.count("send"), 2);
      mock.timers.tick(TIMINGS.resendFirst); // the second wait is twice as long
      await settle();
      assert.equal(client.count("send"), 2);
      mock.timers.tick(TIMINGS.resendFirst);
      await settle();
      await settle();
      assert.equal(client.count("send"), 3);
      assert.deepEqual(texts(conv), [["hello", "sent"]]);
    } finally {
      mock.timers.reset();
    }
  });

  test("which failures are worth trying again", () => {
    assert.equal(isTransient(offline), true);
    assert.equal(isTransient({ status: 503 }), true);
    assert.equal(isTransient({ status: 429, retryAfter: 3 }), true);
    assert.equal(isTransient(refused), false);
    assert.equal(isTransient({ status: 403 }), false);
  });
});

describe("reading, receipts and typing", () => {
  test("messages from the other side are marked read once, when they may be", async () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    try {
      let visible = false;
      client.history.room.unread_count = 2;
      const conv = new Conversation({ client, roomId: ROOM, me: ME, storage, canRead: () => visible });
      await conv.load();
      mock.timers.tick(TIMINGS.markReadDelay);
      await settle();
      assert.equal(client.count("markRead"), 0); // the tab is hidden
      visible = true;
      conv.receive(message(5, AGENT, "Are you there?"));
      conv.receive(message(6, AGENT, "Hello?"));
      mock.timers.tick(TIMINGS.markReadDelay);
      await settle();
      assert.equal(client.count("markRead"), 1); // one call for the burst
      conv.receive(message(7, ME, "Yes"));
      mock.timers.tick(TIMINGS.markReadDelay);
      await settle();
      assert.equal(client.count("markRead"), 1); // one's own message is nothing to read
    } finally {
      mock.timers.reset();
    }
  });

  test('"Seen" follows the other side\'s reads, and only the last sent message says it', async () => {
    client.history.results = [message(1, ME, "one"), message(2, ME, "two", { is_read: true }), message(3, ME, "three")];
    const conv = await loaded();
    assert.equal(conv.seenUpTo, 2);
    assert.equal(conv.lastSent().message.id, 3);
    assert.equal(conv.isSeen(conv.items[2]), false);
    conv.read({ room: ROOM, reader: ME, last_read_id: 3 }); // one's own read: nothing
    assert.equal(conv.isSeen(conv.items[2]), false);
    conv.read({ room: ROOM, reader: AGENT, last_read_id: 3 });
    assert.equal(conv.isSeen(conv.items[2]), true);
  });

  test("typing: throttled by the client, stopped after a pause, others shown for a while", async () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    try {
      const conv = await loaded();
      conv.typed("H");
      conv.typed("He");
      assert.deepEqual(client.calls.filter((c) => c[0] === "typing").map((c) => c[2]), [true, true]);
      mock.timers.tick(TIMINGS.typingIdle);
      assert.deepEqual(client.calls.filter((c) => c[0] === "typing").map((c) => c[2]), [true, true, false]);

      conv.peerTyping({ room: ROOM, user: AGENT, is_typing: true });
      assert.equal(conv.typingName, "Budi Santoso");
      conv.peerTyping({ room: ROOM, user: ME, is_typing: false }); // one's own echo: ignored
      assert.equal(conv.typingName, "Budi Santoso");
      mock.timers.tick(TIMINGS.typingShown);
      assert.equal(conv.typingName, null);
      conv.peerTyping({ room: ROOM, user: AGENT, is_typing: true });
      conv.receive(message(8, AGENT, "Here it is"));
      assert.equal(conv.typingName, null); // the message ends the typing
    } finally {
      mock.timers.reset();
    }
  });
});

describe("the admin's side", () => {
  test("agents are one side: a colleague's message is the agents' own, the customer's read is the receipt", async () => {
    const customer = { id: 7, name: "Eka", is_agent: false };
    const colleague = { id: 2, name: "Sari", is_agent: true };
    client.history.results = [message(1, customer, "Hi"), message(2, colleague, "Hello Eka")];
    const conv = await loaded({
      me: AGENT,
      isMine: (m) => m.sender.id !== customer.id,
      isPeerReader: (reader) => reader.id === customer.id,
    });
    assert.deepEqual(conv.items.map((i) => i.mine), [false, true]);
    conv.read({ room: ROOM, reader: colleague, last_read_id: 2 });
    assert.equal(conv.isSeen(conv.items[1]), false);
    conv.read({ room: ROOM, reader: customer, last_read_id: 2 });
    assert.equal(conv.isSeen(conv.items[1]), true);
  });
});
