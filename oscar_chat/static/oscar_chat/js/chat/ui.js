/* oscar_chat: DOM pieces of the widget and the admin. Data is set as text, never as HTML. */
import { errorText } from "./client.js";

let uidCounter = 0;

// The widget's catalog (<api>/i18n, set by the launcher: {plural, strings}), else Django's (the admin's), else English.
const words = () => globalThis.window && window.OscarChat && window.OscarChat.i18n;
export const _ = (s) => {
  const i18n = words();
  return i18n ? i18n.strings[s] || s : typeof window.gettext === "function" ? window.gettext(s) : s;
};
export const ngettext = (singular, plural, n) => {
  const i18n = words();
  const forms = i18n && i18n.strings[singular];
  if (forms) return forms[i18n.plural(n)] || forms[0];
  if (!i18n && typeof window.ngettext === "function") return window.ngettext(singular, plural, n);
  return n === 1 ? singular : plural;
};
// "%(name)s" placeholders, as Django's interpolate(fmt, obj, true).
export const fmt = (s, values) => s.replace(/%\((\w+)\)s/g, (all, key) => (key in values ? String(values[key]) : all));
export const uid = (prefix) => (prefix || "oc") + "-" + ++uidCounter;

/** el("button", {class: "x", onclick: fn}, ["text", node]): text only. @param {string} tag @param {Record<string, any> | null} [attrs] @param {any} [children] @returns {any} */
export function el(tag, attrs, children) {
  const node = document.createElement(tag);
  if (tag === "button") node.setAttribute("type", "button"); // submit only if asked
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  if (children === null || children === undefined || children === false) return;
  for (const child of Array.isArray(children) ? children : [children]) {
    if (Array.isArray(child)) append(node, child);
    else if (child !== null && child !== undefined && child !== false)
      node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

// Stroke icons: no emoji font needed.
const ICONS = {
  chat: "M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z",
  box: "M21 16V8a2 2 0 0 0-1-1.73l-7-4a2 2 0 0 0-2 0l-7 4A2 2 0 0 0 3 8v8a2 2 0 0 0 1 1.73l7 4a2 2 0 0 0 2 0l7-4A2 2 0 0 0 21 16zM3.3 7L12 12l8.7-5M12 22V12",
  send: "M22 2L11 13M22 2l-7 20-4-9-9-4z",
  close: "M18 6L6 18M6 6l12 12",
  back: "M19 12H5M12 19l-7-7 7-7",
  clip: "M21.4 11.1l-9.2 9.2a6 6 0 0 1-8.5-8.5l9.2-9.2a4 4 0 0 1 5.7 5.7l-9.2 9.2a2 2 0 0 1-2.8-2.8l8.5-8.5",
  star: "M12 2l3 6.3 7 1-5 4.9 1.2 6.8-6.2-3.3L5.8 21 7 14.2 2 9.3l7-1z",
  file: "M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8zM14 2v6h6",
};
export function icon(name, size) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  const path = document.createElementNS(ns, "path");
  for (const [k, v] of Object.entries({ viewBox: "0 0 24 24", width: size || 20, height: size || 20, "aria-hidden": "true", focusable: "false", class: "oc-icon" }))
    svg.setAttribute(k, String(v));
  path.setAttribute("d", ICONS[name]);
  svg.appendChild(path);
  return svg;
}

// In the page's language, else the browser's (an unknown code throws).
function intl(Format, options) {
  try {
    return new Format((globalThis.document && document.documentElement.lang) || undefined, options);
  } catch (e) {
    return new Format(undefined, options);
  }
}
const numberFormat = (options) => intl(Intl.NumberFormat, options);
export const dateFormat = (options) => intl(Intl.DateTimeFormat, options);

export const currencyFormats = {};

// As Oscar's |currency prints: the store's pattern ("Rp #,##0") and decimals.
export function formatPrice(price) {
  if (!price) return _("Price not available");
  const amount = Number(price.amount);
  const currency = price.currency;
  const spec = currencyFormats[currency] || {};
  const digits = typeof spec.digits === "number" ? { minimumFractionDigits: spec.digits, maximumFractionDigits: spec.digits } : {};
  const match = typeof spec.format === "string" && spec.format.split(";")[0].match(/^([^#0,.]*)([#0,.]+)(.*)$/);
  if (match) {
    const decimals = (match[2].split(".")[1] || "").replace(/[^#0]/g, "");
    const options = { minimumFractionDigits: (decimals.match(/0/g) || []).length, maximumFractionDigits: decimals.length, useGrouping: match[2].includes(","), ...digits };
    return (match[1] + numberFormat(options).format(amount) + match[3]).replace(/\u00a4/g, currency).trim();
  }
  try {
    return numberFormat({ ...digits, style: "currency", currency }).format(amount);
  } catch (e) {
    return currency + " " + price.amount;
  }
}

// "14:05" today, else "3 Mar 14:05".
export function formatTime(iso) {
  const date = new Date(iso);
  if (isNaN(date.getTime())) return "";
  const now = new Date();
  const options = { hour: "2-digit", minute: "2-digit" };
  if (date.toDateString() !== now.toDateString()) {
    options.day = "numeric";
    options.month = "short";
    if (date.getFullYear() !== now.getFullYear()) options.year = "numeric";
  }
  return dateFormat(options).format(date);
}

export function formatDay(iso) {
  const date = new Date(iso);
  const days = Math.round((new Date().setHours(0, 0, 0, 0) - new Date(iso).setHours(0, 0, 0, 0)) / 86400000);
  if (days === 0) return _("Today");
  if (days === 1) return _("Yesterday");
  return dateFormat({ weekday: "long", day: "numeric", month: "long", year: "numeric" }).format(date);
}

export function formatSize(bytes) {
  const units = ["B", "KB", "MB", "GB"];
  let i = 0;
  while (bytes >= 1024 && i < units.length - 1) (bytes /= 1024), i++;
  return numberFormat({ maximumFractionDigits: i > 1 ? 1 : 0 }).format(bytes) + " " + units[i];
}

// "Budi Santoso" → "BS".
export function initials(name) {
  const words = (name || "?").trim().split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w));
  return (words.length > 1 ? words[0][0] + words[words.length - 1][0] : (words[0] || "?").slice(0, 2)).toUpperCase();
}

function busy(button, label) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  const old = button.textContent;
  button.textContent = label;
  return () => {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = old;
  };
}

export function errorMessage(error, fallback) {
  if (!error) return fallback;
  if (error.status === 0) return _("You seem to be offline. Check your connection and try again.");
  if (error.status === 429)
    return error.retryAfter
      ? fmt(_("You are sending messages too quickly. Try again in %(n)s seconds."), { n: error.retryAfter })
      : _("You are sending messages too quickly. Try again in a moment.");
  if (error.status === 401 || error.status === 403) return _("Your session has ended. Sign in again to continue.");
  if (error.status === 413) return _("This file is too large.");
  if (error.status >= 500) return _("Something went wrong on our side. Try again in a moment.");
  return (error.body && errorText(error.body)) || fallback;
}

// options: onBasket/onWishlist(card) → the API's answer, basketUrl, compact (no buttons), inline (spans only, in a button).
/** @param {any} card @param {any} [options] */
export function renderProductCard(card, options) {
  options = options || {};
  card = card || {};
  const availability = card.availability || {};
  const gone = availability.code === "unavailable";
  const buyable = !!availability.is_available_to_buy;
  const feedback = el("p", { class: "oc-card-feedback", role: "status", "aria-live": "polite" });
  const actions = [];

  function report(text, ok, link) {
    feedback.className = "oc-card-feedback " + (ok ? "oc-ok" : "oc-error");
    feedback.textContent = text;
    if (link) append(feedback, [" ", el("a", { href: link.url, text: link.text })]);
  }

  // Busy while the API answers, then the outcome in words.
  function action(label, working, run, success, failure, primary) {
    const button = el("button", {
      class: "oc-btn" + (primary ? " oc-btn-primary" : ""),
      disabled: primary && !buyable,
      text: label,
      onclick() {
        const done = busy(button, working);
        run(card).then(
          (result) => {
            done();
            success(result || {});
          },
          (error) => {
            done();
            report(errorMessage(error, failure), false);
          }
        );
      },
    });
    actions.push(button);
  }

  if (!gone && !options.compact) {
    if (card.is_parent && card.url) {
      actions.push(el("a", { class: "oc-btn oc-btn-primary", href: card.url, target: "_blank", rel: "noopener", text: _("Choose options") }));
    } else if (options.onBasket) {
      action(_("Add to basket"), _("Adding…"), options.onBasket, (result) => {
        const n = (result.basket || {}).num_items;
        let text = _("Added to your basket.");
        if (n) text += " " + fmt(ngettext("%(n)s item in your basket.", "%(n)s items in your basket.", n), { n });
        report(text, true, options.basketUrl && { url: options.basketUrl, text: _("View basket") });
      }, _("Could not add this product to your basket."), true);
    }
    if (options.onWishlist)
      action(_("Add to wishlist"), _("Saving…"), options.onWishlist, (result) => {
        const list = result.wishlist || {};
        report(result.added === false ? _("Already in your wishlist.") : _("Added to your wishlist."), true,
          list.url && { url: list.url, text: _("View wishlist") });
      }, _("Could not add this product to your wishlist."));
    if (card.url && !card.is_parent)
      actions.push(el("a", { class: "oc-btn", href: card.url, target: "_blank", rel: "noopener" }, [
        _("View details"),
        el("span", { class: "oc-sr", text: " " + _("(opens in a new tab)") }),
      ]));
  }

  const stockText = gone ? _("No longer available") : availability.message || (buyable ? _("Available") : _("Unavailable"));
  const p = options.inline ? "span" : "p";
  return el(options.inline ? "span" : "article", { class: "oc-card" + (options.compact ? " oc-card--compact" : "") + (gone ? " oc-card--gone" : ""), "data-product-id": card.id }, [
    card.image && !gone
      ? el("img", { class: "oc-card-img", src: card.image, alt: "", loading: "lazy", width: 72, height: 72 })
      : el("span", { class: "oc-card-img oc-card-noimg", "aria-hidden": "true" }, icon("box", 28)),
    el(options.inline ? "span" : "div", { class: "oc-card-body" }, [
      el(p, { class: "oc-card-title", dir: "auto", text: card.title || _("Product") }),
      el(p, { class: "oc-card-price", text: formatPrice(card.price) }),
      el(p, { class: "oc-card-stock " + (buyable ? "oc-in" : "oc-out"), text: stockText }),
      card.category && !options.compact ? el(p, { class: "oc-card-cat", text: card.category }) : null,
    ]),
    actions.length ? el("div", { class: "oc-card-actions" }, actions) : null,
    actions.length ? feedback : null,
  ]);
}

// An image (a thumbnail opening full size) or a file (name and size).
function renderAttachment(message, progress) {
  const a = message.attachment;
  const name = a.name || _("Attachment");
  const size = typeof a.size === "number" ? formatSize(a.size) : "";
  const uploading = typeof progress === "number";
  if (message.message_type === "IMAGE" && a.url)
    return el("a", { class: "oc-msg-imglink", href: a.url, target: "_blank", rel: "noopener" }, [
      el("img", { class: "oc-msg-img", src: a.url, alt: name, loading: "lazy" }),
      el("span", { class: "oc-sr", text: " " + _("(opens in a new tab)") }),
    ]);
  const body = [icon("file"), el("span", { class: "oc-file-name", dir: "auto", text: name }), size ? el("span", { class: "oc-file-size", text: size }) : null];
  return el("div", { class: "oc-msg-file" }, [
    a.url ? el("a", { href: a.url, target: "_blank", rel: "noopener", download: name }, body) : el("span", null, body),
    uploading ? el("progress", { class: "oc-progress", max: 100, value: Math.round(progress * 100), "aria-label": _("Uploading…") }) : null,
  ]);
}

/** @param {any} order */
export function renderOrderCard(order) {
  const total = formatPrice({ amount: order.total, currency: order.currency, incl_tax: true });
  return el("div", { class: "oc-card oc-order-card" }, [
    el("p", { class: "oc-card-title" }, [
      order.url
        ? el("a", { href: order.url, target: "_blank", rel: "noopener", text: fmt(_("Order %(number)s"), { number: order.number }) })
        : el("span", { text: fmt(_("Order %(number)s"), { number: order.number }) }),
    ]),
    el("p", { class: "oc-card-meta", text: [order.date_placed ? formatDay(order.date_placed) : "", order.status].filter(Boolean).join(" · ") }),
    el("ul", { class: "oc-order-lines" }, (order.lines || []).map((line) =>
      el("li", { text: fmt(_("%(quantity)s × %(title)s"), { quantity: line.quantity, title: line.title }) }))),
    el("p", { class: "oc-card-price", text: total }),
  ]);
}

// options.onApply(code) → Promise: "Apply to my basket" while the voucher is active.
/** @param {any} voucher @param {any} [options] */
export function renderVoucherCard(voucher, options) {
  options = options || {};
  const result = el("p", { class: "oc-card-result", role: "status" });
  const apply = voucher.is_active && options.onApply
    ? el("button", {
        type: "button", class: "oc-btn oc-btn-primary", text: _("Apply to my basket"),
        onclick: async (/** @type {any} */ event) => {
          const done = busy(event.currentTarget, _("Applying…"));
          try {
            await options.onApply(voucher.code);
            result.textContent = _("Applied to your basket.");
          } catch (error) {
            result.textContent = errorMessage(error, _("The voucher could not be applied."));
          } finally {
            done();
          }
        },
      })
    : null;
  return el("div", { class: "oc-card oc-voucher-card" + (voucher.is_active ? "" : " oc-inactive") }, [
    el("p", { class: "oc-card-title", text: voucher.name }),
    el("p", { class: "oc-voucher-code", text: voucher.code }),
    voucher.description ? el("p", { class: "oc-card-meta", text: voucher.description }) : null,
    el("p", { class: "oc-card-meta", text: voucher.is_active
      ? (voucher.end_datetime ? fmt(_("Valid until %(date)s"), { date: formatDay(voucher.end_datetime) }) : "")
      : _("No longer valid") }),
    apply,
    result,
  ]);
}

// options: mine, seen, status (ChatStatus), error, onRetry, onDiscard, senderLabel, card (its options),
// voucher, progress, avatar (initials), grouped, showState.
/** @param {any} message @param {any} [options] */
export function renderMessage(message, options) {
  options = options || {};
  const mine = !!options.mine;
  const status = options.status || "sent";
  const body = [];
  const note = message.message_type === "NOTE";
  if (note) body.push(el("p", { class: "oc-note-label", text: _("Internal note · only agents see it") }));
  if (message.message_type === "PRODUCT") body.push(renderProductCard(message.product, options.card));
  if (message.message_type === "ORDER" && message.order) body.push(renderOrderCard(message.order));
  if (message.message_type === "VOUCHER" && message.voucher) body.push(renderVoucherCard(message.voucher, options.voucher));
  if (message.attachment) body.push(renderAttachment(message, options.progress));
  if (message.message) body.push(el("p", { class: "oc-msg-text", dir: "auto", text: message.message }));

  let state = null;
  if (mine) {
    if (status === "sending") state = typeof options.progress === "number" ? fmt(_("Uploading… %(n)s%"), { n: Math.round(options.progress * 100) }) : _("Sending…");
    else if (status === "queued") state = _("Waiting for the connection…");
    else if (status === "failed") state = _("Not sent");
    else state = options.seen ? _("Seen") : _("Sent");
  }
  const sender = message.sender || {};
  const label = mine ? _("You") : options.senderLabel || sender.name || "";
  const unsent = status === "queued" || status === "failed";
  return el("div", {
    class: "oc-msg " + (mine ? "oc-mine" : "oc-theirs") + (note ? " oc-internal-note" : "") + " oc-" + status + (options.seen && mine ? " oc-seen" : "") +
      (options.grouped ? " oc-grouped" : "") + (options.showState ? " oc-last-mine" : ""),
    "data-id": message.id,
    "data-client-id": message.client_id,
  }, [
    options.avatar ? el("span", { class: "oc-avatar", "aria-hidden": "true", text: initials(sender.name) }) : null,
    el("p", { class: mine || options.grouped ? "oc-msg-sender oc-sr" : "oc-msg-sender", text: label }),
    el("div", { class: "oc-bubble" }, body),
    el("p", { class: "oc-msg-meta" }, [
      message.created_at ? el("time", { datetime: message.created_at, text: formatTime(message.created_at) }) : null,
      state ? el("span", { class: "oc-msg-state", text: state }) : null,
      unsent && options.error ? el("span", { class: "oc-msg-error", text: errorMessage(options.error, _("Your message was not sent.")) }) : null,
      unsent && options.onRetry ? el("button", { class: "oc-link", text: status === "queued" ? _("Send now") : _("Retry"), onclick: options.onRetry }) : null,
      unsent && options.onDiscard ? el("button", { class: "oc-link", text: _("Discard"), onclick: options.onDiscard }) : null,
    ]),
  ]);
}
