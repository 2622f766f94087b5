/* oscar_chat: DOM pieces of the widget and the admin. Data is set as text, never as HTML. */
(function () {
  "use strict";
  var OC = (window.OscarChat = window.OscarChat || {});
  var uid = 0;

  // Django's JavaScript catalog (/jsi18n/) if loaded.
  var _ = (OC.t = function (s) {
    return typeof window.gettext === "function" ? window.gettext(s) : s;
  });
  var ngettext = (OC.nt = function (singular, plural, n) {
    return typeof window.ngettext === "function" ? window.ngettext(singular, plural, n) : n === 1 ? singular : plural;
  });
  // "%(name)s" placeholders, as interpolate(fmt, obj, true).
  OC.fmt = function (s, values) {
    return s.replace(/%\((\w+)\)s/g, function (all, key) {
      return key in values ? String(values[key]) : all;
    });
  };
  OC.uid = function (prefix) {
    uid += 1;
    return (prefix || "oc") + "-" + uid;
  };

  // el("button", {class: "x", onclick: fn}, ["text", node]): text only.
  var el = (OC.el = function (tag, attrs, children) {
    var node = document.createElement(tag);
    if (tag === "button") node.type = "button"; // submit only if asked
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.slice(0, 2) === "on" && typeof value === "function") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    append(node, children);
    return node;
  });

  function append(node, children) {
    if (children === null || children === undefined || children === false) return;
    if (!Array.isArray(children)) children = [children];
    children.forEach(function (child) {
      if (Array.isArray(child)) append(node, child);
      else if (child !== null && child !== undefined && child !== false)
        node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
    });
  }
  OC.append = append;

  // Stroke icons: no emoji font needed.
  var ICONS = {
    chat: "M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z",
    box: "M21 16V8a2 2 0 0 0-1-1.73l-7-4a2 2 0 0 0-2 0l-7 4A2 2 0 0 0 3 8v8a2 2 0 0 0 1 1.73l7 4a2 2 0 0 0 2 0l7-4A2 2 0 0 0 21 16zM3.3 7L12 12l8.7-5M12 22V12",
    send: "M22 2L11 13M22 2l-7 20-4-9-9-4z",
    close: "M18 6L6 18M6 6l12 12",
    back: "M19 12H5M12 19l-7-7 7-7",
  };
  OC.icon = function (name, size) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    var path = document.createElementNS(ns, "path");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", size || 20);
    svg.setAttribute("height", size || 20);
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "oc-icon");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  };

  OC.lang = function () {
    return document.documentElement.lang || undefined;
  };

  function numberFormat(options) {
    try {
      return new Intl.NumberFormat(OC.lang(), options);
    } catch (e) {
      return new Intl.NumberFormat(undefined, options);
    }
  }

  // As Oscar's |currency prints: currencyFormats holds the store's pattern ("Rp #,##0") and decimals.
  OC.currencyFormats = OC.currencyFormats || {};
  OC.formatPrice = function (price) {
    if (!price) return _("Price not available");
    var amount = Number(price.amount);
    var currency = price.currency;
    var spec = OC.currencyFormats[currency] || {};
    var digits = typeof spec.digits === "number" ? { minimumFractionDigits: spec.digits, maximumFractionDigits: spec.digits } : {};
    var match = typeof spec.format === "string" && spec.format.split(";")[0].match(/^([^#0,.]*)([#0,.]+)(.*)$/);
    if (match) {
      var decimals = (match[2].split(".")[1] || "").replace(/[^#0]/g, "");
      var options = { minimumFractionDigits: (decimals.match(/0/g) || []).length, maximumFractionDigits: decimals.length, useGrouping: match[2].indexOf(",") >= 0 };
      for (var key in digits) options[key] = digits[key];
      return (match[1] + numberFormat(options).format(amount) + match[3]).replace(/\u00a4/g, currency).trim();
    }
    try {
      digits.style = "currency";
      digits.currency = currency;
      return numberFormat(digits).format(amount);
    } catch (e) {
      return currency + " " + price.amount;
    }
  };

  function dateFormat(options) {
    try {
      return new Intl.DateTimeFormat(OC.lang(), options);
    } catch (e) {
      return new Intl.DateTimeFormat(undefined, options);
    }
  }

  // "14:05" today, else "3 Mar 14:05".
  OC.formatTime = function (iso) {
    var date = new Date(iso);
    if (isNaN(date)) return "";
    var now = new Date();
    var options = { hour: "2-digit", minute: "2-digit" };
    if (date.toDateString() !== now.toDateString()) {
      options.day = "numeric";
      options.month = "short";
      if (date.getFullYear() !== now.getFullYear()) options.year = "numeric";
    }
    return dateFormat(options).format(date);
  };
  OC.formatFullTime = function (iso) {
    var date = new Date(iso);
    return isNaN(date) ? "" : dateFormat({ dateStyle: "full", timeStyle: "short" }).format(date);
  };

  function busy(button, label) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    var old = button.textContent;
    button.textContent = label;
    return function () {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      button.textContent = old;
    };
  }

  // options: onBasket/onWishlist(card) → promise of the API answer, basketUrl, compact (no buttons).
  OC.renderProductCard = function (card, options) {
    options = options || {};
    card = card || {};
    var availability = card.availability || {};
    var gone = availability.code === "unavailable";
    var buyable = !!availability.is_available_to_buy;
    var feedback = el("p", { class: "oc-card-feedback", role: "status", "aria-live": "polite" });
    var actions = [];

    function report(text, ok, link) {
      feedback.className = "oc-card-feedback " + (ok ? "oc-ok" : "oc-error");
      feedback.textContent = text;
      if (link) append(feedback, [" ", el("a", { href: link.url, text: link.text })]);
    }

    // Busy while the API answers, then the outcome in words.
    function action(label, working, run, success, failure, primary) {
      var button = el("button", {
        class: "oc-btn" + (primary ? " oc-btn-primary" : ""),
        disabled: primary && !buyable,
        text: label,
        onclick: function () {
          var done = busy(button, working);
          run(card).then(
            function (result) {
              done();
              success(result || {});
            },
            function (error) {
              done();
              report(OC.errorMessage(error, failure), false);
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
        action(_("Add to basket"), _("Adding…"), options.onBasket, function (result) {
          var n = (result.basket || {}).num_items;
          var text = _("Added to your basket.");
          if (n) text += " " + OC.fmt(ngettext("%(n)s item in your basket.", "%(n)s items in your basket.", n), { n: n });
          report(text, true, options.basketUrl && { url: options.basketUrl, text: _("View basket") });
        }, _("Could not add this product to your basket."), true);
      }
      if (options.onWishlist)
        action(_("Add to wishlist"), _("Saving…"), options.onWishlist, function (result) {
          var list = result.wishlist || {};
          report(
            result.added === false ? _("Already in your wishlist.") : _("Added to your wishlist."),
            true,
            list.url && { url: list.url, text: _("View wishlist") }
          );
        }, _("Could not add this product to your wishlist."));
      if (card.url && !card.is_parent)
        actions.push(
          el("a", { class: "oc-btn", href: card.url, target: "_blank", rel: "noopener" }, [
            _("View details"),
            el("span", { class: "oc-sr", text: " " + _("(opens in a new tab)") }),
          ])
        );
    }

    var stockText = gone ? _("No longer available") : availability.message || (buyable ? _("Available") : _("Unavailable"));
    // inline: spans only (inside a button).
    var p = options.inline ? "span" : "p";
    return el(options.inline ? "span" : "article", { class: "oc-card" + (options.compact ? " oc-card--compact" : "") + (gone ? " oc-card--gone" : ""), "data-product-id": card.id }, [
      card.image && !gone
        ? el("img", { class: "oc-card-img", src: card.image, alt: "", loading: "lazy", width: 72, height: 72 })
        : el("span", { class: "oc-card-img oc-card-noimg", "aria-hidden": "true" }, OC.icon("box", 28)),
      el(options.inline ? "span" : "div", { class: "oc-card-body" }, [
        el(p, { class: "oc-card-title", text: card.title || _("Product") }),
        el(p, { class: "oc-card-price", text: OC.formatPrice(card.price) }),
        el(p, { class: "oc-card-stock " + (buyable ? "oc-in" : "oc-out"), text: stockText }),
        card.category && !options.compact ? el(p, { class: "oc-card-cat", text: card.category }) : null,
      ]),
      actions.length ? el("div", { class: "oc-card-actions" }, actions) : null,
      actions.length ? feedback : null,
    ]);
  };

  // An API error in words for a person.
  OC.errorMessage = function (error, fallback) {
    if (!error) return fallback;
    if (error.status === 0) return _("You seem to be offline. Check your connection and try again.");
    if (error.status === 429)
      return error.retryAfter
        ? OC.fmt(_("You are sending messages too quickly. Try again in %(n)s seconds."), { n: error.retryAfter })
        : _("You are sending messages too quickly. Try again in a moment.");
    if (error.status === 401 || error.status === 403) return _("Your session has ended. Sign in again to continue.");
    if (error.status >= 500) return _("Something went wrong on our side. Try again in a moment.");
    return (error.body && OC.errorText(error.body)) || fallback;
  };

  // options: mine, seen, status (pending|sent|failed), error, onRetry, senderLabel, card.
  OC.renderMessage = function (message, options) {
    options = options || {};
    var mine = !!options.mine;
    var status = options.status || "sent";
    var body = [];
    if (message.message_type === "PRODUCT") body.push(OC.renderProductCard(message.product, options.card));
    var attachment = message.attachment;
    if (attachment && attachment.url) {
      body.push(
        message.message_type === "IMAGE"
          ? el("a", { href: attachment.url, target: "_blank", rel: "noopener" }, el("img", { class: "oc-msg-img", src: attachment.url, alt: attachment.name || _("Image") }))
          : el("a", { class: "oc-msg-file", href: attachment.url, target: "_blank", rel: "noopener", text: "\uD83D\uDCCE " + (attachment.name || _("Attachment")) })
      );
    }
    if (message.message) body.push(el("p", { class: "oc-msg-text", text: message.message }));

    var state = null;
    if (mine) {
      if (status === "pending") state = _("Sending…");
      else if (status === "failed") state = _("Not sent");
      else state = options.seen ? _("Seen") : _("Sent");
    }
    var sender = message.sender || {};
    return el(
      "div",
      {
        class: "oc-msg " + (mine ? "oc-mine" : "oc-theirs") + " oc-" + status + (options.seen && mine ? " oc-seen" : ""),
        "data-id": message.id,
        "data-client-id": message.client_id,
      },
      [
        el("p", { class: mine ? "oc-msg-sender oc-sr" : "oc-msg-sender", text: mine ? _("You") : options.senderLabel || sender.name || "" }),
        el("div", { class: "oc-bubble" }, body),
        el("p", { class: "oc-msg-meta" }, [
          message.created_at ? el("time", { datetime: message.created_at, title: OC.formatFullTime(message.created_at), text: OC.formatTime(message.created_at) }) : null,
          state ? el("span", { class: "oc-msg-state", text: state }) : null,
          status === "failed" && options.error ? el("span", { class: "oc-msg-error", text: options.error }) : null,
          status === "failed" && options.onRetry ? el("button", { class: "oc-link", text: _("Retry"), onclick: options.onRetry }) : null,
        ]),
      ]
    );
  };

  // Product search: a modal <dialog> (focus kept inside and restored, Escape closes), arrow keys.
  function ProductPicker(options) {
    this.options = options || {};
    this.client = this.options.client;
  }
  OC.ProductPicker = ProductPicker;

  ProductPicker.prototype._build = function () {
    var self = this;
    var titleId = OC.uid("oc-picker-title");
    var inputId = OC.uid("oc-picker-q");
    this.input = el("input", {
      id: inputId,
      type: "search",
      class: "oc-input",
      autocomplete: "off",
      placeholder: _("Name, brand, SKU or barcode"),
      oninput: function () {
        self._schedule();
      },
      onkeydown: function (event) {
        if (event.key === "ArrowDown") {
          event.preventDefault();
          self._move(0);
        }
      },
    });
    this.status = el("p", { class: "oc-picker-status", role: "status", "aria-live": "polite" });
    this.results = el("ul", { class: "oc-picker-results", "aria-label": _("Products") });
    this.results.addEventListener("keydown", function (event) {
      var buttons = self._buttons();
      var index = buttons.indexOf(document.activeElement);
      if (event.key === "ArrowDown") {
        event.preventDefault();
        self._move(index + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (index <= 0) self.input.focus();
        else self._move(index - 1);
      }
    });
    this.dialog = el("dialog", { class: "oc-ui oc-picker", "aria-labelledby": titleId }, [
      el("div", { class: "oc-picker-head" }, [
        el("h2", { id: titleId, text: this.options.title || _("Share a product") }),
        el(
          "button",
          {
            class: "oc-icon-btn",
            "aria-label": _("Close"),
            onclick: function () {
              self.close();
            },
          },
          OC.icon("close")
        ),
      ]),
      el("label", { for: inputId, class: "oc-label", text: _("Search products") }),
      this.input,
      this.status,
      this.results,
    ]);
    this.dialog.addEventListener("close", function () {
      self._restore();
    });
    document.body.appendChild(this.dialog);
  };

  ProductPicker.prototype._buttons = function () {
    return Array.prototype.slice.call(this.results.querySelectorAll(".oc-pick"));
  };
  ProductPicker.prototype._move = function (index) {
    var buttons = this._buttons();
    if (buttons.length) buttons[Math.max(0, Math.min(index, buttons.length - 1))].focus();
  };

  ProductPicker.prototype.open = function () {
    if (!this.dialog) this._build();
    this.returnFocus = document.activeElement;
    if (this.dialog.open) return;
    if (this.dialog.showModal) this.dialog.showModal();
    else this.dialog.setAttribute("open", "");
    this.input.value = "";
    this.input.focus();
    this.search("");
  };

  ProductPicker.prototype.close = function () {
    if (!this.dialog || !this.dialog.open) return;
    if (this.dialog.close) this.dialog.close();
    else {
      this.dialog.removeAttribute("open");
      this._restore();
    }
  };

  ProductPicker.prototype._restore = function () {
    clearTimeout(this._timer);
    var target = this.returnFocus;
    this.returnFocus = null;
    if (target && target.focus) target.focus();
  };

  ProductPicker.prototype._schedule = function () {
    var self = this;
    clearTimeout(this._timer);
    this._timer = setTimeout(function () {
      self.search(self.input.value.trim());
    }, this.options.debounce || 250);
  };

  ProductPicker.prototype.search = function (q) {
    var self = this;
    var ticket = (this._ticket = (this._ticket || 0) + 1);
    this.status.textContent = _("Searching…");
    this.results.setAttribute("aria-busy", "true");
    this.client.searchProducts(q, this.options.limit || 20).then(
      function (data) {
        if (ticket !== self._ticket) return; // a late answer
        self._show(data.results || [], q);
      },
      function (error) {
        if (ticket !== self._ticket) return;
        self.results.removeAttribute("aria-busy");
        self.results.textContent = "";
        self.status.textContent = OC.errorMessage(error, _("Could not search the products. Try again."));
      }
    );
  };

  ProductPicker.prototype._show = function (cards, q) {
    var self = this;
    this.results.removeAttribute("aria-busy");
    this.results.textContent = "";
    this.status.textContent = cards.length
      ? OC.fmt(ngettext("%(n)s product", "%(n)s products", cards.length), { n: cards.length })
      : q
        ? OC.fmt(_("No products match “%(q)s”."), { q: q })
        : _("No products to show.");
    cards.forEach(function (card) {
      self.results.appendChild(
        el(
          "li",
          null,
          el(
            "button",
            {
              class: "oc-pick",
              "aria-label": OC.fmt(_("Share %(title)s"), { title: card.title }),
              onclick: function () {
                self.close();
                if (self.options.onChoose) self.options.onChoose(card);
              },
            },
            OC.renderProductCard(card, { compact: true, inline: true })
          )
        )
      );
    });
  };
})();
