/* oscar_chat: one conversation's state and behaviour (widget and admin). No DOM: views draw
   its changes. Types: types/chat.d.ts. */
import { TIMINGS } from "./timings.js";

const UNSENT = ["sending", "queued", "failed"];

const keyOf = (m) => (m.id != null ? "id:" + m.id : "c:" + m.client_id);

// A network failure or an outage: worth trying again by itself.
export const isTransient = (error) => !error || !error.status || error.status >= 500 || error.status === 429;

export class Conversation {
  /** @param {ChatConversationOptions} options */
  constructor(options) {
    this.client = options.client;
    this.roomId = options.roomId;
    this.me = options.me;
    const me = this.me;
    this.isMine = options.isMine || ((m) => !!(me && m.sender && m.sender.id === me.id));
    this.isPeerReader = options.isPeerReader || ((reader) => !me || !reader || reader.id !== me.id);
    this.canRead = options.canRead || (() => true);
    this.storage = options.storage || null;
    this.t = options.timings || TIMINGS;
    this.items = [];
    this.room = null;
    this.hasMore = false;
    this.loadingOlder = false;
    this.loaded = false;
    this.seenUpTo = 0;
    this.typingName = null;
    this.flushing = false;
    this.resendDelay = this.t.resendFirst;
    this._listeners = [];
    this._timers = {};
    this._restoreOutbox();
  }

  subscribe(fn) {
    this._listeners.push(fn);
    return () => (this._listeners = this._listeners.filter((f) => f !== fn));
  }

  _emit(change) {
    for (const fn of this._listeners.slice()) fn(change);
  }

  _later(name, fn, delay) {
    clearTimeout(this._timers[name]);
    this._timers[name] = setTimeout(fn, delay);
  }

  destroy() {
    for (const name in this._timers) clearTimeout(this._timers[name]);
    this.stopTyping();
    this._listeners = [];
    this.destroyed = true;
  }

  // The newest page, or the one the page was rendered with.
  async load(initial) {
    const data = initial || (await this.client.getRoom(this.roomId));
    if (this.destroyed) return;
    if (data.room) this.room = data.room;
    this.hasMore = !!data.has_more;
    for (const m of data.results || []) if (this.isMine(m) && m.is_read && m.id > this.seenUpTo) this.seenUpTo = m.id;
    const unsent = this.items.filter((item) => item.status !== "sent");
    this.items = (data.results || []).map((m) => this._item(m));
    for (const item of unsent) if (!this._find(item.message)) this.items.push(item);
    this.loaded = true;
    this._emit({ type: "reset" });
    this.markReadSoon();
    this.flush();
    return data;
  }

  // After a reconnect or a reset of the stream.
  async refresh() {
    const data = await this.client.getRoom(this.roomId);
    for (const m of data.results || []) this.receive(m);
    if (data.room) this.updateRoom(data.room);
  }

  async loadOlder() {
    const oldest = this.items.find((item) => item.message.id != null);
    if (!this.hasMore || this.loadingOlder || !oldest) return [];
    this.loadingOlder = true;
    this._emit({ type: "older-loading" });
    try {
      const data = await this.client.getRoom(this.roomId, { before: oldest.message.id });
      const added = (data.results || [])
        .filter((m) => !this._find(m))
        .map((m) => this._item(m));
      this.items = added.concat(this.items);
      this.hasMore = !!data.has_more;
      this.loadingOlder = false;
      this._emit({ type: "older", items: added });
      return added;
    } catch (error) {
      this.loadingOlder = false;
      this._emit({ type: "older-failed" });
      throw error;
    }
  }

  _item(m) {
    return { key: keyOf(m), message: m, mine: this.isMine(m), status: "sent" };
  }

  // By id, or one's own unsent copy by client_id.
  _find(m) {
    return this.items.find(
      (item) => (m.id != null && item.message.id === m.id) ||
        (!!m.client_id && item.message.client_id === m.client_id && item.mine && this.isMine(m))
    );
  }

  // In id order, before one's own unsent ones.
  _indexFor(id) {
    let index = this.items.findIndex((item) => item.status !== "sent" || (item.message.id != null && item.message.id > id));
    return index < 0 ? this.items.length : index;
  }

  // From the stream, polling or an answer: added once, or replacing one's own pending copy.
  receive(m) {
    if (!m || m.room !== this.roomId) return false;
    const known = this._find(m);
    if (known) {
      const wasUnsent = known.status !== "sent";
      Object.assign(known, { message: m, status: "sent", error: null, progress: undefined });
      if (wasUnsent) this._saveOutbox();
      const from = this.items.indexOf(known);
      this.items.splice(from, 1);
      const to = this._indexFor(m.id);
      this.items.splice(to, 0, known);
      this._emit(from === to ? { type: "update", item: known } : { type: "move", item: known, index: to });
      return false;
    }
    const item = this._item(m);
    const index = this._indexFor(m.id);
    this.items.splice(index, 0, item);
    this._emit({ type: "add", item, index });
    if (!item.mine) {
      this.peerTyping(null);
      if (this.room) this.room.unread_count = (this.room.unread_count || 0) + 1;
      this.markReadSoon();
    }
    return true;
  }

  updateRoom(room) {
    if (!room || room.id !== this.roomId) return;
    this.room = room;
    this._emit({ type: "room" });
    this.markReadSoon();
  }

  // The other side read up to last_read_id: "Seen".
  read(event) {
    if (!event || event.room !== this.roomId || !this.isPeerReader(event.reader)) return;
    if (event.last_read_id > this.seenUpTo) {
      this.seenUpTo = event.last_read_id;
      this._emit({ type: "seen" });
    }
  }

  isSeen(item) {
    return item.mine && item.status === "sent" && !!item.message.id && (!!item.message.is_read || item.message.id <= this.seenUpTo);
  }

  // The one that says "Sent" or "Seen".
  lastSent() {
    for (let i = this.items.length - 1; i >= 0; i--) if (this.items[i].mine && this.items[i].status === "sent") return this.items[i];
    return null;
  }

  peerTyping(event) {
    if (event && (event.room !== this.roomId || (this.me && event.user && event.user.id === this.me.id))) return;
    const name = event && event.is_typing ? (event.user && event.user.name) || "" : null;
    clearTimeout(this._timers.peerTyping);
    if (name !== null) this._later("peerTyping", () => this.peerTyping(null), this.t.typingShown);
    if (name === this.typingName) return;
    this.typingName = name;
    this._emit({ type: "typing" });
  }

  markReadSoon() {
    this._later("read", () => this.markRead(), this.t.markReadDelay);
  }

  async markRead() {
    const room = this.room;
    if (!room || !room.unread_count || !this.canRead() || this.destroyed) return false;
    room.unread_count = 0;
    try {
      await this.client.markRead(this.roomId);
      this._emit({ type: "read" });
      return true;
    } catch (error) {
      room.unread_count = 1; // tried again on the next room update
      return false;
    }
  }

  // The composer's text changed.
  typed(text) {
    if (!text.trim()) return this.stopTyping();
    this.client.typing(this.roomId, true);
    this._later("typing", () => this.stopTyping(), this.t.typingIdle);
  }

  stopTyping() {
    clearTimeout(this._timers.typing);
    this.client.typing(this.roomId, false);
  }

  // Shown at once, kept in the outbox until the API has it, sent in order.
  /** @param {ChatDraft} data @returns {ChatItem} */
  send(data) {
    const type = data.message_type || "TEXT";
    const clientId = this.client.newClientId();
    const message = {
      id: null, room: this.roomId, sender: this.me, message: data.message || "", message_type: type,
      product: data.product || null, order: data.order || null, voucher: data.voucher || null,
      created_at: new Date().toISOString(), client_id: clientId,
      attachment: data.file ? { url: "", name: data.file.name, size: data.file.size, content_type: data.file.type } : null,
    };
    /** @type {ChatItem} */
    const item = {
      key: "c:" + clientId, message, mine: true, status: "queued", file: data.file,
      data: { message: data.message || "", message_type: type, product_id: data.product_id, client_id: clientId },
    };
    // The cards the agents share name what they carry (API 1.1).
    if (data.order_number) item.data.order_number = data.order_number;
    if (data.voucher_code) item.data.voucher_code = data.voucher_code;
    this.items.push(item);
    this._emit({ type: "add", item, index: this.items.length - 1 });
    this.stopTyping();
    this._saveOutbox();
    this.flush();
    return item;
  }

  // A failed one, or a queued one without waiting.
  retry(item) {
    if (item.status === "sent" || item.status === "sending") return;
    this._setStatus(item, "queued");
    this.resendDelay = this.t.resendFirst;
    this.flush();
  }

  discard(item) {
    if (item.status === "sent" || item.status === "sending") return;
    this.items.splice(this.items.indexOf(item), 1);
    this._saveOutbox();
    this._emit({ type: "remove", item });
  }

  online() {
    this.resendDelay = this.t.resendFirst;
    this.flush();
  }

  _setStatus(item, status, error) {
    item.status = status;
    item.error = error || null;
    this._emit({ type: "update", item });
  }

  // One after another, in order; a network failure stops the line.
  async flush() {
    if (this.flushing || !this.loaded || this.destroyed) return;
    this.flushing = true;
    clearTimeout(this._timers.resend);
    try {
      let item;
      while ((item = this.items.find((i) => i.status === "queued"))) {
        this._setStatus(item, "sending");
        try {
          const sent = item.file
            ? await this.client.upload(this.roomId, item.file, item.data, (fraction) => {
                item.progress = fraction;
                this._emit({ type: "progress", item });
              })
            : await this.client.send(this.roomId, item.data);
          this.resendDelay = this.t.resendFirst;
          this.receive(sent);
        } catch (error) {
          if (item.status === "sent") continue; // the stream confirmed it meanwhile
          if (isTransient(error) && !item.file) {
            this._setStatus(item, "queued", error);
            const wait = error && error.retryAfter ? error.retryAfter * 1000 : this.resendDelay;
            this.resendDelay = Math.min(this.resendDelay * 2, this.t.resendMax);
            this._later("resend", () => this.flush(), wait);
            break;
          }
          this._setStatus(item, "failed", error);
          this._saveOutbox();
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  pending() {
    return this.items.filter((item) => item.status !== "sent");
  }

  _outboxKey() {
    return "oscar-chat:outbox:" + (this.me ? this.me.id : "") + ":" + this.roomId;
  }

  // Kept across page loads; files cannot be.
  _saveOutbox() {
    if (!this.storage) return;
    const kept = this.items.filter((item) => UNSENT.includes(item.status) && item.status !== "failed" && !item.file);
    try {
      if (kept.length) this.storage.setItem(this._outboxKey(), JSON.stringify(kept.map((item) => ({ message: item.message, data: item.data }))));
      else this.storage.removeItem(this._outboxKey());
    } catch (e) {
      /* storage full or denied: the outbox lasts for this page */
    }
  }

  _restoreOutbox() {
    if (!this.storage) return;
    let kept = [];
    try {
      kept = JSON.parse(this.storage.getItem(this._outboxKey()) || "[]");
    } catch (e) {
      kept = [];
    }
    for (const entry of Array.isArray(kept) ? kept : [])
      if (entry && entry.message && entry.data && entry.data.client_id)
        this.items.push({ key: "c:" + entry.data.client_id, message: entry.message, data: entry.data, mine: true, status: "queued" });
  }
}
