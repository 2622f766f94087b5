/* oscar_chat admin: the inbox. The conversation list (views Mine, Unassigned, All, filters and
   search, live from the agents' stream), the open conversation and its customer panel side by
   side (the server renders one conversation as a fragment; admin-room.js mounts it on the shared
   engine), the URL following the open conversation, keyboard shortcuts, one column on narrow
   screens. Text from the API is always set as text. */
import { mountRoom } from "./admin-room.js";
import { el, fmt, ngettext } from "./chat/ui.js";

const OC = window.OscarChat || {};
const admin = OC.admin;

/** @param {string} id @returns {any} */
const byId = (id) => document.getElementById(id);

const FILTERS = ["q", "status", "priority", "label", "unread"];
const VIEWS = ["mine", "unassigned", "all"];

/** A stable hue per label, so that a label has one colour wherever it shows. @param {string} label */
export function labelHue(label) {
  let hash = 0;
  for (const char of label) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return hash % 360;
}

if (admin && byId("oc-inbox")) {
  const _ = admin._;
  const config = admin.config;
  const inbox = byId("oc-inbox");
  const roomsList = byId("oc-inbox-rooms");
  const countLine = byId("oc-inbox-count");
  const roomPane = byId("oc-inbox-room");
  const filters = byId("oc-inbox-filters");
  const help = byId("oc-help");
  const live = config.live ? admin.start() : null;

  /** @type {{view: string, q: string, status: string, priority: string, label: string, unread: string}} */
  const state = { view: "all", q: "", status: "", priority: "", label: "", unread: "" };
  /** @type {any[]} */
  let rooms = [];
  /** @type {import("./admin-room.js").MountedRoom | null} */
  let mounted = null;
  let openId = 0;
  let opening = 0;

  // The URL: ?view=…&status=…&room=<id>, so that a link or a reload lands on the same place.
  function readUrl() {
    const params = new URLSearchParams(window.location.search);
    state.view = VIEWS.includes(params.get("view")) ? params.get("view") : "all";
    for (const name of FILTERS) state[name] = params.get(name) || "";
    return Number(params.get("room")) || 0;
  }
  function urlFor(roomId) {
    const params = new URLSearchParams();
    if (state.view !== "all") params.set("view", state.view);
    for (const name of FILTERS) if (state[name]) params.set(name, state[name]);
    if (roomId) params.set("room", String(roomId));
    const search = params.toString();
    return window.location.pathname + (search ? "?" + search : "");
  }
  function showFilters() {
    document.querySelectorAll("[data-oc-view]").forEach((button) =>
      button.setAttribute("aria-pressed", button.getAttribute("data-oc-view") === state.view ? "true" : "false"));
    for (const name of FILTERS) {
      const field = filters.elements.namedItem(name);
      if (!field) continue;
      if (field.type === "checkbox") field.checked = state[name] === field.value;
      else if (field.tagName === "SELECT" && state[name] && !field.querySelector('option[value="' + CSS.escape(state[name]) + '"]'))
        field.appendChild(el("option", { value: state[name], text: state[name] }));
      if (field.type !== "checkbox") field.value = state[name];
    }
  }

  // The list

  let listTimer = 0;
  let listAsked = 0;
  async function loadList() {
    const ask = ++listAsked;
    const params = new URLSearchParams({ view: state.view });
    for (const name of FILTERS) if (state[name]) params.set(name, state[name]);
    let data;
    try {
      const response = await fetch(config.roomsUrl + "?" + params, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error("HTTP " + response.status);
      data = await response.json();
    } catch (error) {
      if (ask === listAsked) countLine.textContent = _("Could not load the conversations; trying again with the next update.");
      return;
    }
    if (ask !== listAsked) return;
    const before = new Map(rooms.map((room) => [room.id, room.last_activity + "|" + room.unread_count + "|" + room.status]));
    rooms = data.results;
    renderList(before);
  }
  function scheduleList(delay) {
    clearTimeout(listTimer);
    listTimer = window.setTimeout(loadList, delay === undefined ? 250 : delay);
  }

  /** @type {Map<number, {shows: string, node: HTMLElement}>} */
  let shown = new Map();
  /** What an entry shows of ``room``: the same, and its element is kept. @param {any} room */
  const entryShows = (room) => JSON.stringify([room.user.name, room.subject, room.last_message, room.last_activity,
    room.unread_count, room.status, room.priority, room.admin && room.admin.name, room.labels]);

  /** @param {Map<number, string>} before */
  function renderList(before) {
    countLine.textContent = rooms.length
      ? fmt(ngettext("%(n)s conversation", "%(n)s conversations", rooms.length), { n: rooms.length })
      : _("No conversations here.");
    // Entries that show the same stay the same elements, where they are: an agent's click is
    // never lost to a refresh that replaced the entry between the press and the release.
    const next = new Map();
    const nodes = rooms.map((room) => {
      const shows = entryShows(room);
      const kept = shown.get(room.id);
      const node = kept && kept.shows === shows ? kept.node : entryNode(room, before);
      node.firstElementChild.setAttribute("href", urlFor(room.id)); // the filters may have changed
      next.set(room.id, { shows, node });
      return node;
    });
    shown = next;
    nodes.forEach((node, index) => {
      const at = roomsList.children[index];
      if (at !== node) {
        node.classList.remove("oc-flash"); // moved, not changed: no flash again
        roomsList.insertBefore(node, at || null);
      }
    });
    while (roomsList.children.length > nodes.length) roomsList.lastElementChild.remove();
    admin.updateRelativeTimes(roomsList);
  }

  /** @param {any} room @param {Map<number, string>} before */
  function entryNode(room, before) {
    const changed = before.size && before.get(room.id) !== room.last_activity + "|" + room.unread_count + "|" + room.status;
    return el("li", { class: "oc-inbox-entry" + (changed ? " oc-flash" : "") }, el("a", {
      href: urlFor(room.id), class: "oc-inbox-item" + (room.unread_count ? " oc-has-unread" : ""),
      "data-oc-room": room.id, "aria-current": room.id === openId ? "true" : null,
      onclick: (/** @type {MouseEvent} */ event) => {
        if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        openRoom(room.id, { push: true });
      },
    }, [
      el("span", { class: "oc-inbox-line" }, [
        el("strong", { class: "oc-inbox-customer", text: room.user.name }),
        room.unread_count ? el("span", { class: "oc-unread-count", text: room.unread_count, "aria-label": fmt(ngettext("%(n)s unread message", "%(n)s unread messages", room.unread_count), { n: room.unread_count }) }) : null,
        el("time", { class: "oc-relative oc-quiet", datetime: room.last_activity }),
      ]),
      el("span", { class: "oc-inbox-subject", text: room.subject }),
      el("span", { class: "oc-inbox-preview", text: room.last_message }),
      el("span", { class: "oc-inbox-line oc-inbox-tags" }, [
        badge("status", room.status),
        room.priority !== "NORMAL" ? badge("priority", room.priority) : null,
        room.admin ? el("span", { class: "oc-quiet", text: room.admin.name }) : el("span", { class: "oc-quiet", text: _("Unassigned") }),
        ...room.labels.map((/** @type {string} */ label) => el("span", { class: "oc-badge oc-label", style: "--oc-label-hue: " + labelHue(label), text: label })),
      ]),
    ]));
  }
  /** @param {string} field @param {string} value */
  function badge(field, value) {
    const choices = config[field === "status" ? "statuses" : "priorities"];
    const choice = choices.find((/** @type {any} */ c) => c.value === value);
    return el("span", { class: "oc-badge oc-" + field + "-" + value.toLowerCase(), text: choice ? choice.label : value });
  }
  function markOpen() {
    roomsList.querySelectorAll(".oc-inbox-item").forEach((/** @type {any} */ link) => {
      if (Number(link.dataset.ocRoom) === openId) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
    });
  }

  // The open conversation

  /** @param {number} id @param {{push?: boolean, focus?: boolean}} [how] */
  async function openRoom(id, how) {
    how = how || {};
    if (!id) return closeRoom(how);
    if (how.push) history.pushState({ room: id }, "", urlFor(id));
    inbox.setAttribute("data-pane", "room");
    if (id === openId && mounted) return;
    const ask = ++opening;
    openId = id;
    markOpen();
    roomPane.setAttribute("aria-busy", "true");
    let html = "";
    let status = 0;
    try {
      const response = await fetch(config.workspaceUrl.replace("{id}", String(id)), { credentials: "same-origin", headers: { Accept: "text/html" } });
      status = response.status;
      html = response.ok ? await response.text() : "";
    } catch (error) {
      status = 0;
    }
    if (ask !== opening) return;
    roomPane.removeAttribute("aria-busy");
    if (mounted) mounted.destroy();
    mounted = null;
    if (!html) {
      roomPane.replaceChildren(el("p", { class: "errornote", role: "alert", text: status === 404 || status === 403
        ? _("This conversation does not exist, or you may not open it.")
        : _("The conversation could not be loaded. Check your connection and try again.") }));
      return;
    }
    // The server's own rendering of the conversation (its templates escape every text).
    roomPane.innerHTML = html;
    const roomConfig = JSON.parse(roomPane.querySelector("#oc-room-config").textContent);
    mounted = mountRoom(roomPane, { admin, config: { ...config, ...roomConfig }, live, inInbox: true });
    const back = roomPane.querySelector("#oc-back");
    if (back) back.addEventListener("click", () => {
      closeRoom({ push: true });
      const link = roomsList.querySelector('[data-oc-room="' + id + '"]');
      if (link) link.focus();
    });
    roomPane.querySelectorAll("[data-oc-room-link]").forEach((/** @type {any} */ link) => link.addEventListener("click", (/** @type {MouseEvent} */ event) => {
      if (event.ctrlKey || event.metaKey || event.shiftKey) return;
      event.preventDefault();
      openRoom(Number(link.dataset.ocRoomLink), { push: true });
    }));
    if (how.focus) mounted.focusComposer();
    // Opening it marked the customer's messages read.
    scheduleList();
    admin.refreshUnread();
  }

  /** @param {{push?: boolean}} [how] */
  function closeRoom(how) {
    if (how && how.push) history.pushState({ room: 0 }, "", urlFor(0));
    inbox.setAttribute("data-pane", "list");
    if (window.matchMedia("(max-width: 899px)").matches) return; // the list shows; the room waits behind it
    if (mounted) mounted.destroy();
    mounted = null;
    openId = 0;
    opening++;
    markOpen();
    roomPane.replaceChildren(el("p", { class: "oc-inbox-empty", text: _("Choose a conversation in the list.") }));
  }

  /** @param {number} step */
  function move(step) {
    if (!rooms.length) return;
    const index = rooms.findIndex((room) => room.id === openId);
    const next = index < 0 ? (step > 0 ? 0 : rooms.length - 1) : Math.min(rooms.length - 1, Math.max(0, index + step));
    if (rooms[next].id === openId) return;
    openRoom(rooms[next].id, { push: true });
    const link = roomsList.querySelector('[data-oc-room="' + rooms[next].id + '"]');
    if (link) link.scrollIntoView({ block: "nearest" });
  }

  // Views and filters: the list again, the URL replaced (the open room stays).
  document.querySelectorAll("[data-oc-view]").forEach((button) => button.addEventListener("click", () => {
    state.view = button.getAttribute("data-oc-view");
    changed();
  }));
  let searchTimer = 0;
  filters.addEventListener("input", (/** @type {Event} */ event) => {
    const field = /** @type {any} */ (event.target);
    state[field.name] = field.type === "checkbox" ? (field.checked ? field.value : "") : field.value.trim();
    clearTimeout(searchTimer);
    searchTimer = window.setTimeout(changed, field.type === "search" ? 300 : 0);
  });
  filters.addEventListener("submit", (/** @type {Event} */ event) => {
    event.preventDefault();
    changed();
  });
  function changed() {
    showFilters();
    history.replaceState({ room: openId }, "", urlFor(openId));
    scheduleList(0);
  }

  window.addEventListener("popstate", () => {
    const id = readUrl();
    showFilters();
    scheduleList(0);
    openRoom(id);
  });

  // Keyboard: never while typing in a field.
  /** @param {EventTarget | null} target */
  const typingIn = (target) => {
    const node = /** @type {any} */ (target);
    return !!node && (node.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(node.tagName));
  };
  document.addEventListener("keydown", (/** @type {KeyboardEvent} */ event) => {
    if (event.defaultPrevented || event.isComposing || event.ctrlKey || event.metaKey) return;
    if (document.querySelector("dialog[open]")) return; // the help's or the product picker's own keys
    if (typingIn(event.target)) {
      if (event.key === "Escape") /** @type {any} */ (event.target).blur();
      return;
    }
    const key = event.key;
    /** @type {(() => void) | null} */
    let action = null;
    if (event.altKey) {
      if (key === "ArrowDown") action = () => move(1);
      else if (key === "ArrowUp") action = () => move(-1);
    } else if (key === "j") action = () => move(1);
    else if (key === "k") action = () => move(-1);
    else if (key === "r" && mounted) action = () => mounted.focusComposer();
    else if (key === "n" && mounted) action = () => mounted.toggleNote();
    else if (key === "e" && mounted) action = () => mounted.resolve();
    else if (key === "/") action = () => byId("oc-inbox-search").focus();
    else if (key === "?") action = () => help.showModal();
    if (!action) return;
    event.preventDefault();
    action();
  });
  byId("oc-help-open").addEventListener("click", () => help.showModal());

  // Live: every event of the agents' stream refreshes the list, quietly.
  if (live) {
    live.on("message", (/** @type {any} */ message) => {
      scheduleList();
      if (message.room !== openId && admin.isFromCustomer(message)) admin.notify(message, { visible: false });
      admin.refreshUnread();
    });
    live.on("room", () => {
      scheduleList();
      admin.refreshUnread();
    });
    live.on("reset", () => scheduleList());
    live.on("connection", (/** @type {string} */ connection) => {
      if (connection === "live") scheduleList();
    });
  }

  const first = readUrl();
  showFilters();
  history.replaceState({ room: first }, "", urlFor(first));
  loadList();
  if (first) openRoom(first);
  if (live) live.connect();
}
