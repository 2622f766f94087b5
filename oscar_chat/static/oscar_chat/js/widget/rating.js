/* oscar_chat: the customer's 1–5 rating of a resolved or closed conversation (loaded when one is shown). */
import { el, errorMessage, fmt, icon, _, uid } from "../chat/ui.js";

const WORDS = () => ["", _("Very poor"), _("Poor"), _("OK"), _("Good"), _("Excellent")];

/**
 * The rating given (with "Change") or the form: five labelled radio buttons, an optional comment.
 * @param {any} client @param {any} room @param {(room: any) => void} onRated
 */
export function ratingPanel(client, room, onRated) {
  const words = WORDS();
  const given = room.rating;
  const box = el("div", { class: "oc-rate" });
  const showForm = () => {
    const legendId = uid("oc-rate");
    const commentId = uid("oc-rate-c");
    const comment = el("textarea", { id: commentId, class: "oc-input", rows: 2, maxlength: 2000 });
    comment.value = (given && given.comment) || "";
    const status = el("p", { class: "oc-error", role: "alert" });
    const submit = el("button", { type: "submit", class: "oc-btn oc-btn-primary", text: _("Send rating") });
    const more = el("div", { class: "oc-rate-more", hidden: !given }, [
      el("label", { class: "oc-label", for: commentId, text: _("Comment (optional)") }), comment, status, submit,
    ]);
    const stars = [1, 2, 3, 4, 5].map((n) =>
      el("label", { class: "oc-star", title: words[n] }, [
        el("input", { type: "radio", name: legendId, value: n, class: "oc-sr", checked: !!given && given.score === n }),
        icon("star", 26),
        el("span", { class: "oc-sr", text: fmt(_("%(n)s of 5: %(word)s"), { n, word: words[n] }) }),
      ]));
    const paint = () => {
      const score = Number((box.querySelector("input:checked") || {}).value || 0);
      stars.forEach((star, i) => star.classList.toggle("oc-on", i < score));
      return score;
    };
    const form = el("form", { class: "oc-rate-form", "aria-labelledby": legendId }, [
      el("div", { class: "oc-stars", role: "radiogroup", "aria-labelledby": legendId }, [
        el("p", { id: legendId, class: "oc-rate-q", text: _("How did we do? Rate this conversation.") }), stars,
      ]),
      more,
    ]);
    form.addEventListener("change", () => {
      paint();
      more.hidden = false;
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      status.textContent = "";
      try {
        onRated(await client.request("POST", "rooms/" + room.id + "/rating", { score: paint(), comment: comment.value.trim() }));
      } catch (error) {
        submit.disabled = false;
        status.textContent = errorMessage(error, _("Your rating could not be saved."));
      }
    });
    box.replaceChildren(form);
    paint();
  };
  if (given) {
    box.replaceChildren(
      el("p", { class: "oc-rate-given", role: "status" }, [
        fmt(_("You rated this conversation %(n)s of 5: %(word)s."), { n: given.score, word: words[given.score] }), " ",
        el("button", { class: "oc-link", text: _("Change rating"), onclick: () => {
          showForm();
          /** @type {HTMLElement} */ (box.querySelector("input:checked")).focus();
        } }),
      ]),
      given.comment ? el("p", { class: "oc-rate-comment", dir: "auto", text: "“" + given.comment + "”" }) : null
    );
  } else showForm();
  return box;
}
