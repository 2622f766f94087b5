/* oscar_chat: the product picker, loaded when someone first shares a product (widget and admin). */
import { el, errorMessage, fmt, icon, ngettext, renderProductCard, _, uid } from "./ui.js";

/** Product search: a modal <dialog> (focus kept inside and restored, Escape closes), arrow keys. */
export class ProductPicker {
  constructor(options) {
    this.options = options;
    this.client = options.client;
    /** @type {any} */
    this.dialog = null;
    /** @type {any} */
    this.returnFocus = null;
    this._ticket = 0;
    this._timer = null;
  }

  _build() {
    const titleId = uid("oc-picker-title");
    const inputId = uid("oc-picker-q");
    this.input = el("input", {
      id: inputId, type: "search", class: "oc-input", autocomplete: "off", placeholder: _("Name, brand, SKU or barcode"),
      oninput: () => this._schedule(),
      onkeydown: (event) => {
        if (event.key === "ArrowDown") {
          event.preventDefault();
          this._move(0);
        }
      },
    });
    this.status = el("p", { class: "oc-picker-status", role: "status", "aria-live": "polite" });
    this.results = el("ul", { class: "oc-picker-results", "aria-label": _("Products") });
    this.results.addEventListener("keydown", (event) => {
      const buttons = this._buttons();
      const index = buttons.indexOf(document.activeElement);
      if (event.key === "ArrowDown") {
        event.preventDefault();
        this._move(index + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (index <= 0) this.input.focus();
        else this._move(index - 1);
      }
    });
    this.dialog = el("dialog", { class: "oc-ui oc-picker", "aria-labelledby": titleId }, [
      el("div", { class: "oc-picker-head" }, [
        el("h2", { id: titleId, text: this.options.title || _("Share a product") }),
        el("button", { class: "oc-icon-btn", "aria-label": _("Close"), onclick: () => this.close() }, icon("close")),
      ]),
      el("label", { for: inputId, class: "oc-label", text: _("Search products") }),
      this.input,
      this.status,
      this.results,
    ]);
    this.dialog.addEventListener("close", () => this._restore());
    document.body.appendChild(this.dialog);
  }

  _buttons() {
    return Array.from(this.results.querySelectorAll(".oc-pick"));
  }
  _move(index) {
    const buttons = this._buttons();
    if (buttons.length) buttons[Math.max(0, Math.min(index, buttons.length - 1))].focus();
  }

  open() {
    if (!this.dialog) this._build();
    this.returnFocus = document.activeElement;
    if (this.dialog.open) return;
    this.dialog.showModal();
    this.input.value = "";
    this.input.focus();
    this.search("");
  }

  close() {
    if (this.dialog && this.dialog.open) this.dialog.close();
  }

  _restore() {
    clearTimeout(this._timer);
    const target = this.returnFocus;
    this.returnFocus = null;
    if (target && target.focus) target.focus();
  }

  _schedule() {
    clearTimeout(this._timer);
    this._timer = setTimeout(() => this.search(this.input.value.trim()), this.options.debounce || 250);
  }

  async search(q) {
    const ticket = ++this._ticket;
    this.status.textContent = _("Searching…");
    this.results.setAttribute("aria-busy", "true");
    try {
      const data = await this.client.searchProducts(q, this.options.limit || 20);
      if (ticket === this._ticket) this._show(data.results || [], q); // else a late answer
    } catch (error) {
      if (ticket !== this._ticket) return;
      this.results.removeAttribute("aria-busy");
      this.results.textContent = "";
      this.status.textContent = errorMessage(error, _("Could not search the products. Try again."));
    }
  }

  _show(cards, q) {
    this.results.removeAttribute("aria-busy");
    this.results.textContent = "";
    this.status.textContent = cards.length
      ? fmt(ngettext("%(n)s product", "%(n)s products", cards.length), { n: cards.length })
      : q ? fmt(_("No products match “%(q)s”."), { q }) : _("No products to show.");
    for (const card of cards)
      this.results.appendChild(el("li", null, el("button", {
        class: "oc-pick",
        "aria-label": fmt(_("Share %(title)s"), { title: card.title }),
        onclick: () => {
          this.close();
          if (this.options.onChoose) this.options.onChoose(card);
        },
      }, renderProductCard(card, { compact: true, inline: true }))));
  }
}
