/* oscar_chat: the customer's widget, set up by #oscar-chat-config ({% oscar_chat_widget %}). */
(function () {
  "use strict";
  var OC = window.OscarChat;
  var configNode = document.getElementById("oscar-chat-config");
  if (!OC || !OC.Client || !OC.el || !configNode || document.getElementById("oscar-chat")) return;
  var cfg = JSON.parse(configNode.textContent);
  var _ = OC.t;
  var ngettext = OC.nt;
  var el = OC.el;
  var me = cfg.user || null;
  OC.currencyFormats = cfg.currencyFormats || {};
  var STATUS = { OPEN: _("Open"), RESOLVED: _("Resolved"), CLOSED: _("Closed") };

  // The state survives page loads (per tab and user).
  var storeKey = "oscar-chat:" + (me ? me.id : "guest");
  function load(key) {
    try {
      return JSON.parse(sessionStorage.getItem(key || storeKey)) || {};
    } catch (e) {
      return {};
    }
  }
  function save() {
    try {
      sessionStorage.setItem(storeKey, JSON.stringify({ open: ui.open, view: ui.view, room: ui.roomId }));
    } catch (e) {
      /* not kept */
    }
  }

  var client = me ? new OC.Client({ apiRoot: cfg.apiRoot, csrfToken: cfg.csrfToken, csrfCookie: cfg.csrfCookie, pollInterval: cfg.pollInterval }) : null;
  var ui = { open: false, view: null, roomId: null, rooms: null, unread: 0 };
  var conv = null; // the conversation on screen
  var baseTitle = document.title;

  // Skeleton

  var titleId = OC.uid("oc-title");
  var panelId = OC.uid("oc-panel");
  var badge = el("span", { class: "oc-badge", "aria-hidden": "true", hidden: true });
  var launcher = el(
    "button",
    { class: "oc-launcher", "aria-controls": panelId, "aria-expanded": "false", onclick: toggle },
    [OC.icon("chat", 26), badge]
  );
  var backButton = el("button", { class: "oc-icon-btn oc-back", "aria-label": _("All conversations"), onclick: showList }, OC.icon("back"));
  var title = el("h2", { id: titleId, class: "oc-title" });
  var headStatus = el("span", { class: "oc-pill", hidden: true });
  var connection = el("p", { class: "oc-conn", role: "status", hidden: true });
  var main = el("div", { class: "oc-main" });
  var announcer = el("p", { class: "oc-sr", "aria-live": "polite" });
  var panel = el("section", { id: panelId, class: "oc-panel", role: "dialog", "aria-labelledby": titleId, hidden: true }, [
    el("header", { class: "oc-head" }, [
      backButton,
      el("div", { class: "oc-head-text" }, [title, headStatus]),
      el("button", { class: "oc-icon-btn", "aria-label": _("Close chat"), onclick: close }, OC.icon("close")),
    ]),
    connection,
    main,
  ]);
  var root = el("div", { id: "oscar-chat", class: "oc-ui oc-widget" }, [panel, launcher, announcer]);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !event.defaultPrevented) {
      event.preventDefault();
      close();
    }
  });
  document.body.appendChild(root);

  function setTitle(text, status) {
    title.textContent = text;
    headStatus.hidden = !status;
    if (status) {
      headStatus.textContent = STATUS[status] || status;
      headStatus.className = "oc-pill oc-pill-" + status.toLowerCase();
    }
  }

  function setView(name, content) {
    ui.view = name;
    backButton.hidden = name === "list" || name === "signin";
    main.textContent = "";
    main.appendChild(content);
    panel.setAttribute("data-view", name);
    save();
  }

  // Opening and closing

  function toggle() {
    if (ui.open) close();
    else open(true);
  }

  function setOpen(isOpen) {
    ui.open = isOpen;
    panel.hidden = !isOpen;
    launcher.setAttribute("aria-expanded", String(isOpen));
    root.classList.toggle("oc-is-open", isOpen);
    updateLauncherLabel();
    save();
  }

  function open(byUser) {
    setOpen(true);
    if (!me) showSignin();
    else if (ui.view === "room" && ui.roomId) showRoom(ui.roomId, byUser);
    else if (ui.view === "new") showNew(byUser);
    else showList(byUser);
  }

  function close() {
    setOpen(false);
    if (client) client.watch(null);
    launcher.focus();
  }

  // Unread: the badge, and the title while the tab is hidden.

  function setUnread(total) {
    ui.unread = Math.max(0, total || 0);
    badge.hidden = !ui.unread;
    badge.textContent = ui.unread > 99 ? "99+" : String(ui.unread);
    updateLauncherLabel();
    updatePageTitle();
  }

  function updateLauncherLabel() {
    var label = ui.open ? _("Close chat") : _("Chat with us");
    if (ui.unread) label += ", " + OC.fmt(ngettext("%(n)s unread message", "%(n)s unread messages", ui.unread), { n: ui.unread });
    launcher.setAttribute("aria-label", label);
  }

  function updatePageTitle() {
    var wanted = document.hidden && ui.unread ? "(" + ui.unread + ") " + baseTitle : baseTitle;
    if (document.title !== wanted) document.title = wanted;
  }

  var unreadTimer = null;
  var reading = false;
  function refreshUnread() {
    clearTimeout(unreadTimer);
    unreadTimer = setTimeout(function () {
      if (reading) return; // asked again after the read
      client.unread().then(function (data) {
        setUnread(data.total);
      }, function () {});
    }, 150);
  }

  document.addEventListener("visibilitychange", function () {
    updatePageTitle();
    if (!document.hidden) markReadSoon();
  });

  // Signed out

  function showSignin() {
    setTitle(_("Chat with us"));
    setView(
      "signin",
      el("div", { class: "oc-view oc-signin" }, [
        el("p", { text: _("Questions about a product or an order? Sign in and chat with our team.") }),
        el("a", { class: "oc-btn oc-btn-primary", href: cfg.loginUrl, text: _("Sign in to chat") }),
        el("p", { class: "oc-muted", text: _("No account yet? You can register on the same page.") }),
      ])
    );
  }

  // The list of conversations

  function sortRooms() {
    ui.rooms.sort(function (a, b) {
      return a.last_activity < b.last_activity ? 1 : a.last_activity > b.last_activity ? -1 : b.id - a.id;
    });
  }

  function loadRooms() {
    return client.listRooms().then(function (page) {
      ui.rooms = page.results || [];
      sortRooms();
      return ui.rooms;
    });
  }

  function showList(byUser) {
    if (byUser && byUser.type) byUser = true; // from the back button
    if (client) client.watch(null);
    conv = null;
    ui.roomId = null;
    setTitle(_("Your conversations"));
    var view = el("div", { class: "oc-view oc-list" }, el("p", { class: "oc-muted", text: _("Loading…") }));
    setView("list", view);
    loadRooms().then(
      function (rooms) {
        if (ui.view !== "list") return;
        if (!rooms.length) return showNew(byUser);
        renderList(view);
        if (byUser) main.querySelector(".oc-btn").focus();
      },
      function (error) {
        if (ui.view !== "list") return;
        view.textContent = "";
        OC.append(view, [
          el("p", { class: "oc-error", text: OC.errorMessage(error, _("Could not load your conversations.")) }),
          el("button", { class: "oc-btn", text: _("Try again"), onclick: showList }),
        ]);
      }
    );
  }

  function renderList(view) {
    view = view || main.querySelector(".oc-list");
    if (!view || !ui.rooms) return;
    var lastOpen = ui.rooms.filter(function (r) {
      return r.status === "OPEN";
    })[0];
    view.textContent = "";
    OC.append(view, [
      el("div", { class: "oc-list-actions" }, [
        lastOpen
          ? el("button", { class: "oc-btn oc-btn-primary", onclick: function () { showRoom(lastOpen.id, true); } }, [
              _("Continue"),
              el("span", { class: "oc-ellipsis", text: "“" + lastOpen.subject + "”" }),
            ])
          : null,
        el("button", { class: "oc-btn" + (lastOpen ? "" : " oc-btn-primary"), text: _("New conversation"), onclick: function () { showNew(true); } }),
      ]),
      el(
        "ul",
        { class: "oc-rooms", "aria-label": _("Your conversations") },
        ui.rooms.map(function (room) {
          return el("li", null, el("button", { class: "oc-room" + (room.unread_count ? " oc-unread" : ""), "data-room-id": room.id, onclick: function () { showRoom(room.id, true); } }, [
            el("span", { class: "oc-room-top" }, [
              el("span", { class: "oc-room-subject", text: room.subject }),
              el("time", { class: "oc-room-time", datetime: room.last_activity, text: OC.formatTime(room.last_activity) }),
            ]),
            el("span", { class: "oc-room-last", text: room.last_message || "" }),
            el("span", { class: "oc-room-meta" }, [
              el("span", { class: "oc-pill oc-pill-" + room.status.toLowerCase(), text: STATUS[room.status] || room.status }),
              room.unread_count
                ? el("span", { class: "oc-count", text: OC.fmt(ngettext("%(n)s unread", "%(n)s unread", room.unread_count), { n: room.unread_count }) })
                : null,
            ]),
          ]));
        })
      ),
    ]);
  }

  // A new conversation

  function showNew(byUser) {
    if (client) client.watch(null);
    conv = null;
    ui.roomId = null;
    setTitle(_("New conversation"));
    var subjectId = OC.uid("oc-subject");
    var messageId = OC.uid("oc-first");
    var subject = el("input", { id: subjectId, class: "oc-input", name: "subject", required: true, maxlength: 200, placeholder: _("e.g. Delivery of my order") });
    var message = el("textarea", { id: messageId, class: "oc-input", name: "message", required: true, rows: 4, maxlength: cfg.maxLength, placeholder: _("How can we help?") });
    var error = el("p", { class: "oc-error", role: "alert" });
    var submit = el("button", { type: "submit", class: "oc-btn oc-btn-primary", text: _("Start conversation") });
    var form = el("form", { class: "oc-view oc-new", novalidate: true }, [
      el("p", { class: "oc-muted", text: _("Tell us what it is about; our team answers here.") }),
      el("label", { class: "oc-label", for: subjectId, text: _("Subject") }),
      subject,
      el("label", { class: "oc-label", for: messageId, text: _("Message") }),
      message,
      error,
      el("div", { class: "oc-form-actions" }, [
        ui.rooms && ui.rooms.length ? el("button", { class: "oc-btn", text: _("Cancel"), onclick: showList }) : null,
        submit,
      ]),
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = { subject: subject.value.trim(), message: message.value };
      if (!data.subject) return fail(_("Please enter a subject."), subject);
      if (!data.message.trim()) return fail(_("Please write a message."), message);
      submit.disabled = true;
      error.textContent = "";
      client.openRoom(data).then(
        function (room) {
          if (ui.rooms) ui.rooms.unshift(room);
          showRoom(room.id, true);
        },
        function (err) {
          submit.disabled = false;
          fail(OC.errorMessage(err, _("Could not start the conversation.")));
        }
      );
    });
    function fail(text, field) {
      error.textContent = text;
      if (field) field.focus();
    }
    setView("new", form);
    backButton.hidden = !(ui.rooms && ui.rooms.length);
    if (byUser) subject.focus();
  }

  // A conversation

  function roomById(id) {
    return (ui.rooms || []).filter(function (r) {
      return r.id === id;
    })[0];
  }

  function showRoom(id, byUser) {
    id = Number(id);
    ui.roomId = id;
    client.watch(id);
    var known = roomById(id);
    setTitle(known ? known.subject : _("Conversation"), known && known.status);
    conv = { id: id, room: known || null, items: [], hasMore: false, readUpTo: 0, typingTimer: null, stopTimer: null };
    var c = conv;
    c.older = el("button", { class: "oc-link oc-older", hidden: true, text: _("Load older messages"), onclick: function () { loadOlder(c); } });
    c.log = el("div", { class: "oc-log", role: "log", "aria-label": _("Messages"), tabindex: "0" }, [c.older]);
    c.note = el("p", { class: "oc-note", hidden: true });
    c.typing = el("p", { class: "oc-typing", "aria-live": "polite" });
    c.input = el("textarea", {
      class: "oc-input oc-compose-input",
      rows: 1,
      maxlength: cfg.maxLength,
      "aria-label": _("Message"),
      placeholder: _("Write a message…"),
      "aria-describedby": OC.uid("oc-hint"),
    });
    var hint = el("span", { id: c.input.getAttribute("aria-describedby"), class: "oc-sr", text: _("Enter sends, Shift+Enter starts a new line.") });
    c.picker = new OC.ProductPicker({
      client: client,
      onChoose: function (card) {
        sendMessage(c, { message: "", message_type: "PRODUCT", product_id: card.id, product: card });
      },
    });
    var form = el("form", { class: "oc-composer" }, [
      el("button", { class: "oc-icon-btn", "aria-label": _("Share a product"), title: _("Share a product"), onclick: function () { c.picker.open(); } }, OC.icon("box")),
      c.input,
      hint,
      el("button", { type: "submit", class: "oc-icon-btn oc-send", "aria-label": _("Send"), title: _("Send") }, OC.icon("send")),
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = c.input.value;
      if (!text.trim()) return c.input.focus();
      c.input.value = "";
      autosize(c.input);
      sendMessage(c, { message: text, message_type: "TEXT" });
      c.input.focus();
    });
    c.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    });
    c.input.addEventListener("input", function () {
      autosize(c.input);
      if (!c.input.value.trim()) return stopTyping(c);
      client.typing(c.id, true);
      clearTimeout(c.stopTimer);
      c.stopTimer = setTimeout(function () {
        stopTyping(c);
      }, 4000);
    });
    c.input.addEventListener("blur", function () {
      stopTyping(c);
    });
    c.log.addEventListener("scroll", function () {
      if (c.log.scrollTop < 60) loadOlder(c);
    });
    setView("room", el("div", { class: "oc-view oc-conversation" }, [c.note, c.log, c.typing, form]));
    if (byUser) c.input.focus();

    client.getRoom(id).then(
      function (data) {
        if (conv !== c) return;
        updateRoom(data.room);
        c.hasMore = data.has_more;
        c.older.hidden = !c.hasMore;
        data.results.forEach(function (m) {
          if (m.sender && me && m.sender.id === me.id && m.is_read && m.id > c.readUpTo) c.readUpTo = m.id;
        });
        data.results.forEach(function (m) {
          addMessage(c, m);
        });
        scrollToEnd(c);
        markReadSoon();
      },
      function (error) {
        if (conv !== c) return;
        if (error.status === 404) {
          ui.roomId = null;
          return showList();
        }
        c.note.hidden = false;
        c.note.className = "oc-note oc-error";
        c.note.textContent = OC.errorMessage(error, _("Could not load this conversation."));
      }
    );
  }

  function autosize(textarea) {
    textarea.style.height = "auto";
    textarea.style.height = Math.min(textarea.scrollHeight + 2, 140) + "px";
  }

  function stopTyping(c) {
    clearTimeout(c.stopTimer);
    client.typing(c.id, false);
  }

  function scrollToEnd(c) {
    c.log.scrollTop = c.log.scrollHeight;
  }

  function nearEnd(c) {
    return c.log.scrollHeight - c.log.scrollTop - c.log.clientHeight < 80;
  }

  function isMine(m) {
    return !!(me && m.sender && m.sender.id === me.id);
  }

  function cardOptions() {
    return {
      basketUrl: cfg.basketUrl,
      onBasket: function (card) {
        return client.addToBasket(card.id, 1).then(function (result) {
          updateHeaderBasket(result && result.basket);
          return result;
        });
      },
      onWishlist: function (card) {
        return client.addToWishlist(card.id);
      },
    };
  }

  // Oscar's header total ("Basket total: Rp 85,000.00").
  function updateHeaderBasket(basket) {
    if (!basket) return;
    var label = document.querySelector(".basket-mini strong");
    var text = label && label.nextSibling;
    if (text && text.nodeType === 3) text.nodeValue = " " + OC.formatPrice({ amount: basket.total, currency: basket.currency }) + " ";
    Array.prototype.forEach.call(document.querySelectorAll("[data-basket-count]"), function (node) {
      node.textContent = basket.num_items;
    });
    document.dispatchEvent(new CustomEvent("oscarchat:basket", { detail: basket }));
  }

  function render(c, item) {
    var mine = item.mine;
    var node = OC.renderMessage(item.message, {
      mine: mine,
      status: item.status,
      error: item.error,
      seen: mine && item.message.id && (item.message.is_read || item.message.id <= c.readUpTo),
      senderLabel: !mine && item.message.sender ? item.message.sender.name + (item.message.sender.is_agent ? " · " + _("Shop team") : "") : "",
      card: cardOptions(),
      onRetry: function () {
        attempt(c, item);
      },
    });
    if (item.node && item.node.parentNode) item.node.parentNode.replaceChild(node, item.node);
    item.node = node;
    return node;
  }

  // Only the newest sent message says "Sent"/"Seen".
  function markLastMine(c) {
    var last = null;
    c.items.forEach(function (item) {
      item.node.classList.remove("oc-last-mine");
      if (item.mine && item.status === "sent") last = item;
    });
    if (last) last.node.classList.add("oc-last-mine");
  }

  function addMessage(c, m, prepend) {
    var item = null;
    for (var i = 0; i < c.items.length; i++) {
      var it = c.items[i];
      if ((m.id && it.message.id === m.id) || (m.client_id && it.mine && it.message.client_id === m.client_id && isMine(m))) {
        item = it;
        break;
      }
    }
    if (item) {
      item.message = m;
      item.status = "sent";
      item.error = null;
      render(c, item);
      markLastMine(c);
      return false;
    }
    item = { message: m, mine: isMine(m), status: "sent" };
    render(c, item);
    if (prepend) {
      c.items.unshift(item);
      c.log.insertBefore(item.node, c.older.nextSibling);
    } else {
      // Before one's own pending ones.
      var at = c.items.length;
      while (at > 0 && c.items[at - 1].status !== "sent") at--;
      var before = c.items[at] ? c.items[at].node : null;
      c.items.splice(at, 0, item);
      c.log.insertBefore(item.node, before);
    }
    markLastMine(c);
    return true;
  }

  function sendMessage(c, data) {
    var item = {
      mine: true,
      status: "pending",
      data: { message: data.message, message_type: data.message_type, product_id: data.product_id, client_id: client.newClientId() },
    };
    item.message = {
      id: null,
      room: c.id,
      sender: me,
      message: data.message,
      message_type: data.message_type,
      product: data.product || null,
      created_at: new Date().toISOString(),
    };
    item.message.client_id = item.data.client_id;
    c.items.push(item);
    c.log.appendChild(render(c, item));
    scrollToEnd(c);
    stopTyping(c);
    attempt(c, item);
  }

  function attempt(c, item) {
    item.status = "pending";
    item.error = null;
    render(c, item);
    client.send(c.id, item.data).then(
      function (message) {
        item.message = message;
        item.status = "sent";
        render(c, item);
        markLastMine(c);
      },
      function (error) {
        if (item.status === "sent") return; // the stream confirmed it
        item.status = "failed";
        item.error = OC.errorMessage(error, _("Your message was not sent."));
        render(c, item);
        markLastMine(c);
      }
    );
  }

  function loadOlder(c) {
    if (!c.hasMore || c.loadingOlder) return;
    var oldest = c.items.filter(function (item) {
      return item.message.id;
    })[0];
    if (!oldest) return;
    c.loadingOlder = true;
    c.older.textContent = _("Loading…");
    client.getRoom(c.id, { before: oldest.message.id }).then(
      function (data) {
        c.loadingOlder = false;
        var height = c.log.scrollHeight;
        var top = c.log.scrollTop;
        data.results
          .slice()
          .reverse()
          .forEach(function (m) {
            addMessage(c, m, true);
          });
        c.hasMore = data.has_more;
        c.older.hidden = !c.hasMore;
        c.older.textContent = _("Load older messages");
        c.log.scrollTop = top + (c.log.scrollHeight - height); // keep the place
      },
      function () {
        c.loadingOlder = false;
        c.older.textContent = _("Load older messages");
      }
    );
  }

  function updateRoom(room) {
    if (!room) return;
    if (ui.rooms) {
      var index = -1;
      ui.rooms.forEach(function (r, i) {
        if (r.id === room.id) index = i;
      });
      if (index >= 0) ui.rooms[index] = room;
      else ui.rooms.push(room);
      sortRooms();
      if (ui.view === "list") renderList();
    }
    if (conv && conv.id === room.id) {
      conv.room = room;
      setTitle(room.subject, room.status);
      markReadSoon();
      var note = { RESOLVED: _("This conversation was resolved. Write a message to reopen it."), CLOSED: _("This conversation is closed. Write a message to reopen it.") }[room.status];
      conv.note.hidden = !note;
      conv.note.className = "oc-note";
      conv.note.textContent = note || "";
    }
  }

  var readTimer = null;
  function markReadSoon() {
    clearTimeout(readTimer);
    readTimer = setTimeout(function () {
      var c = conv;
      if (!c || !ui.open || document.hidden || !c.room || !c.room.unread_count) return;
      var room = c.room;
      room.unread_count = 0;
      reading = true;
      client.markRead(c.id).then(
        function () {
          reading = false;
          refreshUnread();
        },
        function () {
          reading = false;
          room.unread_count = 1; // retried on the next room update
        }
      );
    }, 50);
  }

  // Events (stream or polling)

  function onMessage(m) {
    var c = conv;
    var fromOther = !isMine(m);
    if (c && c.id === m.room) {
      var follow = nearEnd(c) || !fromOther;
      if (addMessage(c, m) && follow) scrollToEnd(c);
      if (fromOther) {
        hideTyping(c);
        if (c.room) c.room.unread_count = (c.room.unread_count || 0) + 1;
        markReadSoon();
      }
    }
    if (fromOther && (!ui.open || !c || c.id !== m.room || document.hidden)) {
      announcer.textContent = OC.fmt(_("New message from %(name)s: %(text)s"), {
        name: (m.sender && m.sender.name) || _("Shop team"),
        text: m.message_type === "PRODUCT" && m.product ? m.product.title : m.message,
      });
    }
  }

  function hideTyping(c) {
    clearTimeout(c.typingTimer);
    c.typing.textContent = "";
  }

  function onTyping(data) {
    var c = conv;
    if (!c || c.id !== data.room || (me && data.user && data.user.id === me.id)) return;
    if (!data.is_typing) return hideTyping(c);
    c.typing.textContent = OC.fmt(_("%(name)s is typing…"), { name: (data.user && data.user.name) || _("Shop team") });
    clearTimeout(c.typingTimer);
    c.typingTimer = setTimeout(function () {
      hideTyping(c);
    }, 8000);
  }

  function onRead(data) {
    var c = conv;
    if (!c || c.id !== data.room || (me && data.reader && data.reader.id === me.id)) return;
    if (data.last_read_id > c.readUpTo) {
      c.readUpTo = data.last_read_id;
      c.items.forEach(function (item) {
        if (item.mine && item.message.id && item.message.id <= c.readUpTo) render(c, item);
      });
      markLastMine(c);
    }
  }

  var connectionTimer = null;
  var wasLive = false;
  function onConnection(state) {
    clearTimeout(connectionTimer);
    if (state === "live") {
      connection.hidden = true;
      if (wasLive) resync();
      wasLive = true;
      return;
    }
    // Quiet for short reconnects.
    connectionTimer = setTimeout(function () {
      connection.hidden = false;
      connection.textContent = state === "polling" ? _("Live updates are interrupted; checking for new messages every few seconds.") : _("Connecting…");
    }, 2500);
  }

  // After an interruption: statuses and counts again (messages were replayed).
  function resync() {
    refreshUnread();
    if (ui.rooms) loadRooms().then(function () {
      if (ui.view === "list") renderList();
      if (conv) updateRoom(roomById(conv.id));
    }, function () {});
  }

  function onReset() {
    resync();
    if (ui.open && conv) showRoom(conv.id);
  }

  // Start

  var saved = load();
  if (me && !saved.view && load("oscar-chat:guest").open) {
    // Back from signing in through the widget.
    saved = { open: true };
    try {
      sessionStorage.removeItem("oscar-chat:guest");
    } catch (e) {
      /* nothing kept */
    }
  }
  ui.view = saved.view || null;
  ui.roomId = saved.room || null;
  if (client) {
    client.on("message", onMessage);
    client.on("room", function (room) {
      updateRoom(room);
      refreshUnread();
    });
    client.on("typing", onTyping);
    client.on("read", onRead);
    client.on("reset", onReset);
    client.on("connection", onConnection);
    client.unread().then(function (data) {
      setUnread(data.total);
    }, function () {});
    client.connect();
  }
  updateLauncherLabel();
  if (saved.open) open(false);

  OC.widget = { client: client, open: open, close: close };
})();
