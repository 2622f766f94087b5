/* oscar_chat admin: one conversation. History (older pages on scroll), live messages, the reply
   composer (optimistic, idempotent by client_id), typing both ways, read receipts, quick replies
   (type "/"), product sharing with the widget's picker, and status/priority/assignee controls.
   Staff who may only view get the history, read-only. Message text is always set as text. */
(function () {
  "use strict";
  var OC = window.OscarChat || {};
  var admin = OC.admin;
  if (!admin || !OC.renderMessage) return;
  var _ = admin._;
  var config = admin.config;
  var room = config.room;
  var me = config.me;
  var customerId = room.user.id;

  var historyBox = document.getElementById("oc-history");
  var list = document.getElementById("oc-messages");
  var top = document.getElementById("oc-history-top");
  var typingBox = document.getElementById("oc-typing");
  var composer = document.getElementById("oc-composer");
  var input = document.getElementById("oc-input");
  var menu = document.getElementById("oc-quick-replies");
  var controlStatus = document.getElementById("oc-control-status");
  historyBox.classList.add("oc-ui");
  if (menu) menu.classList.add("oc-ui");

  var entries = {}; // message id -> {message, node}
  var pending = {}; // client_id -> {data, node, display}
  var hasMore = !!(config.history && config.history.has_more);
  var loadingOlder = false;
  var seenUpTo = 0; // the newest agent message the customer has read
  var client = config.live ? admin.start() : null;

  function isCustomer(message) {
    return message.sender && message.sender.id === customerId;
  }

  function nearBottom() {
    return historyBox.scrollHeight - historyBox.scrollTop - historyBox.clientHeight < 80;
  }
  function scrollToBottom() {
    historyBox.scrollTop = historyBox.scrollHeight;
  }

  function render(message, options) {
    options = options || {};
    var agentSide = !isCustomer(message);
    var node = OC.renderMessage(message, {
      mine: agentSide,
      seen: agentSide && (message.is_read || (message.id && message.id <= seenUpTo)),
      status: options.status,
      error: options.error,
      onRetry: options.onRetry,
      senderLabel: message.sender && message.sender.name,
    });
    // The agents' side is one side, but a colleague's message says who wrote it.
    if (agentSide && message.sender && message.sender.id !== me.id) {
      var label = node.querySelector(".oc-msg-sender");
      if (label) {
        label.classList.remove("oc-sr");
        label.textContent = message.sender.name;
      }
    }
    node.classList.add(agentSide ? "oc-from-agent" : "oc-from-customer");
    var item = document.createElement("li");
    item.className = "oc-message-item";
    if (message.id) item.setAttribute("data-id", message.id);
    item.appendChild(node);
    return item;
  }

  function oldestId() {
    var first = list.querySelector("li[data-id]");
    return first ? Number(first.getAttribute("data-id")) : null;
  }

  // Insert or update a message in id order (a pending message of ours is replaced by its answer).
  function upsert(message) {
    if (!message || message.room !== room.id) return false;
    var stick = nearBottom();
    var item = render(message);
    var known = entries[message.id];
    if (known) {
      known.node.replaceWith(item);
      entries[message.id] = { message: message, node: item };
      return false;
    }
    var mine = message.client_id && pending[message.client_id] && message.sender && message.sender.id === me.id;
    if (mine) {
      pending[message.client_id].node.replaceWith(item);
      delete pending[message.client_id];
    } else {
      var after = null;
      Array.prototype.some.call(list.querySelectorAll("li[data-id]"), function (other) {
        if (Number(other.getAttribute("data-id")) > message.id) {
          after = other;
          return true;
        }
        return false;
      });
      if (after) list.insertBefore(item, after);
      else {
        var firstPending = list.querySelector("li.oc-pending-item");
        list.insertBefore(item, firstPending);
      }
    }
    entries[message.id] = { message: message, node: item };
    if (stick) scrollToBottom();
    return !mine;
  }

  function renderPage(messages, older) {
    if (older) {
      var before = historyBox.scrollHeight;
      var keep = historyBox.scrollTop;
      var first = list.firstChild;
      messages.forEach(function (message) {
        if (entries[message.id]) return;
        var item = render(message);
        entries[message.id] = { message: message, node: item };
        list.insertBefore(item, first);
      });
      historyBox.scrollTop = keep + (historyBox.scrollHeight - before);
    } else {
      messages.forEach(upsert);
    }
    renderTop();
  }

  function renderTop() {
    top.textContent = "";
    if (loadingOlder) top.textContent = _("Loading older messages…");
    else if (!hasMore) top.textContent = list.children.length ? _("The conversation starts here.") : _("No messages yet.");
  }

  function fetchOlder(before) {
    if (client) return client.getRoom(room.id, { before: before });
    return fetch(config.historyUrl + "?before=" + encodeURIComponent(before), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  function loadOlder() {
    var before = oldestId();
    if (!hasMore || loadingOlder || !before) return;
    loadingOlder = true;
    renderTop();
    fetchOlder(before).then(
      function (data) {
        loadingOlder = false;
        hasMore = !!data.has_more;
        renderPage(data.results || [], true);
      },
      function () {
        loadingOlder = false;
        renderTop();
        top.textContent = _("Could not load older messages.");
      }
    );
  }

  historyBox.addEventListener("scroll", function () {
    if (historyBox.scrollTop < 120) loadOlder();
  });

  // Read receipts: the customer has read every agent message up to last_read_id.
  function markSeen(lastReadId) {
    if (lastReadId <= seenUpTo) return;
    seenUpTo = lastReadId;
    Object.keys(entries).forEach(function (id) {
      var entry = entries[id];
      if (Number(id) <= lastReadId && !isCustomer(entry.message) && !entry.message.is_read) {
        entry.message.is_read = true;
        var item = render(entry.message);
        entry.node.replaceWith(item);
        entry.node = item;
      }
    });
  }

  // Badges in the title and the controls follow the room, whoever changed it.
  function applyRoom(data) {
    if (!data || data.id !== room.id) return;
    room = data;
    ["status", "priority"].forEach(function (field) {
      var badge = document.querySelector('[data-oc-badge="' + field + '"]');
      var choices = config[field === "status" ? "statuses" : "priorities"];
      if (badge) {
        var choice = choices.filter(function (c) {
          return c.value === data[field];
        })[0];
        badge.textContent = choice ? choice.label : data[field];
        badge.className = "oc-badge oc-" + field + "-" + String(data[field]).toLowerCase();
      }
    });
    var status = document.getElementById("oc-status");
    var priority = document.getElementById("oc-priority");
    var assignee = document.getElementById("oc-assignee");
    if (status && !status.disabled) status.value = data.status;
    if (priority && !priority.disabled) priority.value = data.priority;
    if (assignee && !assignee.disabled) {
      var value = data.admin ? String(data.admin.id) : "";
      if (value && !assignee.querySelector('option[value="' + value + '"]'))
        assignee.appendChild(OC.el("option", { value: value, text: data.admin.name }));
      assignee.value = value;
    }
  }

  // Typing of the others (the customer, or a colleague) in this room.
  var typingTimer = null;
  function showTyping(data) {
    if (!data || data.room !== room.id || !data.user || data.user.id === me.id) return;
    clearTimeout(typingTimer);
    if (!data.is_typing) {
      typingBox.textContent = "";
      return;
    }
    typingBox.textContent = OC.fmt(_("%(name)s is typing…"), { name: data.user.name });
    typingTimer = setTimeout(function () {
      typingBox.textContent = "";
    }, 8000);
  }

  // Opening the page marked the room read; later customer messages are marked read while it is in view.
  var unreadHere = false;
  var readTimer = null;
  function markReadSoon() {
    if (!client) return;
    if (document.hidden) {
      unreadHere = true;
      return;
    }
    clearTimeout(readTimer);
    readTimer = setTimeout(function () {
      unreadHere = false;
      client.markRead(room.id).then(admin.refreshUnread, function () {});
    }, 400);
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && unreadHere) markReadSoon();
  });

  // Sending: shown at once, confirmed by the API; a retry reuses the client_id, so never twice.
  function send(data, display) {
    data.client_id = data.client_id || client.newClientId();
    var draft = {
      id: null,
      room: room.id,
      sender: me,
      message: data.message || "",
      message_type: data.message_type || "TEXT",
      product: display && display.product ? display.product : null,
      created_at: new Date().toISOString(),
      client_id: data.client_id,
    };
    var existing = pending[data.client_id];
    var item = render(draft, { status: "pending" });
    item.classList.add("oc-pending-item");
    if (existing) existing.node.replaceWith(item);
    else list.appendChild(item);
    pending[data.client_id] = { data: data, node: item, display: display };
    scrollToBottom();
    client.send(room.id, data).then(upsert, function (error) {
      var entry = pending[data.client_id];
      if (!entry) return;
      var failed = render(draft, {
        status: "failed",
        error: OC.errorMessage(error, _("The message was not sent.")),
        onRetry: function () {
          send(data, display);
        },
      });
      failed.classList.add("oc-pending-item");
      entry.node.replaceWith(failed);
      entry.node = failed;
    });
  }

  // Quick replies: "/" then the start of a shortcut or title; arrows choose, Enter or Tab insert.
  var replies = config.quickReplies || [];
  var menuIndex = 0;
  var menuItems = [];

  function slashQuery() {
    var before = input.value.slice(0, input.selectionStart);
    var match = before.match(/(^|\s)\/([^\s\/]*)$/);
    return match ? { query: match[2].toLowerCase(), start: before.length - match[2].length - 1 } : null;
  }

  function closeMenu() {
    if (!menu) return;
    menu.hidden = true;
    menu.textContent = "";
    menuItems = [];
    input.removeAttribute("aria-activedescendant");
    input.setAttribute("aria-expanded", "false");
  }

  function openMenu() {
    var found = slashQuery();
    if (!menu || !found || !replies.length) return closeMenu();
    menuItems = replies.filter(function (reply) {
      return reply.shortcut.toLowerCase().indexOf(found.query) === 0 || reply.title.toLowerCase().indexOf(found.query) >= 0;
    });
    if (!menuItems.length) return closeMenu();
    menuIndex = Math.min(menuIndex, menuItems.length - 1);
    menu.textContent = "";
    menuItems.forEach(function (reply, index) {
      var option = OC.el(
        "div",
        {
          id: "oc-quick-reply-" + index,
          role: "option",
          class: "oc-quick-reply" + (index === menuIndex ? " oc-active" : ""),
          "aria-selected": index === menuIndex ? "true" : "false",
          onmousedown: function (event) {
            event.preventDefault();
            choose(index);
          },
        },
        [
          OC.el("span", { class: "oc-quick-reply-key", text: "/" + reply.shortcut }),
          OC.el("span", { class: "oc-quick-reply-title", text: reply.title }),
          OC.el("span", { class: "oc-quick-reply-text", text: reply.text }),
        ]
      );
      menu.appendChild(option);
    });
    menu.hidden = false;
    input.setAttribute("aria-expanded", "true");
    input.setAttribute("aria-activedescendant", "oc-quick-reply-" + menuIndex);
  }

  function choose(index) {
    var reply = menuItems[index];
    var found = slashQuery();
    if (!reply || !found) return closeMenu();
    var caret = input.selectionStart;
    input.value = input.value.slice(0, found.start) + reply.text + input.value.slice(caret);
    var at = found.start + reply.text.length;
    input.setSelectionRange(at, at);
    closeMenu();
    input.focus();
  }

  function submitText() {
    var text = input.value;
    if (!text.trim()) return;
    input.value = "";
    closeMenu();
    send({ message: text, message_type: "TEXT" });
  }

  if (composer && client) {
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", "oc-quick-replies");
    input.setAttribute("aria-expanded", "false");
    var idleTimer = null;
    input.addEventListener("input", function () {
      menuIndex = 0;
      openMenu();
      if (input.value.trim()) {
        client.typing(room.id, true);
        clearTimeout(idleTimer);
        idleTimer = setTimeout(function () {
          client.typing(room.id, false);
        }, 4000);
      } else {
        client.typing(room.id, false);
      }
    });
    input.addEventListener("keydown", function (event) {
      if (menu && !menu.hidden && menuItems.length) {
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          event.preventDefault();
          menuIndex = (menuIndex + (event.key === "ArrowDown" ? 1 : menuItems.length - 1)) % menuItems.length;
          openMenu();
          return;
        }
        if (event.key === "Enter" || event.key === "Tab") {
          event.preventDefault();
          choose(menuIndex);
          return;
        }
        if (event.key === "Escape") {
          event.preventDefault();
          closeMenu();
          return;
        }
      }
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submitText();
      }
    });
    input.addEventListener("blur", function () {
      setTimeout(closeMenu, 150);
    });
    composer.addEventListener("submit", function (event) {
      event.preventDefault();
      submitText();
      input.focus();
    });

    var shareButton = document.getElementById("oc-share-product");
    if (shareButton && OC.ProductPicker) {
      var picker = new OC.ProductPicker({
        client: client,
        title: _("Share a product"),
        onChoose: function (card) {
          send({ message_type: "PRODUCT", product_id: card.id }, { product: card });
        },
      });
      shareButton.addEventListener("click", function () {
        picker.open();
      });
    } else if (shareButton) {
      shareButton.hidden = true;
    }
  }

  // Status, priority, assignee: applied at once through the API (the customer sees it by their stream).
  Array.prototype.forEach.call(document.querySelectorAll("[data-oc-manage]"), function (select) {
    var previous = select.value;
    select.addEventListener("focus", function () {
      previous = select.value;
    });
    select.addEventListener("change", function () {
      var field = select.getAttribute("data-oc-manage");
      var data = {};
      data[field] = field === "admin_id" ? (select.value ? Number(select.value) : null) : select.value;
      select.disabled = true;
      controlStatus.textContent = _("Saving…");
      client.manage(room.id, data).then(
        function (updated) {
          select.disabled = false;
          previous = select.value;
          controlStatus.textContent = _("Saved.");
          applyRoom(updated);
          setTimeout(function () {
            if (controlStatus.textContent === _("Saved.")) controlStatus.textContent = "";
          }, 2000);
        },
        function (error) {
          select.disabled = false;
          select.value = previous;
          controlStatus.textContent = OC.errorMessage(error, _("The change was not saved."));
        }
      );
    });
  });

  // First paint from the page, then live.
  var initial = (config.history && config.history.results) || [];
  initial.forEach(function (message) {
    if (!isCustomer(message) && message.is_read && message.id > seenUpTo) seenUpTo = message.id;
  });
  renderPage(initial, false);
  scrollToBottom();
  admin.updateRelativeTimes();

  if (!client) return;

  // Catch up with what was sent between the page's rendering and the stream's start.
  function catchUp() {
    client.getRoom(room.id).then(function (data) {
      (data.results || []).forEach(upsert);
      applyRoom(data.room);
      renderTop();
    }, function () {});
  }

  var everLive = false;
  client.on("connection", function (state) {
    if ((state === "live" || state === "polling") && !everLive) {
      everLive = true;
      catchUp();
    }
  });
  client.on("message", function (message) {
    if (message.room !== room.id) {
      if (admin.isFromCustomer(message)) admin.notify(message, { visible: false });
      admin.refreshUnread();
      return;
    }
    var added = upsert(message);
    if (added && isCustomer(message)) {
      typingBox.textContent = "";
      markReadSoon();
      admin.notify(message, { visible: true, here: true });
    }
  });
  client.on("room", function (data) {
    applyRoom(data);
    admin.refreshUnread();
  });
  client.on("typing", showTyping);
  client.on("read", function (data) {
    if (data && data.room === room.id && data.reader && data.reader.id === customerId) markSeen(data.last_read_id);
  });
  client.on("reset", catchUp);
  client.watch(room.id);
  client.connect();
  admin.refreshUnread();
})();
