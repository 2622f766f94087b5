/* oscar_chat admin: one conversation mounted into its markup (the conversation page, or the
   inbox's fragment of it), on the conversation engine the widget uses (history with older
   pages, live messages, optimistic replies kept until sent, typing both ways — a colleague's
   too — and read receipts), plus what only agents have: quick replies (type "/"), internal
   notes, product, order and voucher cards, attachments (pick, paste, drop), the controls, and
   the customer panel's live store page and basket. Staff who may only view get the history,
   read-only. Message text is always set as text. */
import { Conversation } from "./chat/conversation.js";
import { Thread } from "./chat/thread.js";
import { TIMINGS } from "./chat/timings.js";
import { ProductPicker } from "./chat/picker.js";
import { wireAttachments } from "./chat/attach.js";
import { currencyFormats, el, errorMessage, fmt, formatDay, formatPrice, formatTime } from "./chat/ui.js";

/**
 * @typedef {{conv: Conversation, roomId: number, focusComposer(): void, toggleNote(): void,
 *   resolve(): Promise<any>, destroy(): void}} MountedRoom
 */

/**
 * @param {ParentNode} root where the conversation's markup is
 * @param {{admin: any, config: any, live: any, inInbox?: boolean}} options
 * @returns {MountedRoom}
 */
export function mountRoom(root, options) {
  const { admin, config, live } = options;
  const _ = admin._;
  let room = config.room;
  const me = config.me;
  const customerId = room.user.id;
  Object.assign(currencyFormats, config.currencyFormats || {});
  /** @type {Array<() => void>} */
  const cleanups = [];

  /** @param {string} id @returns {any} */
  const find = (id) => root.querySelector("#" + id);
  const historyBox = find("oc-history");
  const list = find("oc-messages");
  const top = find("oc-history-top");
  const typingBox = find("oc-typing");
  const composer = find("oc-composer");
  const input = find("oc-input");
  const menu = find("oc-quick-replies");
  const controlStatus = find("oc-control-status");
  historyBox.classList.add("oc-ui");
  if (menu) menu.classList.add("oc-ui");

  // Staff who may only view read the history through the admin's own JSON view.
  const client = (config.live && live) || {
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
  const agent = !!(config.live && live);

  /** @param {any} message */
  const fromCustomer = (message) => !!(message.sender && message.sender.id === customerId);
  const conv = new Conversation({
    client, roomId: room.id, me,
    isMine: (m) => !fromCustomer(m), // the agents' side is one side
    isPeerReader: (reader) => !!reader && reader.id === customerId,
    canRead: () => !document.hidden,
  });
  conv.room = { ...room, unread_count: 0 }; // opening it marked it read

  const thread = new Thread(conv, {
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
  cleanups.push(() => thread.destroy());

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

  // Badges and the controls follow the room, whoever changed it.
  /** @param {any} data */
  function applyRoom(data) {
    if (!data || data.id !== room.id) return;
    room = data;
    for (const field of ["status", "priority"]) {
      const choices = config[field === "status" ? "statuses" : "priorities"];
      document.querySelectorAll('[data-oc-badge="' + field + '"]').forEach((badge) => {
        const choice = choices.find((/** @type {any} */ c) => c.value === data[field]);
        badge.textContent = choice ? choice.label : data[field];
        badge.className = "oc-badge oc-" + field + "-" + String(data[field]).toLowerCase();
      });
    }
    const status = find("oc-status");
    const priority = find("oc-priority");
    const assignee = find("oc-assignee");
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

  // Internal note mode: what is written goes to the agents only (message_type NOTE).
  const noteToggle = find("oc-note-mode");
  let noteMode = false;
  const replyPlaceholder = input ? input.getAttribute("placeholder") : "";
  /** @param {boolean} on */
  function setNoteMode(on) {
    if (!noteToggle || !composer) return;
    noteMode = on;
    noteToggle.setAttribute("aria-pressed", on ? "true" : "false");
    composer.classList.toggle("oc-note-mode", on);
    input.setAttribute("placeholder", on ? noteToggle.dataset.placeholder : replyPlaceholder);
    // The customer is not told an agent is typing a note.
    if (on) conv.typed("");
  }
  if (noteToggle && composer) noteToggle.addEventListener("click", () => {
    setNoteMode(!noteMode);
    input.focus();
  });

  function submitText() {
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    closeMenu();
    conv.send({ message: text, message_type: noteMode ? "NOTE" : "TEXT" });
  }

  if (composer && agent) {
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", "oc-quick-replies");
    input.setAttribute("aria-expanded", "false");
    input.addEventListener("input", () => {
      menuIndex = 0;
      openMenu();
      if (!noteMode) conv.typed(input.value);
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

    const shareButton = find("oc-share-product");
    if (shareButton) {
      const picker = new ProductPicker({
        client: live, title: _("Share a product"),
        onChoose: (card) => conv.send({ message_type: "PRODUCT", product_id: card.id, product: card }),
      });
      shareButton.addEventListener("click", () => picker.open());
      cleanups.push(() => picker.dialog && picker.dialog.remove()); // built on first use, in the body
    }

    // Files: the widget's module (limits, refusals in words, upload with progress).
    const fileError = find("oc-file-error");
    const fileInput = find("oc-file");
    if (fileInput && config.fileTypes) {
      wireAttachments({
        limits: config, input, fileInput, pick: find("oc-attach"),
        dropZone: /** @type {HTMLElement} */ (find("oc-composer").closest(".oc-conversation") || composer),
        send: (file, messageType) => conv.send({ file, message_type: messageType }),
        report: (refused) => {
          fileError.hidden = !refused.length;
          fileError.textContent = refused.join(" ");
        },
      });
    }
  }

  // Orders of this customer, shared as cards from the panel (the API refuses anyone else's).
  root.querySelectorAll(".oc-share-order").forEach((/** @type {any} */ button) => {
    button.addEventListener("click", () => {
      const data = button.dataset;
      conv.send({
        message_type: "ORDER", order_number: data.orderNumber,
        order: { number: data.orderNumber, status: data.orderStatus, date_placed: data.orderDate, total: data.orderTotal, currency: data.orderCurrency, lines: [], url: null },
      });
    });
  });

  // Vouchers: Oscar's active ones, searched by code or name, shared as cards.
  const voucherSearch = find("oc-voucher-search");
  const voucherResults = find("oc-voucher-results");
  if (voucherSearch && config.vouchersUrl && agent) {
    let asked = 0;
    let timer = 0;
    const search = async () => {
      const ask = ++asked;
      let found;
      try {
        const response = await fetch(config.vouchersUrl + "?q=" + encodeURIComponent(voucherSearch.value), {
          credentials: "same-origin", headers: { Accept: "application/json" },
        });
        if (!response.ok) throw new Error("HTTP " + response.status);
        found = (await response.json()).results;
      } catch (error) {
        if (ask === asked) voucherResults.replaceChildren(el("li", { class: "oc-quiet", text: _("Could not search the vouchers.") }));
        return;
      }
      if (ask !== asked) return;
      voucherResults.replaceChildren(...(found.length ? found.map((/** @type {any} */ voucher) => el("li", { class: "oc-voucher-result" }, [
        el("span", { class: "oc-voucher-code", text: voucher.code }), " ",
        el("span", { class: "oc-voucher-name", text: voucher.name }),
        voucher.end_datetime ? el("span", { class: "oc-quiet", text: " · " + fmt(_("Valid until %(date)s"), { date: formatDay(voucher.end_datetime) }) }) : null,
        el("button", {
          class: "button oc-share-voucher", text: _("Share"), "aria-label": fmt(_("Share voucher %(code)s"), { code: voucher.code }),
          onclick: () => conv.send({ message_type: "VOUCHER", voucher_code: voucher.code, voucher: { ...voucher, description: "", is_active: true } }),
        }),
      ])) : [el("li", { class: "oc-quiet", text: _("No active voucher matches.") })]));
    };
    const onInput = () => {
      clearTimeout(timer);
      timer = window.setTimeout(search, 250);
    };
    voucherSearch.addEventListener("input", onInput);
    voucherSearch.addEventListener("focus", () => {
      if (!voucherResults.childElementCount) search();
    });
    cleanups.push(() => clearTimeout(timer));
  }

  // The customer's store page and basket, as the widget and Oscar report them.
  const pageBox = find("oc-customer-page");
  /** @param {any} page */
  function showPage(page) {
    if (!pageBox || !page || !page.url) return;
    pageBox.classList.remove("oc-quiet");
    pageBox.replaceChildren(
      el("a", { href: page.url, target: "_blank", rel: "noopener", text: page.title || page.url }),
      page.at ? el("span", { class: "oc-quiet", text: " · " + formatTime(page.at) }) : null,
    );
  }
  /** @param {any} basket */
  function showBasket(basket) {
    const panel = find("oc-panel-basket");
    if (!panel || !basket) return;
    const heading = panel.querySelector("h2");
    const lines = basket.lines || [];
    const body = lines.length
      ? el("table", { class: "oc-live-basket" }, [
          el("tbody", null, lines.map((/** @type {any} */ line) => el("tr", null, [
            el("td", { text: line.title }), el("td", { class: "oc-num", text: "× " + line.quantity }),
          ]))),
          el("tfoot", null, el("tr", null, [
            el("th", { scope: "row", text: fmt(_("%(n)s items"), { n: basket.num_items }) }),
            el("td", { class: "oc-num" }, el("strong", { text: formatPrice({ amount: basket.total, currency: basket.currency }) })),
          ])),
        ])
      : el("p", { class: "oc-quiet", text: _("The basket is empty.") });
    panel.replaceChildren(heading, body);
    panel.classList.add("oc-updated");
  }
  showPage(config.customerPage);

  // Controls: applied at once through the API (the customer sees it by their stream).
  root.querySelectorAll("[data-oc-manage]").forEach((/** @type {any} */ select) => {
    let previous = select.value;
    select.addEventListener("focus", () => (previous = select.value));
    select.addEventListener("change", () => {
      const field = select.getAttribute("data-oc-manage");
      /** @type {Record<string, any>} */
      const data = {};
      if (field === "labels") data.labels = select.value.split(",").map((/** @type {string} */ label) => label.trim()).filter(Boolean);
      else data[field] = field === "admin_id" ? (select.value ? Number(select.value) : null) : select.value;
      select.disabled = true;
      controlStatus.textContent = _("Saving…");
      live.manage(room.id, data).then((/** @type {any} */ updated) => {
        select.disabled = false;
        if (field === "labels") select.value = (updated.labels || []).join(", ");
        previous = select.value;
        saved(updated);
      }, (/** @type {any} */ error) => {
        select.disabled = false;
        select.value = previous;
        controlStatus.textContent = errorMessage(error, _("The change was not saved."));
      });
    });
  });

  // Labels are typed comma-separated; a datalist suggests whole values, so its options are
  // rewritten as what is typed up to the last comma plus each label in use not chosen yet: every
  // label typed gets the suggestions, not only the first.
  const labelsInput = find("oc-labels");
  const labelsInUse = find("oc-labels-in-use");
  if (labelsInput && labelsInUse) {
    const inUse = Array.from(labelsInUse.options, (/** @type {HTMLOptionElement} */ option) => option.value);
    const suggest = () => {
      const value = labelsInput.value;
      const cut = value.lastIndexOf(",");
      const head = value.slice(0, cut + 1) + (/^\s*/.exec(value.slice(cut + 1)) || [""])[0];
      const chosen = value.slice(0, Math.max(cut, 0)).split(",").map((/** @type {string} */ label) => label.trim().toLowerCase());
      labelsInUse.replaceChildren(...inUse.filter((label) => !chosen.includes(label)).map((label) => el("option", { value: head + label })));
    };
    labelsInput.addEventListener("input", suggest);
    labelsInput.addEventListener("focus", suggest);
    labelsInput.addEventListener("change", () => {
      // Labels saved become suggestions too.
      for (const label of labelsInput.value.split(",").map((/** @type {string} */ label) => label.trim().toLowerCase())) {
        if (label && !inUse.includes(label)) inUse.push(label);
      }
    });
  }

  /** @param {any} updated */
  function saved(updated) {
    controlStatus.textContent = _("Saved.");
    applyRoom(updated);
    setTimeout(() => {
      if (controlStatus.textContent === _("Saved.")) controlStatus.textContent = "";
    }, TIMINGS.connectionNotice);
  }

  // First paint from the markup's data, then live.
  conv.load(config.history || { results: [], has_more: false });
  admin.updateRelativeTimes(root);

  if (agent) {
    let everLive = live.state === "live" || live.state === "polling";
    if (everLive) conv.refresh().catch(() => {});
    /** @type {Array<[string, (data: any) => void]>} */
    const handlers = [
      ["connection", (state) => {
        if (state !== "live" && state !== "polling") return;
        conv.online();
        // Catch up with what was sent between the markup's rendering and the stream's start.
        if (!everLive) conv.refresh().catch(() => {});
        everLive = true;
      }],
      ["message", (message) => {
        if (message.room !== room.id) {
          if (options.inInbox) return; // the inbox's list tells of other rooms
          if (admin.isFromCustomer(message)) admin.notify(message, { visible: false });
          return admin.refreshUnread();
        }
        if (conv.receive(message) && fromCustomer(message)) admin.notify(message, { visible: true, here: true });
      }],
      ["room", (data) => {
        conv.updateRoom(data);
        if (!options.inInbox) admin.refreshUnread();
      }],
      ["typing", (data) => conv.peerTyping(data)],
      ["read", (data) => conv.read(data)],
      ["reset", () => conv.refresh().catch(() => {})],
      ["customer", (data) => {
        if (!data || data.customer !== customerId) return;
        showPage(data.page);
        showBasket(data.basket);
      }],
    ];
    for (const [name, fn] of handlers) live.on(name, fn);
    cleanups.push(() => handlers.forEach(([name, fn]) => live.off(name, fn)));
    const onVisible = () => {
      if (!document.hidden) conv.markReadSoon();
    };
    document.addEventListener("visibilitychange", onVisible);
    cleanups.push(() => document.removeEventListener("visibilitychange", onVisible));
    live.watch(room.id);
  }

  return {
    conv,
    roomId: room.id,
    focusComposer() {
      if (input) input.focus();
    },
    toggleNote() {
      if (!noteToggle) return;
      setNoteMode(!noteMode);
      input.focus();
    },
    async resolve() {
      if (!agent || !controlStatus) return null;
      controlStatus.textContent = _("Saving…");
      try {
        const updated = await live.manage(room.id, { status: "RESOLVED" });
        saved(updated);
        return updated;
      } catch (error) {
        controlStatus.textContent = errorMessage(error, _("The change was not saved."));
        return null;
      }
    },
    destroy() {
      cleanups.forEach((fn) => fn());
      conv.destroy();
    },
  };
}
