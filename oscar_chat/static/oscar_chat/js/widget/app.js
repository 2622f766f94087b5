/* oscar_chat: the customer's chat panel, loaded by launcher.js on the first open. */
import { Client } from "../chat/client.js";
import { Conversation } from "../chat/conversation.js";
import { Thread } from "../chat/thread.js";
import { wireAttachments } from "../chat/attach.js";
import { TIMINGS } from "../chat/timings.js";
import {
  currencyFormats, dateFormat, el, errorMessage, fmt, formatPrice, formatTime, icon, ngettext, renderProductCard, _, uid,
} from "../chat/ui.js";

export function start(launcher) {
  const cfg = launcher.cfg;
  const me = cfg.user || null;
  Object.assign(currencyFormats, cfg.currencyFormats || {});
  const STATUS = { OPEN: _("Open"), RESOLVED: _("Resolved"), CLOSED: _("Closed") };
  const client = me ? new Client({ apiRoot: cfg.apiRoot, csrfToken: cfg.csrfToken, csrfCookie: cfg.csrfCookie, pollInterval: cfg.pollInterval }) : null;
  const ui = { open: false, view: null, roomId: null, rooms: null, unread: 0 };
  let current = null; // {conv, thread, ...} of the conversation on screen
  /** @type {any} */
  let picker = null;
  let presence = null;

  /** @param {Record<string, any>} [state] */
  function save(state = { open: ui.open, view: ui.view, room: ui.roomId, ask: ui.ask || null }) {
    try {
      sessionStorage.setItem(launcher.storeKey, JSON.stringify(state));
    } catch (e) {
      /* not kept */
    }
  }
  const storage = (() => {
    try {
      return window.localStorage;
    } catch (e) {
      return null;
    }
  })();

  // Skeleton

  const titleId = uid("oc-title");
  const panelId = uid("oc-panel");
  const button = launcher.button;
  button.setAttribute("aria-controls", panelId);
  const backButton = el("button", { class: "oc-icon-btn oc-back", "aria-label": _("All conversations"), onclick: () => showList(true) }, icon("back"));
  const title = el("h2", { id: titleId, class: "oc-title", dir: "auto" });
  const headStatus = el("span", { class: "oc-pill", hidden: true });
  const presenceLine = el("p", { class: "oc-presence", hidden: true });
  const connection = el("p", { class: "oc-conn", role: "status", hidden: true });
  const main = el("div", { class: "oc-main" });
  const announcer = el("p", { class: "oc-sr", "aria-live": "polite" });
  const panel = el("section", { id: panelId, class: "oc-panel", role: "dialog", "aria-labelledby": titleId, hidden: true }, [
    el("header", { class: "oc-head" }, [
      backButton,
      el("div", { class: "oc-head-text" }, [el("div", { class: "oc-head-line" }, [title, headStatus]), presenceLine]),
      el("button", { class: "oc-icon-btn", "aria-label": _("Close chat"), onclick: close }, icon("close")),
    ]),
    connection,
    main,
  ]);
  launcher.root.insertBefore(panel, button);
  launcher.root.appendChild(announcer);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented) {
      event.preventDefault();
      close();
    }
  });

  function setTitle(text, status) {
    title.textContent = text;
    headStatus.hidden = !status;
    if (status) {
      headStatus.textContent = STATUS[(status)] || status;
      headStatus.className = "oc-pill oc-pill-" + status.toLowerCase();
    }
  }

  function setView(name, content) {
    if (current && name !== "room") leaveRoom();
    ui.view = name;
    backButton.hidden = name === "list" || name === "signin" || (name === "new" && !(ui.rooms && ui.rooms.length));
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
    launcher.setOpen(isOpen);
    save();
  }

  function open(byUser) {
    setOpen(true);
    showPresence();
    if (!me) showSignin();
    else if (ui.ask) ask(ui.ask);
    else if (ui.view === "room" && ui.roomId) showRoom(ui.roomId, byUser);
    else if (ui.view === "new") showNew(byUser);
    else showList(byUser);
  }

  function close() {
    setOpen(false);
    button.focus();
  }

  // Unread: the badge, and the title while the tab is hidden (the launcher asks).
  const refreshUnread = launcher.refresh;
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && current) current.conv.markReadSoon();
  });

  // Who answers: agents online or away, and when a reply may be expected.

  function showPresence() {
    if (!client) return;
    client.presence().then((data) => {
      presence = data;
      renderPresence();
    }, () => {});
  }
  // Outside the opening hours the shop is away whoever is online (its away reply says the same).
  function renderPresence() {
    if (!presence) return;
    const next = presence.is_open === false && presence.next_opening && new Date(presence.next_opening);
    const online = presence.online && !next;
    presenceLine.hidden = false;
    presenceLine.className = "oc-presence " + (online ? "oc-online" : "oc-away");
    presenceLine.textContent = online
      ? _("Our team is online")
      : next ? fmt(_("Closed now. We reply from %(when)s."), { when: dateFormat({
        weekday: "long", hour: "2-digit", minute: "2-digit", ...(next.getTime() - Date.now() > 6 * 864e5 ? { day: "numeric", month: "long" } : {}),
      }).format(next) })
        : presence.expected_reply ? fmt(_("Away. We usually reply %(when)s."), { when: presence.expected_reply }) : _("Away. We reply as soon as we are back.");
  }

  // Signed out

  function showSignin() {
    setTitle(_("Chat with us"));
    setView("signin", el("div", { class: "oc-view oc-signin" }, [
      el("p", { text: _("Questions about a product or an order? Sign in and chat with our team.") }),
      // The panel closes first: on a phone it would cover the sign-in form. It opens again after.
      el("a", { class: "oc-btn oc-btn-primary", href: cfg.loginUrl, text: _("Sign in to chat"), onclick: () => {
        ui.open = false;
        panel.hidden = true;
        launcher.setOpen(false);
        save({ open: true, resume: true, ask: ui.ask || null });
      } }),
      el("p", { class: "oc-muted", text: _("No account yet? You can register on the same page.") }),
    ]));
  }

  // The list of conversations

  function sortRooms() {
    (ui.rooms).sort((a, b) => (a.last_activity < b.last_activity ? 1 : a.last_activity > b.last_activity ? -1 : b.id - a.id));
  }

  async function loadRooms() {
    const page = await client.listRooms();
    ui.rooms = page.results || [];
    sortRooms();
    return (ui.rooms);
  }

  function showList(byUser) {
    if (client) client.watch(null);
    ui.roomId = null;
    setTitle(_("Your conversations"));
    const view = el("div", { class: "oc-view oc-list" }, el("p", { class: "oc-muted", text: _("Loading…") }));
    setView("list", view);
    loadRooms().then((rooms) => {
      if (ui.view !== "list") return;
      if (!rooms.length) return showNew(byUser);
      renderList(view);
      if (byUser) main.querySelector(".oc-btn").focus();
    }, (error) => {
      if (ui.view !== "list") return;
      view.textContent = "";
      view.append(
        el("p", { class: "oc-error", text: errorMessage(error, _("Could not load your conversations.")) }),
        el("button", { class: "oc-btn", text: _("Try again"), onclick: () => showList() })
      );
    });
  }

  // The API's preview marks a shared product with an emoji; shown as an icon (no emoji font needed).
  const lastMessage = (text) => (text.startsWith("\u{1F4E6} ") ? [icon("box", 14), " " + text.slice(3)] : text);

  function renderList(view) {
    view = view || main.querySelector(".oc-list");
    if (!view || !ui.rooms) return;
    const rooms = ui.rooms;
    // "Continue": where replies wait unread, else the latest open conversation.
    const next = rooms.find((r) => r.unread_count > 0) || rooms.find((r) => r.status === "OPEN");
    view.textContent = "";
    view.append(
      el("div", { class: "oc-list-actions" }, [
        next ? el("button", { class: "oc-btn oc-btn-primary oc-continue", onclick: () => showRoom(next.id, true) }, [
          _("Continue"), el("span", { class: "oc-ellipsis", dir: "auto", text: "“" + next.subject + "”" }),
        ]) : null,
        el("button", { class: "oc-btn" + (next ? "" : " oc-btn-primary"), text: _("New conversation"), onclick: () => showNew(true) }),
      ]),
      el("ul", { class: "oc-rooms", "aria-label": _("Your conversations") }, rooms.map((room) =>
        el("li", null, el("button", { class: "oc-room" + (room.unread_count ? " oc-unread" : ""), "data-room-id": room.id, onclick: () => showRoom(room.id, true) }, [
          el("span", { class: "oc-room-top" }, [
            el("span", { class: "oc-room-subject", dir: "auto", text: room.subject }),
            el("time", { class: "oc-room-time", datetime: room.last_activity, text: formatTime(room.last_activity) }),
          ]),
          el("span", { class: "oc-room-last", dir: "auto" }, lastMessage(room.last_message || "")),
          el("span", { class: "oc-room-meta" }, [
            el("span", { class: "oc-pill oc-pill-" + room.status.toLowerCase(), text: STATUS[(room.status)] || room.status }),
            room.unread_count ? el("span", { class: "oc-count", text: fmt(ngettext("%(n)s unread", "%(n)s unread", room.unread_count), { n: room.unread_count }) }) : null,
          ]),
        ])))
      )
    );
  }

  // The length limit, said before anything is cut.

  function countLength(input, counter) {
    const n = input.value.length;
    const limit = cfg.maxLength;
    counter.hidden = n < limit * 0.8;
    counter.classList.toggle("oc-error", n > limit);
    counter.textContent = n > limit
      ? fmt(_("%(n)s characters: %(over)s over the limit of %(limit)s. Shorten the message or send it in parts."), { n, over: n - limit, limit })
      : fmt(_("%(n)s of %(limit)s characters"), { n, limit });
    return n <= limit;
  }

  // A new conversation: just type; a subject is optional.

  function showNew(byUser, product) {
    if (client) client.watch(null);
    ui.roomId = null;
    setTitle(product ? _("Ask about this product") : _("New conversation"));
    const subjectId = uid("oc-subject");
    const messageId = uid("oc-first");
    const message = el("textarea", { id: messageId, class: "oc-input", name: "message", rows: 4, placeholder: product ? _("What would you like to know?") : _("How can we help?") });
    const messageError = el("p", { id: uid("oc-err"), class: "oc-error oc-field-error", role: "alert" });
    const counter = el("p", { class: "oc-counter", "aria-live": "polite", hidden: true });
    message.setAttribute("aria-describedby", messageError.id);
    const subject = el("input", { id: subjectId, class: "oc-input", name: "subject", maxlength: 200, placeholder: _("e.g. Delivery of my order") });
    const error = el("p", { class: "oc-error", role: "alert" });
    const submit = el("button", { type: "submit", class: "oc-btn oc-btn-primary", text: product ? _("Send") : _("Start conversation") });
    const form = el("form", { class: "oc-view oc-new", novalidate: true }, [
      product ? renderProductCard(product, { compact: true }) : el("p", { class: "oc-muted", text: _("Write your question; our team answers here.") }),
      el("label", { class: "oc-label", for: messageId, text: _("Message") }),
      message, counter, messageError,
      product ? null : el("label", { class: "oc-label", for: subjectId }, [_("Subject"), el("span", { class: "oc-muted", text: " " + _("(optional)") })]),
      product ? null : subject,
      error,
      el("div", { class: "oc-form-actions" }, [
        ui.rooms && ui.rooms.length ? el("button", { class: "oc-btn", text: _("Cancel"), onclick: () => showList() }) : null,
        submit,
      ]),
    ]);
    message.addEventListener("input", () => countLength(message, counter));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      messageError.textContent = error.textContent = "";
      const text = message.value;
      if (!text.trim() && !product) {
        messageError.textContent = _("Please write a message.");
        return message.focus();
      }
      if (!countLength(message, counter)) return message.focus();
      submit.disabled = true;
      try {
        // About a product: the card opens the conversation, the question follows it.
        const room = await client.openRoom(product ? { product_id: product.id } : { subject: subject.value.trim(), message: text });
        ui.ask = null;
        if (ui.rooms) ui.rooms.unshift(room);
        showRoom(room.id, true, product && text.trim() ? text : null);
      } catch (err) {
        submit.disabled = false;
        error.textContent = errorMessage(err, _("Could not start the conversation."));
      }
    });
    setView("new", form);
    if (byUser) message.focus();
  }

  /** "Ask about this product": the conversation starts with its card. */
  async function ask(productId) {
    ui.ask = productId;
    if (!ui.open) setOpen(true);
    showPresence();
    if (!me) return showSignin();
    setTitle(_("Ask about this product"));
    setView("new", el("div", { class: "oc-view" }, el("p", { class: "oc-muted", text: _("Loading…") })));
    try {
      const card = await client.product(productId);
      if (ui.ask === productId) showNew(true, card);
    } catch (error) {
      ui.ask = null;
      main.textContent = "";
      main.appendChild(el("div", { class: "oc-view" }, el("p", { class: "oc-error", text: errorMessage(error, _("This product cannot be shown.")) })));
    }
  }

  // A conversation

  const roomById = (id) => (ui.rooms || []).find((r) => r.id === id);

  function leaveRoom() {
    if (!current) return;
    current.conv.destroy();
    current.thread.destroy();
    current = null;
  }

  function cardOptions() {
    return {
      basketUrl: cfg.basketUrl,
      onBasket: (card) => client.addToBasket(card.id, 1).then((result) => {
        updateHeaderBasket(result && result.basket);
        return result;
      }),
      onWishlist: (card) => client.addToWishlist(card.id),
    };
  }

  /** Oscar's header total ("Basket total: Rp 85,000.00"). */
  function updateHeaderBasket(basket) {
    if (!basket) return;
    const label = document.querySelector(".basket-mini strong");
    const text = label && label.nextSibling;
    if (text && text.nodeType === 3) text.nodeValue = " " + formatPrice({ amount: basket.total, currency: basket.currency }) + " ";
    document.querySelectorAll("[data-basket-count]").forEach((node) => (node.textContent = basket.num_items));
    document.dispatchEvent(new CustomEvent("oscarchat:basket", { detail: basket }));
  }

  function showRoom(id, byUser, firstText) {
    id = Number(id);
    leaveRoom();
    ui.roomId = id;
    client.watch(id);
    const known = roomById(id);
    setTitle(known ? known.subject : _("Conversation"), known && known.status);
    const conv = new Conversation({ client, roomId: id, me, storage, canRead: () => ui.open && !document.hidden });
    const older = el("button", { class: "oc-link oc-older", hidden: true, text: _("Load older messages"), onclick: () => thread.older() });
    const list = el("div", { class: "oc-entries" });
    const log = el("div", { class: "oc-log", role: "log", "aria-label": _("Messages"), tabindex: "0" }, [older, list]);
    const note = el("p", { class: "oc-note", hidden: true });
    const rating = el("div", { class: "oc-rate-slot", hidden: true });
    const typing = el("p", { class: "oc-typing", "aria-live": "polite" });
    const outbox = el("p", { class: "oc-outbox", role: "status", hidden: true });
    const input = el("textarea", { class: "oc-input oc-compose-input", rows: 1, "aria-label": _("Message"), placeholder: _("Write a message…"), "aria-describedby": uid("oc-hint") });
    const hint = el("span", { id: input.getAttribute("aria-describedby"), class: "oc-sr", text: _("Enter sends, Shift+Enter starts a new line.") });
    const counter = el("p", { class: "oc-counter", "aria-live": "polite", hidden: true });
    const fileError = el("p", { class: "oc-error oc-file-error", role: "alert", hidden: true });
    const fileInput = el("input", { type: "file", class: "oc-sr", tabindex: "-1", "aria-hidden": "true", multiple: true, accept: cfg.fileTypes.join(",") });
    const thread = new Thread(conv, {
      list, scroller: log, avatars: true,
      options: (item) => ({
        card: cardOptions(),
        voucher: {
          onApply: (code) => client.applyVoucher(code).then((result) => {
            updateHeaderBasket(result && result.basket);
            return result;
          }),
        },
        senderLabel: !item.mine && item.message.sender ? item.message.sender.name + (item.message.sender.is_agent ? " · " + _("Shop team") : "") : "",
      }),
      onOlder: (state) => {
        older.hidden = !conv.hasMore;
        older.textContent = state === "loading" ? _("Loading…") : _("Load older messages");
      },
    });
    current = { conv, thread, note, log, rating, rated: "" };
    // One dialog for the page, sharing into the conversation on screen.
    const share = async () => {
      if (!picker) {
        const { ProductPicker } = await import("../chat/picker.js");
        picker = picker || new ProductPicker({
          client,
          onChoose: (card) => current && current.conv.send({ message: "", message_type: "PRODUCT", product_id: card.id, product: card }),
        });
      }
      picker.open();
    };

    const form = el("form", { class: "oc-composer" }, [
      el("button", { class: "oc-icon-btn", "aria-label": _("Attach a file or image"), title: _("Attach a file or image"), onclick: () => fileInput.click() }, icon("clip")),
      el("button", { class: "oc-icon-btn", "aria-label": _("Share a product"), title: _("Share a product"), onclick: share }, icon("box")),
      input, hint, fileInput,
      el("button", { type: "submit", class: "oc-icon-btn oc-send", "aria-label": _("Send"), title: _("Send") }, icon("send")),
    ]);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value;
      if (!text.trim()) return input.focus();
      if (!countLength(input, counter)) return input.focus();
      input.value = "";
      countLength(input, counter);
      autosize(input);
      conv.send({ message: text, message_type: "TEXT" });
      input.focus();
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    input.addEventListener("input", () => {
      autosize(input);
      countLength(input, counter);
      conv.typed(input.value);
    });
    input.addEventListener("blur", () => conv.stopTyping());
    const view = el("div", { class: "oc-view oc-conversation" }, [log, note, rating, typing, outbox, counter, fileError, form]);
    // The same module as the agents' composer: limits, refusals in words, upload with progress.
    wireAttachments({
      limits: cfg, input, dropZone: view, fileInput,
      send: (file, messageType) => conv.send({ file, message_type: messageType }),
      report: (refused) => {
        fileError.hidden = !refused.length;
        fileError.textContent = refused.join(" ");
      },
    });
    setView("room", view);
    if (byUser) input.focus();

    conv.subscribe((change) => {
      if (change.type === "typing")
        typing.textContent = conv.typingName !== null ? fmt(_("%(name)s is typing…"), { name: conv.typingName || _("Shop team") }) : "";
      if (change.type === "room" || change.type === "reset") showRoomState(conv, note);
      if (change.type === "read") refreshUnread();
      if (change.type === "reset") older.hidden = !conv.hasMore;
      const waiting = conv.pending().filter((item) => item.status === "queued").length;
      outbox.hidden = !waiting;
      outbox.textContent = waiting ? fmt(ngettext("%(n)s message waits for the connection; it is sent when the connection returns.", "%(n)s messages wait for the connection; they are sent in order when the connection returns.", waiting), { n: waiting }) : "";
    });
    conv.load().then(() => {
      if (firstText) conv.send({ message: firstText, message_type: "TEXT" });
    }, (error) => {
      if (error.status === 404) {
        ui.roomId = null;
        return showList();
      }
      note.hidden = false;
      note.className = "oc-note oc-error";
      note.textContent = errorMessage(error, _("Could not load this conversation."));
    });
  }

  /** The title and the note of a resolved or closed room; the last message stays in view. */
  function showRoomState(conv, note) {
    const room = conv.room;
    if (!room) return;
    const known = roomById(room.id);
    if (known) Object.assign(known, room);
    setTitle(room.subject, room.status);
    const text = { RESOLVED: _("This conversation was resolved. Write a message to reopen it."), CLOSED: _("This conversation is closed. Write a message to reopen it.") }[(room.status)];
    const follow = current && current.thread.nearEnd();
    note.hidden = !text;
    note.className = "oc-note";
    note.textContent = text || "";
    if (current) showRating(current, room);
    if (follow && current) current.thread.toEnd();
  }

  /** A resolved or closed room asks for a 1–5 rating (rating.js loads then); drawn again only when it changes. */
  function showRating(shown, room) {
    const ended = room.status === "RESOLVED" || room.status === "CLOSED";
    const key = ended ? JSON.stringify(room.rating) : "";
    if (key === shown.rated) return; // keeps a choice being made
    shown.rated = key;
    shown.rating.hidden = !ended;
    if (!ended) return shown.rating.replaceChildren();
    import("./rating.js").then(({ ratingPanel }) => {
      if (current !== shown || shown.rated !== key) return;
      const follow = shown.thread.nearEnd();
      shown.rating.replaceChildren(ratingPanel(client, room, (rated) => shown.conv.updateRoom(rated)));
      if (follow) shown.thread.toEnd();
    });
  }

  function autosize(textarea) {
    textarea.style.height = "auto";
    textarea.style.height = Math.min(textarea.scrollHeight + 2, 140) + "px";
  }

  // Events (stream or polling)

  function onMessage(m) {
    const here = current && current.conv.roomId === m.room;
    if (here) current.conv.receive(m);
    const fromOther = !(me && m.sender && m.sender.id === me.id);
    if (fromOther && (!ui.open || !here || document.hidden))
      announcer.textContent = fmt(_("New message from %(name)s: %(text)s"), {
        name: (m.sender && m.sender.name) || _("Shop team"),
        text: m.message_type === "PRODUCT" && m.product ? m.product.title : m.message,
      });
    if (!here) refreshUnread();
  }

  function onRoom(room) {
    if (ui.rooms) {
      const index = ui.rooms.findIndex((r) => r.id === room.id);
      if (index >= 0) ui.rooms[index] = room;
      else ui.rooms.push(room);
      sortRooms();
      if (ui.view === "list") renderList();
    }
    if (current) current.conv.updateRoom(room);
    refreshUnread();
  }

  let connectionTimer = null;
  let wasLive = false;
  function onConnection(state) {
    clearTimeout(connectionTimer);
    if (state === "live" || state === "polling") {
      if (current) current.conv.online();
    }
    if (state === "live") {
      connection.hidden = true;
      if (wasLive) resync();
      wasLive = true;
      return;
    }
    // Quiet for short reconnects.
    connectionTimer = setTimeout(() => {
      connection.hidden = false;
      connection.textContent = state === "polling" ? _("Live updates are interrupted; checking for new messages every few seconds.") : _("Connecting…");
    }, TIMINGS.connectionNotice);
  }

  // After an interruption: statuses and counts again (messages were replayed).
  function resync() {
    refreshUnread();
    if (ui.rooms) loadRooms().then(() => {
      if (ui.view === "list") renderList();
      if (current) current.conv.updateRoom(roomById(current.conv.roomId));
    }, () => {});
  }

  // Start

  let saved = launcher.saved(launcher.storeKey);
  const guest = launcher.saved("oscar-chat:guest");
  if (me && !saved.view && (guest.resume || guest.open)) {
    // Back from signing in through the widget.
    saved = { open: true, ask: guest.ask };
    try {
      sessionStorage.removeItem("oscar-chat:guest");
    } catch (e) {
      /* nothing kept */
    }
  }
  ui.view = saved.view || null;
  ui.roomId = saved.room || null;
  ui.ask = saved.ask || null;
  if (client) {
    client.on("message", onMessage);
    client.on("room", onRoom);
    client.on("typing", (data) => current && current.conv.peerTyping(data));
    client.on("read", (data) => current && current.conv.read(data));
    client.on("reset", () => {
      resync();
      if (current) current.conv.refresh().catch(() => {});
    });
    client.on("connection", onConnection);
    window.addEventListener("online", () => current && current.conv.online());
    refreshUnread();
    client.connect();
  }
  const chat = {
    client, toggle, open, close,
    ask,
  };
  if (launcher.restore && ui.ask) ask(ui.ask);
  else if (launcher.restore && saved.open) open(false);
  return chat;
}
