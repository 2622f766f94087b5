/* oscar_chat: the client of the chat API and its event stream (widget and admin). */
import { TIMINGS } from "./timings.js";

// "customer" (agents): the store page and basket a customer has now.
const EVENTS = ["message", "room", "typing", "read", "reset", "customer"];

export function cookie(name) {
  const m = document.cookie.match("(?:^|; )" + name + "=([^;]*)");
  return m ? decodeURIComponent(m[1]) : "";
}

function query(params) {
  const parts = [];
  for (const [k, v] of Object.entries(params || {}))
    if (v !== undefined && v !== null && v !== "") parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(v));
  return parts.length ? "?" + parts.join("&") : "";
}

/** The first message of a DRF error: {"detail": …} or {"field": ["…"]}. @returns {string} */
export function errorText(body) {
  if (!body || typeof body !== "object") return "";
  if (typeof body.detail === "string") return body.detail;
  for (const v of Object.values(body)) {
    if (Array.isArray(v) && v.length) return typeof v[0] === "string" ? v[0] : errorText(v[0]);
    if (typeof v === "string") return v;
  }
  return "";
}

const roomKey = (r) => [r.last_activity, r.unread_count, r.status, r.priority, r.admin && r.admin.id, r.subject].join("|");

export function newClientId() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
}

const parse = (text) => {
  try {
    return text ? JSON.parse(text) : null;
  } catch (e) {
    return null;
  }
};

/** @returns {ChatApiError} */
function apiError(message, status, body, retryAfter) {
  return Object.assign(new Error(message), { status, body, retryAfter: parseInt(retryAfter || "", 10) || null });
}

// An answer that is not 2xx, from fetch or XHR.
const failure = (status, statusText, data, retryAfter) => apiError(errorText(data) || statusText || "HTTP " + status, status, data, retryAfter);

export class Client {
  constructor(options = {}) {
    this.apiRoot = (options.apiRoot || "/api/chat/").replace(/\/?$/, "/");
    this.csrfToken = options.csrfToken || "";
    this.csrfCookie = options.csrfCookie || "csrftoken";
    this.pollInterval = options.pollInterval || 5000;
    this.typingInterval = options.typingInterval || TIMINGS.typingThrottle;
    this.state = "idle";
    this._handlers = {};
    this._seen = new Set();
    this._lastIds = {};
    this._typingSent = {};
    this._rooms = {};
    this._failures = 0;
    this._attempt = 0;
    this.watching = null;
    this.room = null;
    this.lastEventId = null;
    this._source = null;
    this._pollTimer = null;
    this._retryTimer = null;
  }

  _csrf() {
    return cookie(this.csrfCookie) || this.csrfToken; // the cookie: rotated at sign-in
  }

  /** @param {string} method @param {string} path @param {any} [body] @param {Record<string, any>} [params] */
  async request(method, path, body, params) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRFToken"] = this._csrf();
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(this.apiRoot + path + query(params), {
        method, credentials: "same-origin", headers, body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (cause) {
      throw apiError((cause && cause.message) || "Network error", 0, null);
    }
    const data = parse(await response.text());
    if (response.ok) return data;
    throw failure(response.status, response.statusText, data, response.headers.get("Retry-After"));
  }

  // False for a message already delivered (replayed or polled twice).
  _remember(m) {
    if (!m || m.id == null) return true;
    if (!(m.room in this._lastIds) || m.id > this._lastIds[m.room]) this._lastIds[m.room] = m.id;
    if (this._seen.has(m.id)) return false;
    this._seen.add(m.id);
    if (this._seen.size > 5000) this._seen.delete(this._seen.values().next().value);
    return true;
  }

  async listRooms(params) {
    const page = await this.request("GET", "rooms", undefined, params);
    for (const room of page.results || []) this._rooms[room.id] = roomKey(room);
    return page;
  }
  openRoom(data) {
    return this.request("POST", "rooms", data);
  }
  async getRoom(id, params) {
    const data = await this.request("GET", "rooms/" + id, undefined, params);
    if (!(id in this._lastIds)) this._lastIds[id] = 0;
    (data.results || []).forEach((m) => this._remember(m));
    return data;
  }
  async send(roomId, data) {
    const body = {};
    for (const [k, v] of Object.entries(data || {})) if (v !== undefined && v !== null) body[k] = v;
    if (!body.client_id) body.client_id = data.client_id = newClientId(); // a retry reuses it
    this._typingSent[roomId] = 0;
    const message = await this.request("POST", "rooms/" + roomId, body);
    this._remember(message);
    return message;
  }
  // Multipart, with upload progress: XHR, as fetch has none.
  /** @param {number} roomId @param {File} file @param {Record<string, any>} data @param {(fraction: number) => void} [onProgress] @returns {Promise<any>} */
  upload(roomId, file, data, onProgress) {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      form.append("file", file);
      for (const [k, v] of Object.entries(data)) if (v) form.append(k, v);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", this.apiRoot + "rooms/" + roomId);
      xhr.setRequestHeader("X-CSRFToken", this._csrf());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (event) => {
        if (onProgress && event.lengthComputable) onProgress(event.loaded / event.total);
      };
      xhr.onload = () => {
        const body = parse(xhr.responseText);
        if (xhr.status >= 200 && xhr.status < 300) {
          this._remember(body);
          resolve(body);
        } else reject(failure(xhr.status, "", body, xhr.getResponseHeader("Retry-After")));
      };
      xhr.onerror = () => reject(apiError("Network error", 0, null));
      xhr.send(form);
    });
  }
  manage(id, data) {
    return this.request("PATCH", "rooms/" + id + "/manage", data);
  }
  markRead(id) {
    return this.request("POST", "rooms/" + id + "/read");
  }
  // "typing" at most once per typingInterval; "stopped" only after "typing".
  typing(id, isTyping) {
    const now = Date.now();
    const last = this._typingSent[id] || 0;
    if (isTyping ? now - last < this.typingInterval : !last) return Promise.resolve(null);
    this._typingSent[id] = isTyping ? now : 0;
    return this.request("POST", "rooms/" + id + "/typing", { is_typing: !!isTyping }).catch(() => null); // a courtesy
  }
  unread() {
    return this.request("GET", "unread");
  }
  presence() {
    return this.request("GET", "presence");
  }
  searchProducts(q, limit) {
    return this.request("GET", "products/search", undefined, { q: q || "", limit });
  }
  product(id) {
    return this.request("GET", "products/" + id);
  }
  addToBasket(id, quantity) {
    return this.request("POST", "products/" + id + "/basket", { quantity: quantity || 1 });
  }
  applyVoucher(code) {
    return this.request("POST", "vouchers/" + encodeURIComponent(code) + "/basket", {});
  }
  addToWishlist(id) {
    return this.request("POST", "products/" + id + "/wishlist", {});
  }
  newClientId() {
    return newClientId();
  }

  on(name, fn) {
    (this._handlers[name] = this._handlers[name] || []).push(fn);
    return this;
  }
  off(name, fn) {
    this._handlers[name] = fn ? (this._handlers[name] || []).filter((f) => f !== fn) : [];
    return this;
  }
  emit(name, data) {
    for (const fn of (this._handlers[name] || []).slice()) {
      try {
        fn(data);
      } catch (e) {
        console.error(e);
      }
    }
  }
  _setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.emit("connection", state);
  }
  _deliver(name, data) {
    if (name === "message" && !this._remember(data)) return;
    if (name === "room" && data && data.id != null) this._rooms[data.id] = roomKey(data);
    this.emit(name, data);
  }

  // The room on screen, whose messages polling fetches.
  watch(roomId) {
    this.watching = roomId || null;
  }

  // One EventSource per client (per tab), resumed by last_event_id; polling when it cannot stream.
  connect(options = {}) {
    if (options.room) this.room = options.room;
    this._wanted = true;
    this._open();
    return this;
  }

  _closeStream() {
    if (this._source) this._source.close();
    this._source = null;
  }

  async _open() {
    const attempt = ++this._attempt;
    clearTimeout(this._retryTimer);
    this._closeStream();
    if (!globalThis.EventSource) return this._startPolling();
    if (this.state !== "polling") this._setState("connecting");
    let ticket;
    try {
      ticket = await this.request("POST", "sse/ticket");
    } catch (e) {
      if (attempt === this._attempt) this._retry();
      return;
    }
    if (!this._wanted || attempt !== this._attempt) return; // a newer attempt took over
    const source = new EventSource(this.apiRoot + "sse" + query({ ticket: ticket.ticket, room: this.room, last_event_id: this.lastEventId }));
    this._source = source;
    source.onopen = () => {
      this._failures = 0;
      // The stream replays from lastEventId; a poll covers a stream that broke before any id.
      if (this._opened || this.state === "polling") this.poll().catch(() => {});
      this._opened = true;
      this._stopPolling();
      this._setState("live");
    };
    for (const name of EVENTS)
      source.addEventListener(name, (event) => {
        if (event.lastEventId) this.lastEventId = event.lastEventId;
        const data = parse(event.data);
        if (data || !event.data) this._deliver(name, data); // not a malformed one
      });
    source.onerror = () => {
      // Tickets are single-use: reconnect with a fresh one.
      if (this._source !== source) return;
      this._closeStream();
      this._retry();
    };
  }

  _retry() {
    if (!this._wanted) return;
    this._failures += 1;
    // Poll meanwhile, so that nothing waits for the backoff.
    if (this._failures >= 2 || this.state === "polling") this._startPolling();
    else this._setState("connecting");
    const delay = Math.min(30000, 1000 * Math.pow(2, this._failures - 1)) * (0.75 + Math.random() / 2);
    this._retryTimer = setTimeout(() => this._open(), delay);
  }

  _startPolling() {
    this._setState("polling");
    if (this._pollTimer) return;
    const tick = async () => {
      try {
        await this.poll();
        // The server is back: stream again now, not after the backoff.
        if (this._pollFailed && !this._source) this._open();
        this._pollFailed = false;
      } catch (e) {
        this._pollFailed = true;
      }
      if (this._pollTimer) this._pollTimer = setTimeout(tick, this.pollInterval);
    };
    this._pollTimer = setTimeout(tick, 0);
  }

  _stopPolling() {
    clearTimeout(this._pollTimer);
    this._pollTimer = null;
  }

  // Changed rooms become "room" events, new messages of the watched room "message" events.
  async poll() {
    const rooms = this.request("GET", "rooms").then((page) => {
      for (const room of page.results || []) {
        if (this.room && room.id !== this.room) continue;
        if (this._rooms[room.id] !== roomKey(room)) this._deliver("room", room);
      }
    });
    const id = this.watching || this.room;
    const after = async () => {
      if (!id) return;
      const data = await this.request("GET", "rooms/" + id, undefined, { after: this._lastIds[id] });
      for (const m of data.results || []) this._deliver("message", m);
      if (data.has_more) await after();
    };
    await Promise.all([rooms, id && id in this._lastIds ? after() : null]);
  }
}

// The admin's classic scripts (rooms list, live status) find the client here.
if (globalThis.window) {
  window.OscarChat = Object.assign(window.OscarChat || {}, { Client, errorText, cookie });
}
