/* oscar_chat: draws a Conversation's messages into a list (widget and admin): grouping of one
   sender's consecutive messages, initials, day separators, "Seen" under the last read message. */
import { TIMINGS } from "./timings.js";
import { el, formatDay, renderMessage } from "./ui.js";

const dayOf = (iso) => new Date(iso).toDateString();

export class Thread {
  /** @param {import("./conversation.js").Conversation} conv @param {ChatThreadView} view */
  constructor(conv, view) {
    this.conv = conv;
    this.list = view.list;
    this.scroller = view.scroller;
    this.extra = view.options || (() => ({}));
    this.wrap = view.wrap || ((node) => node);
    this.avatars = !!view.avatars;
    this.onOlder = view.onOlder || (() => {});
    this.drawn = new WeakMap();
    this.unsubscribe = conv.subscribe((change) => this.apply(change));
    this.scroller.addEventListener("scroll", () => {
      if (this.scroller.scrollTop < 80) this.older();
    });
  }

  older() {
    this.conv.loadOlder().catch(() => {});
  }

  nearEnd() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }

  toEnd() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  apply(change) {
    const follow = this.nearEnd();
    const type = change.type;
    if (type === "reset") {
      for (const item of this.conv.items) {
        const entry = this.drawn.get(item);
        if (entry) entry.node.remove();
        this.drawn.delete(item);
      }
      this.list.textContent = "";
    } else if (type === "older") {
      const height = this.scroller.scrollHeight;
      const top = this.scroller.scrollTop;
      this.decorate();
      this.scroller.scrollTop = top + (this.scroller.scrollHeight - height); // keep the place
      this.onOlder("done");
      return;
    } else if (type === "older-loading" || type === "older-failed") {
      return this.onOlder(type === "older-loading" ? "loading" : "failed");
    } else if (type === "remove" && change.item) {
      const entry = this.drawn.get(change.item);
      if (entry) entry.node.remove();
    } else if (change.item && (type === "update" || type === "progress")) {
      const entry = this.drawn.get(change.item);
      if (entry) entry.sig = ""; // drawn again below
    }
    if (!["add", "move", "update", "progress", "remove", "seen", "reset"].includes(type)) return;
    this.decorate();
    if (type === "reset" || ((type === "add" || type === "move") && (follow || (change.item && change.item.mine)))) this.toEnd();
  }

  // Draws what changed, in the items' order.
  decorate() {
    const conv = this.conv;
    const last = conv.lastSent();
    let previous = null;
    let after = null;
    for (const item of conv.items) {
      const m = item.message;
      const newDay = !previous || dayOf(previous.message.created_at) !== dayOf(m.created_at);
      const sameSender = !!previous && !newDay && previous.mine === item.mine &&
        (previous.message.sender || {}).id === (m.sender || {}).id &&
        new Date(m.created_at).getTime() - new Date(previous.message.created_at).getTime() < TIMINGS.groupGap;
      const seen = conv.isSeen(item);
      const sig = [item.status, m.id, seen, sameSender, newDay, item === last, item.progress, !!item.error].join("|");
      let entry = this.drawn.get(item);
      if (!entry || entry.sig !== sig) {
        const node = this.render(item, { seen, grouped: sameSender, showState: item === last, day: newDay });
        if (entry) entry.node.replaceWith(node);
        entry = { node, sig };
        this.drawn.set(item, entry);
      }
      const wanted = after ? after.nextSibling : this.list.firstChild;
      if (entry.node !== wanted) this.list.insertBefore(entry.node, wanted);
      after = entry.node;
      previous = item;
    }
  }

  render(item, flags) {
    const conv = this.conv;
    const node = renderMessage(item.message, {
      mine: item.mine,
      status: item.status,
      error: item.error,
      progress: item.progress,
      avatar: this.avatars && !item.mine && !flags.grouped,
      onRetry: item.status === "queued" || item.status === "failed" ? () => conv.retry(item) : null,
      onDiscard: item.status === "queued" || item.status === "failed" ? () => conv.discard(item) : null,
      ...flags,
      ...this.extra(item),
    });
    const entry = this.wrap(node, item);
    entry.classList.add("oc-entry");
    if (flags.day) entry.insertBefore(el("p", { class: "oc-day", role: "separator", text: formatDay(item.message.created_at) }), entry.firstChild);
    return entry;
  }

  destroy() {
    this.unsubscribe();
  }
}
