/* oscar_chat: the client of the chat API and its event stream (widget and admin). */
(function () {
  "use strict";
  var OC = (window.OscarChat = window.OscarChat || {});
  var EVENTS = ["message", "room", "typing", "read", "reset"];

  function cookie(name) {
    var m = document.cookie.match("(?:^|; )" + name + "=([^;]*)");
    return m ? decodeURIComponent(m[1]) : "";
  }

  function query(params) {
    var parts = [];
    Object.keys(params || {}).forEach(function (k) {
      var v = params[k];
      if (v !== undefined && v !== null && v !== "") parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(v));
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  // The first message of a DRF error: {"detail": …} or {"field": ["…"]}.
  function errorText(body) {
    if (!body || typeof body !== "object") return "";
    if (typeof body.detail === "string") return body.detail;
    for (var k in body) {
      var v = body[k];
      if (Array.isArray(v) && v.length) return typeof v[0] === "string" ? v[0] : errorText(v[0]);
      if (typeof v === "string") return v;
    }
    return "";
  }

  function roomKey(r) {
    return [r.last_activity, r.unread_count, r.status, r.priority, r.admin && r.admin.id, r.subject].join("|");
  }

  function clientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  function Client(options) {
    options = options || {};
    this.apiRoot = (options.apiRoot || "/api/chat/").replace(/\/?$/, "/");
    this.csrfToken = options.csrfToken;
    this.csrfCookie = options.csrfCookie || "csrftoken";
    this.pollInterval = options.pollInterval || 5000;
    this.typingInterval = options.typingInterval || 3000;
    this.state = "idle";
    this._handlers = {};
    this._seen = {};
    this._seenOrder = [];
    this._lastIds = {}; // newest message id per room, for polling
    this._typingSent = {};
    this._rooms = {};
    this._failures = 0;
  }

  var P = Client.prototype;

  P.request = function (method, path, body, params) {
    var headers = { Accept: "application/json" };
    var init = { method: method, credentials: "same-origin", headers: headers };
    if (method !== "GET") {
      headers["X-CSRFToken"] = cookie(this.csrfCookie) || this.csrfToken; // the cookie: rotated at sign-in
      if (body !== undefined) {
        headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
    }
    return fetch(this.apiRoot + path + query(params), init).then(
      function (response) {
        return response.text().then(function (text) {
          var data = null;
          try {
            data = text ? JSON.parse(text) : null;
          } catch (e) {
            data = null;
          }
          if (response.ok) return data;
          var error = new Error(errorText(data) || response.statusText || "HTTP " + response.status);
          error.status = response.status;
          error.body = data;
          error.retryAfter = parseInt(response.headers.get("Retry-After"), 10) || null;
          throw error;
        });
      },
      function (cause) {
        var error = new Error(cause && cause.message ? cause.message : "Network error");
        error.status = 0;
        error.body = null;
        throw error;
      }
    );
  };

  // False for a message already delivered (replayed or polled twice).
  P._remember = function (m) {
    if (!m || m.id == null) return true;
    if (!(m.room in this._lastIds) || m.id > this._lastIds[m.room]) this._lastIds[m.room] = m.id;
    if (this._seen[m.id]) return false;
    this._seen[m.id] = true;
    this._seenOrder.push(m.id);
    if (this._seenOrder.length > 5000) delete this._seen[this._seenOrder.shift()];
    return true;
  };

  // REST

  P.listRooms = function (params) {
    var self = this;
    return this.request("GET", "rooms", undefined, params).then(function (page) {
      (page.results || []).forEach(function (room) {
        self._rooms[room.id] = roomKey(room);
      });
      return page;
    });
  };
  P.openRoom = function (data) {
    return this.request("POST", "rooms", data);
  };
  P.getRoom = function (id, params) {
    var self = this;
    return this.request("GET", "rooms/" + id, undefined, params).then(function (data) {
      if (!(id in self._lastIds)) self._lastIds[id] = 0;
      (data.results || []).forEach(self._remember, self);
      return data;
    });
  };
  P.send = function (roomId, data) {
    var self = this;
    var body = {};
    Object.keys(data || {}).forEach(function (k) {
      if (data[k] !== undefined && data[k] !== null) body[k] = data[k];
    });
    if (!body.client_id) body.client_id = clientId();
    if (data) data.client_id = body.client_id; // a retry reuses it
    this._typingSent[roomId] = 0;
    return this.request("POST", "rooms/" + roomId, body).then(function (message) {
      self._remember(message);
      return message;
    });
  };
  P.manage = function (id, data) {
    return this.request("PATCH", "rooms/" + id + "/manage", data);
  };
  P.markRead = function (id) {
    return this.request("POST", "rooms/" + id + "/read");
  };
  // "typing" at most once per typingInterval; "stopped" only after "typing".
  P.typing = function (id, isTyping) {
    var now = Date.now();
    var last = this._typingSent[id] || 0;
    if (isTyping ? now - last < this.typingInterval : !last) return Promise.resolve(null);
    this._typingSent[id] = isTyping ? now : 0;
    return this.request("POST", "rooms/" + id + "/typing", { is_typing: !!isTyping }).catch(function () {
      return null; // a courtesy: never an error
    });
  };
  P.unread = function () {
    return this.request("GET", "unread");
  };
  P.searchProducts = function (q, limit) {
    return this.request("GET", "products/search", undefined, { q: q || "", limit: limit });
  };
  P.product = function (id) {
    return this.request("GET", "products/" + id);
  };
  P.addToBasket = function (id, quantity) {
    return this.request("POST", "products/" + id + "/basket", { quantity: quantity || 1 });
  };
  P.addToWishlist = function (id) {
    return this.request("POST", "products/" + id + "/wishlist", {});
  };
  P.newClientId = clientId;

  // Events

  P.on = function (name, fn) {
    (this._handlers[name] = this._handlers[name] || []).push(fn);
    return this;
  };
  P.off = function (name, fn) {
    var list = this._handlers[name] || [];
    this._handlers[name] = fn ? list.filter(function (f) { return f !== fn; }) : [];
    return this;
  };
  P.emit = function (name, data) {
    (this._handlers[name] || []).slice().forEach(function (fn) {
      try {
        fn(data);
      } catch (e) {
        if (window.console) console.error(e);
      }
    });
  };
  P._setState = function (state) {
    if (state === this.state) return;
    this.state = state;
    this.emit("connection", state);
  };
  P._deliver = function (name, data) {
    if (name === "message" && !this._remember(data)) return;
    if (name === "room" && data && data.id != null) this._rooms[data.id] = roomKey(data);
    this.emit(name, data);
  };

  // The room on screen, whose messages polling fetches.
  P.watch = function (roomId) {
    this.watching = roomId || null;
  };

  // One EventSource per client (per tab), resumed by Last-Event-ID; polling when it cannot stream.
  P.connect = function (options) {
    options = options || {};
    if (options.room) this.room = options.room;
    this._wanted = true;
    this._open();
    return this;
  };

  P.disconnect = function () {
    this._wanted = false;
    this._closeStream();
    clearTimeout(this._retryTimer);
    clearTimeout(this._pollTimer);
    this._pollTimer = null;
    this._setState("idle");
  };

  P._closeStream = function () {
    if (this._source) {
      this._source.close();
      this._source = null;
    }
  };

  P._open = function () {
    var self = this;
    var attempt = (this._attempt = (this._attempt || 0) + 1);
    clearTimeout(this._retryTimer);
    this._closeStream();
    if (!window.EventSource) return this._startPolling();
    if (this.state !== "polling") this._setState("connecting");
    this.request("POST", "sse/ticket").then(
      function (ticket) {
        if (!self._wanted || attempt !== self._attempt) return; // a newer attempt took over
        var source = new EventSource(
          self.apiRoot + "sse" + query({ ticket: ticket.ticket, room: self.room, last_event_id: self.lastEventId })
        );
        self._source = source;
        source.onopen = function () {
          self._failures = 0;
          // The stream replays from lastEventId; a poll covers a stream that broke before any id.
          if (self._opened || self.state === "polling") self.poll().then(null, function () {});
          self._opened = true;
          self._stopPolling();
          self._setState("live");
        };
        EVENTS.forEach(function (name) {
          source.addEventListener(name, function (event) {
            if (event.lastEventId) self.lastEventId = event.lastEventId;
            var data = null;
            try {
              data = event.data ? JSON.parse(event.data) : null;
            } catch (e) {
              return;
            }
            self._deliver(name, data);
          });
        });
        source.onerror = function () {
          // Tickets are single-use: reconnect with a fresh one.
          if (self._source !== source) return;
          self._closeStream();
          self._retry();
        };
      },
      function () {
        if (attempt === self._attempt) self._retry();
      }
    );
  };

  P._retry = function () {
    if (!this._wanted) return;
    this._failures += 1;
    // Poll meanwhile, so that nothing waits for the backoff.
    if (this._failures >= 2 || this.state === "polling") this._startPolling();
    else this._setState("connecting");
    var delay = Math.min(30000, 1000 * Math.pow(2, this._failures - 1)) * (0.75 + Math.random() / 2);
    var self = this;
    this._retryTimer = setTimeout(function () {
      self._open();
    }, delay);
  };

  P._startPolling = function () {
    this._setState("polling");
    if (this._pollTimer) return;
    var self = this;
    var tick = function () {
      self.poll().then(
        function () {
          // The server is back: stream again now, not after the backoff.
          if (self._pollFailed && !self._source) self._open();
          self._pollFailed = false;
        },
        function () {
          self._pollFailed = true;
        }
      ).then(function () {
        if (self._pollTimer) self._pollTimer = setTimeout(tick, self.pollInterval);
      });
    };
    this._pollTimer = setTimeout(tick, 0);
  };

  P._stopPolling = function () {
    clearTimeout(this._pollTimer);
    this._pollTimer = null;
  };

  // Changed rooms become "room" events; new messages of the watched room "message" events.
  P.poll = function () {
    var self = this;
    var rooms = this.request("GET", "rooms").then(function (page) {
      (page.results || []).forEach(function (room) {
        if (self.room && room.id !== self.room) return;
        if (self._rooms[room.id] !== roomKey(room)) self._deliver("room", room);
      });
    });
    var id = this.watching || this.room;
    var after = function () {
      return self.request("GET", "rooms/" + id, undefined, { after: self._lastIds[id] }).then(function (data) {
        (data.results || []).forEach(function (m) {
          self._deliver("message", m);
        });
        if (data.has_more) return after();
      });
    };
    return Promise.all([rooms, id && id in this._lastIds ? after() : null]);
  };

  OC.Client = Client;
  OC.errorText = errorText;
  OC.cookie = cookie;
})();
