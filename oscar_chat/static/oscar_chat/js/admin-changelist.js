/* oscar_chat admin: the rooms list, live. Every event of the agents' stream schedules one quiet
   refresh of the list as the server renders it (same filters, search, order and page), so new rooms,
   new messages, unread counts and status changes appear without reloading the page. */
(function () {
  "use strict";
  var OC = window.OscarChat || {};
  var admin = OC.admin;
  if (!admin) return;

  var DEBOUNCE = 250;
  var MIN_INTERVAL = 1000;
  var timer = null;
  var lastRefresh = 0;
  var inFlight = false;
  var again = false;

  function form() {
    return document.getElementById("changelist-form");
  }

  function rowKey(row) {
    var marker = row.querySelector("[data-oc-room]");
    return marker ? marker.getAttribute("data-oc-room") : null;
  }

  function rowsByRoom(root) {
    var map = {};
    Array.prototype.forEach.call(root.querySelectorAll("#result_list tbody tr"), function (row) {
      var key = rowKey(row);
      if (key) map[key] = row.textContent.replace(/\s+/g, " ").trim();
    });
    return map;
  }

  function readUnread(root) {
    var summary = root.querySelector("#oc-unread-summary");
    return summary ? Number(summary.getAttribute("data-unread-total")) : null;
  }

  // Swap the list for the server's fresh rendering, keeping the agent's selection and chosen action.
  function swap(doc) {
    var current = form();
    var fresh = doc.getElementById("changelist-form");
    if (!current || !fresh) return;
    var checked = {};
    Array.prototype.forEach.call(current.querySelectorAll("input.action-select:checked"), function (box) {
      checked[box.value] = true;
    });
    var actionSelect = current.querySelector("select[name=action]");
    var chosenAction = actionSelect ? actionSelect.value : "";
    var before = rowsByRoom(current);

    var nodes = Array.prototype.map.call(fresh.childNodes, function (node) {
      return document.importNode(node, true);
    });
    current.replaceChildren.apply(current, nodes);

    var boxes = current.querySelectorAll("tr input.action-select");
    var firstChecked = null;
    Array.prototype.forEach.call(boxes, function (box) {
      if (checked[box.value]) {
        box.checked = true;
        box.closest("tr").classList.add("selected");
        firstChecked = firstChecked || box;
      }
    });
    var newSelect = current.querySelector("select[name=action]");
    if (newSelect && chosenAction) newSelect.value = chosenAction;
    // Django's actions.js binds to the rows it found at load: bind it to the new ones.
    if (boxes.length && typeof window.Actions === "function") {
      window.Actions(boxes);
      if (firstChecked) firstChecked.dispatchEvent(new Event("change", { bubbles: true }));
    }
    // Mark rows that are new or changed, so the eye finds them.
    Array.prototype.forEach.call(current.querySelectorAll("#result_list tbody tr"), function (row) {
      var key = rowKey(row);
      var text = row.textContent.replace(/\s+/g, " ").trim();
      if (key && before[key] !== text) row.classList.add("oc-flash");
    });
    admin.updateRelativeTimes(current);
    var total = readUnread(current);
    if (total !== null) admin.setUnreadTotal(total);
  }

  function busy() {
    // Never pull the list from under an agent choosing an action.
    var active = document.activeElement;
    return !!(active && active.closest && active.closest("#changelist-form .actions"));
  }

  function refresh() {
    if (inFlight) {
      again = true;
      return;
    }
    if (busy()) {
      schedule(1500);
      return;
    }
    inFlight = true;
    lastRefresh = Date.now();
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        swap(new DOMParser().parseFromString(html, "text/html"));
        document.dispatchEvent(new CustomEvent("oscarchat:listrefreshed"));
      })
      .catch(function () {
        /* the next event tries again */
      })
      .then(function () {
        inFlight = false;
        if (again) {
          again = false;
          schedule();
        }
      });
  }

  function schedule(delay) {
    clearTimeout(timer);
    var wait = Math.max(delay || DEBOUNCE, MIN_INTERVAL - (Date.now() - lastRefresh));
    timer = setTimeout(refresh, wait);
  }

  var client = admin.start();
  if (!client) return;
  client.on("room", function () {
    schedule();
  });
  client.on("reset", function () {
    schedule();
  });
  client.on("message", function (message) {
    schedule();
    if (admin.isFromCustomer(message)) admin.notify(message, { visible: false });
  });
  client.connect();
  OC.admin.refreshList = refresh;
})();
