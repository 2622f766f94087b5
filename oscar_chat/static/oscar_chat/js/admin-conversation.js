/* oscar_chat admin: one conversation, on the conversation engine the widget uses (history with
   older pages, live messages, optimistic replies kept until sent, typing both ways, read
   receipts), plus what only agents have: quick replies (type "/"), product sharing with the
   widget's picker, and status/priority/assignee controls. Staff who may only view get the
   history, read-only. Message text is always set as text. */
import { Conversation } from "./chat/conversation.js";
import { Thread } from "./chat/thread.js";
import { TIMINGS } from "./chat/timings.js";
import { ProductPicker } from "./chat/picker.js";
import { currencyFormats, el, errorMessage, fmt } from "./chat/ui.js";

const OC = window.OscarChat || {};
const admin = OC.admin;

/** @param {string} id @returns {any} */
const byId = (id) => document.getElementById(id);

if (admin) {
  const _ = admin._;
  const config = admin.config;
  let room = config.room;
  const me = config.me;
  const customerId = room.user.id;
  Object.assign(currencyFormats, config.currencyFormats || {});

  const historyBox = byId("oc-history");
  const list = byId("oc-messages");
  const top = byId("oc-history-top");
  const typingBox = byId("oc-typing");
  const composer = byId("oc-composer");
  const input = byId("oc-input");
  const menu = byId("oc-quick-replies");
  const controlStatus = byId("oc-control-status");
  historyBox.classList.add("oc-ui");
  if (menu) menu.classList.add("oc-ui");

  const live = config.live ? admin.start() : null;
  // Staff who may only view read the history through the admin's own JSON view.
  const client = live || {
    /** @param {number} id @param {Record<string, any>} params */
    async getRoom(id, params) {
      const response = await fetch(config.historyUrl + "?before=" + encodeURIComponent(params.before), {
        credentials: "same-origin", headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    },
    typing: () => Promise.resolve(null),
    markRead: () => Promise.resolve(null),
  };

  /** @param {any} message */
  const fromCustomer = (message) => !!(message.sender && message.sender.id === customerId);
  const conv = new Conversation({
    client, roomId: room.id, me,
    isMine: (m) => !fromCustomer(m), // the agents' side is one side
    isPeerReader: (reader) => !!reader && reader.id === customerId,
    canRead: () => !document.hidden,
  });
  conv.room = { ...room, unread_count: 0 }; // opening the page marked it read

  new Thread(conv, {
    list, scroller: historyBox,
    // A colleague's message says who wrote it.
    options: (item) => ({ senderLabel: item.message.sender && item.message.sender.name }),
    wrap: (node, item) => {
      const other = item.mine && item.message.sender && item.message.sender.id !== me.id;
      if (other) {
        const label = node.querySelector(".oc-msg-sender");
        label.classList.remove("oc-sr");
        label.textContent = item.message.sender.name;
      }
      node.classList.add(item.mine ? "oc-from-agent" : "oc-from-customer");
      return el("li", { class: "oc-message-item", "data-id": item.message.id }, node);
    },
    onOlder: renderTop,
  });

  /** @param {string} [state] */
  function renderTop(state) {
    top.textContent = state === "loading" ? _("Loading older messages…")
      : state === "failed" ? _("Could not load older messages.")
        : conv.hasMore ? "" : conv.items.length ? _("The conversation starts here.") : _("No messages yet.");
  }

  conv.subscribe((change) => {
    if (change.type === "typing")
      typingBox.textContent = conv.typingName ? fmt(_("%(name)s is typing…"), { name: conv.typingName }) : "";
    if (change.type === "read") admin.refreshUnread();
    if (change.type === "room") applyRoom(conv.room);
    if (change.type === "reset" || change.type === "add") renderTop();
  });

  // Badges in the title and the controls follow the room, whoever changed it.
  /** @param {any} data */
  function applyRoom(data) {
    if (!data || data.id !== room.id) return;
    room = data;
    for (const field of ["status", "priority"]) {
      const badge = document.querySelector('[data-oc-badge="' + field + '"]');
      const choices = config[field === "status" ? "statuses" : "priorities"];
      if (badge) {
        const choice = choices.find((/** @type {any} */ c) => c.value === data[field]);
        badge.textContent = choice ? choice.label : data[field];
        badge.className = "oc-badge oc-" + field + "-" + String(data[field]).toLowerCase();
      }
    }
    const status = byId("oc-status");
    const priority = byId("oc-priority");
    const assignee = byId("oc-assignee");
    if (status && !status.disabled) status.value = data.status;
    if (priority && !priority.disabled) priority.value = data.priority;
    if (assignee && !assignee.disabled) {
      const value = data.admin ? String(data.admin.id) : "";
      if (value && !assignee.querySelector('option[value="' + value + '"]')) assignee.appendChild(el("option", { value, text: data.admin.name }));
      assignee.value = value;
    }
  }

  // Quick replies: "/" then the start of a shortcut or title; arrows choose, Enter or Tab insert.
  const replies = config.quickReplies || [];
  let menuIndex = 0;
  /** @type {any[]} */
  let menuItems = [];

  function slashQuery() {
    const before = input.value.slice(0, input.selectionStart);
    const match = before.match(/(^|\s)\/([^\s\x2f]*)$/);
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
    const found = slashQuery();
    if (!menu || !found || !replies.length) return closeMenu();
    menuItems = replies.filter((/** @type {any} */ reply) =>
      reply.shortcut.toLowerCase().indexOf(found.query) === 0 || reply.title.toLowerCase().indexOf(found.query) >= 0);
    if (!menuItems.length) return closeMenu();
    menuIndex = Math.min(menuIndex, menuItems.length - 1);
    menu.textContent = "";
    menuItems.forEach((reply, index) => {
      menu.appendChild(el("div", {
        id: "oc-quick-reply-" + index, role: "option",
        class: "oc-quick-reply" + (index === menuIndex ? " oc-active" : ""),
        "aria-selected": index === menuIndex ? "true" : "false",
        onmousedown: (/** @type {Event} */ event) => {
          event.preventDefault();
          choose(index);
        },
      }, [
        el("span", { class: "oc-quick-reply-key", text: "/" + reply.shortcut }),
        el("span", { class: "oc-quick-reply-title", text: reply.title }),
        el("span", { class: "oc-quick-reply-text", text: reply.text }),
      ]));
    });
    menu.hidden = false;
    input.setAttribute("aria-expanded", "true");
    input.setAttribute("aria-activedescendant", "oc-quick-reply-" + menuIndex);
  }

  /** @param {number} index */
  function choose(index) {
    const reply = menuItems[index];
    const found = slashQuery();
    if (!reply || !found) return closeMenu();
    const caret = input.selectionStart;
    input.value = input.value.slice(0, found.start) + reply.text + input.value.slice(caret);
    const at = found.start + reply.text.length;
    input.setSelectionRange(at, at);
    closeMenu();
    input.focus();
  }

  function submitText() {
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    closeMenu();
    conv.send({ message: text, message_type: "TEXT" });
  }

  if (composer && live) {
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", "oc-quick-replies");
    input.setAttribute("aria-expanded", "false");
    input.addEventListener("input", () => {
      menuIndex = 0;
      openMenu();
      conv.typed(input.value);
    });
    input.addEventListener("keydown", (/** @type {KeyboardEvent} */ event) => {
      if (menu && !menu.hidden && menuItems.length) {
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          event.preventDefault();
          menuIndex = (menuIndex + (event.key === "ArrowDown" ? 1 : menuItems.length - 1)) % menuItems.length;
          return openMenu();
        }
        if (event.key === "Enter" || event.key === "Tab") {
          event.preventDefault();
          return choose(menuIndex);
        }
        if (event.key === "Escape") {
          event.preventDefault();
          return closeMenu();
        }
      }
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submitText();
      }
    });
    input.addEventListener("blur", () => setTimeout(closeMenu, 150));
    composer.addEventListener("submit", (/** @type {Event} */ event) => {
      event.preventDefault();
      submitText();
      input.focus();
    });

    const shareButton = byId("oc-share-product");
    if (shareButton) {
      const picker = new ProductPicker({
        client: live, title: _("Share a product"),
        onChoose: (card) => conv.send({ message_type: "PRODUCT", product_id: card.id, product: card }),
      });
      shareButton.addEventListener("click", () => picker.open());
    }
  }

  // Status, priority, assignee: applied at once through the API (the customer sees it by their stream).
  document.querySelectorAll("[data-oc-manage]").forEach((/** @type {any} */ select) => {
    let previous = select.value;
    select.addEventListener("focus", () => (previous = select.value));
    select.addEventListener("change", () => {
      const field = select.getAttribute("data-oc-manage");
      /** @type {Record<string, any>} */
      const data = {};
      data[field] = field === "admin_id" ? (select.value ? Number(select.value) : null) : select.value;
      select.disabled = true;
      controlStatus.textContent = _("Saving…");
      live.manage(room.id, data).then((/** @type {any} */ updated) => {
        select.disabled = false;
        previous = select.value;
        controlStatus.textContent = _("Saved.");
        applyRoom(updated);
        setTimeout(() => {
          if (controlStatus.textContent === _("Saved.")) controlStatus.textContent = "";
        }, TIMINGS.connectionNotice);
      }, (/** @type {any} */ error) => {
        select.disabled = false;
        select.value = previous;
        controlStatus.textContent = errorMessage(error, _("The change was not saved."));
      });
    });
  });

  // First paint from the page, then live.
  conv.load(config.history || { results: [], has_more: false });
  admin.updateRelativeTimes();

  if (live) {
    let everLive = false;
    live.on("connection", (/** @type {string} */ state) => {
      if (state !== "live" && state !== "polling") return;
      conv.online();
      // Catch up with what was sent between the page's rendering and the stream's start.
      if (!everLive) conv.refresh().catch(() => {});
      everLive = true;
    });
    live.on("message", (/** @type {any} */ message) => {
      if (message.room !== room.id) {
        if (admin.isFromCustomer(message)) admin.notify(message, { visible: false });
        return admin.refreshUnread();
      }
      if (conv.receive(message) && fromCustomer(message)) admin.notify(message, { visible: true, here: true });
    });
    live.on("room", (/** @type {any} */ data) => {
      conv.updateRoom(data);
      admin.refreshUnread();
    });
    live.on("typing", (/** @type {any} */ data) => conv.peerTyping(data));
    live.on("read", (/** @type {any} */ data) => conv.read(data));
    live.on("reset", () => conv.refresh().catch(() => {}));
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) conv.markReadSoon();
    });
    live.watch(room.id);
    live.connect();
    admin.refreshUnread();
  }
}
