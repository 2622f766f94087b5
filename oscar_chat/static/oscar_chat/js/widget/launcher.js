/* oscar_chat: the storefront's chat button, set up by #oscar-chat-config ({% oscar_chat_widget %}).
   All a page downloads while the chat is closed: the conversation loads on the first open. */
const configNode = document.getElementById("oscar-chat-config");
const cfg = configNode && !document.getElementById("oscar-chat") ? JSON.parse(configNode.textContent || "{}") : null;
const words = cfg ? cfg.strings : {};
const me = cfg && cfg.user;
const storeKey = "oscar-chat:" + (me ? me.id : "guest");
const script = document.querySelector("script[data-oc-launcher]");
const nonce = (script && /** @type {HTMLScriptElement} */ (script).nonce) || "";
const baseTitle = document.title;
let unread = 0;
let open = false;
let loading = null;
let app = null;

function saved(key) {
  try {
    return JSON.parse(sessionStorage.getItem(key) || "{}") || {};
  } catch (e) {
    return {};
  }
}

/** A link from the chat's emails (?oscar_chat_room=<id>) opens that conversation. */
function openLinkedRoom() {
  const linked = new URLSearchParams(window.location.search).get("oscar_chat_room");
  if (!me || !linked || !/^[0-9]{1,19}$/.test(linked)) return;
  try {
    sessionStorage.setItem(storeKey, JSON.stringify({ ...saved(storeKey), open: true, view: "room", room: Number(linked) }));
  } catch (e) {
    /* not kept: the chat opens as it was */
  }
}

function make(tag, attrs) {
  const node = document.createElement(tag);
  for (const k in attrs) node.setAttribute(k, attrs[k]);
  return node;
}

const badge = make("span", { class: "oc-badge", "aria-hidden": "true" });
const button = make("button", { type: "button", class: "oc-launcher", "aria-expanded": "false" });
const root = make("div", { id: "oscar-chat", class: "oc-ui oc-widget" });

function label() {
  let text = open ? words.close : words.chat;
  if (unread) text += ", " + (unread === 1 ? words.unreadOne : words.unreadMany).replace("%(n)s", String(unread));
  button.setAttribute("aria-label", text);
  const title = document.hidden && unread ? "(" + unread + ") " + baseTitle : baseTitle;
  if (document.title !== title) document.title = title;
}

// The launcher's state, told by the conversation once loaded; saved and refresh are shared with it.
const launcher = {
  cfg, root, button, nonce, storeKey, saved, refresh: () => refresh(),
  setUnread(n) {
    unread = Math.max(0, n || 0);
    badge.hidden = !unread;
    badge.textContent = unread > 99 ? "99+" : String(unread);
    label();
  },
  setOpen(isOpen) {
    open = isOpen;
    button.setAttribute("aria-expanded", String(isOpen));
    root.classList.toggle("oc-is-open", isOpen);
    label();
  },
};

function load(tag, attrs) {
  return new Promise((resolve) => {
    const node = make(tag, attrs);
    if (nonce) (node).nonce = nonce;
    node.onload = node.onerror = resolve; // without the catalog or a style the chat still works
    document.head.appendChild(node);
  });
}

/**
 * The widget's words ({plural, strings}: oscar_chat/jsi18n.py) where ui.js reads them; the plural
 * rule is a table of the form index of 0…199. Without them the chat still works, in English.
 * @param {string} url
 */
function loadWords(url) {
  return fetch(url, { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : null))
    .then((w) => {
      if (!w) return;
      window.OscarChat = window.OscarChat || {};
      window.OscarChat.i18n = { plural: (/** @type {number} */ n) => +(w.plural[n < 200 ? n : 100 + (n % 100)] || 0), strings: w.strings };
    }, () => null);
}

/** Loads the conversation (styles, translations, modules) once; resolves with it. */
function start(restore = false) {
  if (!loading) {
    launcher.restore = restore; // reopen as it was, or wait for the click that loads it
    stopWatching();
    loading = Promise.all([
      ...cfg.css.map((href) => load("link", { rel: "stylesheet", href })),
      cfg.wordsUrl ? loadWords(cfg.wordsUrl) : cfg.catalogUrl ? load("script", { src: cfg.catalogUrl }) : null,
      import(cfg.appUrl),
    ]).then((loaded) => (app = loaded[loaded.length - 1].start(launcher)));
  }
  return loading;
}

// Unread messages while closed: the stream says something changed, the count is asked again.
let source = null;
let failures = 0;
let timer = null;

function csrf() {
  return (document.cookie.match("(?:^|; )" + cfg.csrfCookie + "=([^;]*)") || [])[1] || cfg.csrfToken;
}

async function api(method, path) {
  const response = await fetch(cfg.apiRoot + path, {
    method, credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRFToken": csrf() },
  });
  if (!response.ok) throw new Error(String(response.status));
  return response.json();
}

function refresh() {
  clearTimeout(timer);
  timer = setTimeout(() => api("GET", "unread").then((data) => launcher.setUnread(data.total), () => {}), 150);
}

async function watch() {
  if (loading) return;
  try {
    const ticket = await api("POST", "sse/ticket");
    if (loading) return;
    source = new EventSource(cfg.apiRoot + "sse?ticket=" + encodeURIComponent(ticket.ticket));
    source.onopen = () => (failures = 0);
    for (const name of ["message", "room", "read"]) source.addEventListener(name, refresh);
    source.onerror = () => {
      stopWatching();
      retry();
    };
  } catch (e) {
    retry();
  }
}

function retry() {
  failures += 1;
  timer = setTimeout(() => {
    refresh();
    watch();
  }, Math.min(30000, 1000 * 2 ** failures));
}

function stopWatching() {
  if (source) source.close();
  source = null;
}

if (cfg) {
  badge.hidden = true;
  button.innerHTML = '<svg class="oc-icon" viewBox="0 0 24 24" width="26" height="26" aria-hidden="true" focusable="false"><path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"/></svg>';
  button.appendChild(badge);
  button.addEventListener("click", () => start().then((chat) => chat.toggle()));
  // "Ask about this product" ({% oscar_chat_ask_about %}) anywhere on the page.
  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element && event.target.closest("[data-oc-ask-product]");
    if (!target) return;
    event.preventDefault();
    const id = Number(target.getAttribute("data-oc-ask-product"));
    start().then((chat) => chat.ask(id, target));
  });
  document.addEventListener("visibilitychange", label);
  root.appendChild(button);
  document.body.appendChild(root);
  label();
  openLinkedRoom();
  const state = saved(storeKey);
  const back = me && !state.view && saved("oscar-chat:guest").resume; // signed in through the chat
  // Restored open, except where the panel would stand in the way: the sign-in and basket pages.
  // The page open, for the agents' customer panel (cfg.activity: a customer with a conversation).
  if (cfg.activity) {
    fetch(cfg.apiRoot + "activity", {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ url: location.pathname + location.search, title: baseTitle.slice(0, 200) }),
    }).catch(() => {});
  }
  if ((state.open || state.ask || back) && !cfg.quietPage) start(true);
  else if (me) {
    refresh();
    watch();
  }
}

export { launcher, app };
