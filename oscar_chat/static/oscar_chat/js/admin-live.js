/* oscar_chat admin: what the rooms list and the conversation page share — the live connection
   (OscarChat.Client with the agent's session), the connection status, opt-in notifications with a
   chime made by WebAudio, the unread total in the page title and relative times. */
(function () {
  "use strict";
  var OC = (window.OscarChat = window.OscarChat || {});
  var _ = function (s) {
    return typeof window.gettext === "function" ? window.gettext(s) : s;
  };
  var configNode = document.getElementById("oc-config");
  var config = configNode ? JSON.parse(configNode.textContent) : {};
  var NOTIFY_KEY = "oscarChat.admin.notify";
  var baseTitle = document.title;

  if (config.currencyFormats) OC.currencyFormats = config.currencyFormats;

  var admin = (OC.admin = {
    config: config,
    client: null,
    _: _,
  });

  admin.roomUrl = function (id) {
    return (config.roomUrl || "").replace("{id}", String(id));
  };

  // The unread total of the agent's side, before the page's own title: "(3) Chat rooms | …".
  admin.setUnreadTotal = function (total) {
    total = Number(total) || 0;
    admin.unreadTotal = total;
    document.title = (total > 0 ? "(" + total + ") " : "") + baseTitle;
  };

  var unreadTimer = null;
  // Ask the API for the total, at most once a second, after events that may change it.
  admin.refreshUnread = function () {
    if (!admin.client) return;
    clearTimeout(unreadTimer);
    unreadTimer = setTimeout(function () {
      admin.client.unread().then(function (data) {
        admin.setUnreadTotal(data.total);
      }, function () {});
    }, 300);
  };

  // Relative times ("5 minutes ago") of <time class="oc-relative" datetime="…">, kept current.
  var relative = null;
  try {
    relative = new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: "auto" });
  } catch (e) {
    relative = null;
  }
  admin.relativeTime = function (iso) {
    var seconds = (new Date(iso).getTime() - Date.now()) / 1000;
    if (!relative || isNaN(seconds)) return null;
    var abs = Math.abs(seconds);
    if (abs < 60) return _("just now");
    var units = [["minute", 60], ["hour", 3600], ["day", 86400], ["week", 604800], ["month", 2629800], ["year", 31557600]];
    var unit = units[0];
    for (var i = 0; i < units.length && abs >= units[i][1]; i++) unit = units[i];
    return relative.format(Math.round(seconds / unit[1]), unit[0]);
  };
  admin.updateRelativeTimes = function (root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("time.oc-relative[datetime]"), function (node) {
      var text = admin.relativeTime(node.getAttribute("datetime"));
      if (text) node.textContent = text;
    });
  };
  setInterval(admin.updateRelativeTimes, 30000);

  // Notifications: opt-in per browser, remembered in localStorage.
  var audio = null;
  function audioContext() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    if (!audio) audio = new Context();
    if (audio.state === "suspended") audio.resume();
    return audio;
  }

  // Two short rising tones, generated: nothing to download.
  admin.chime = function () {
    var ctx = audioContext();
    if (!ctx) return;
    var start = ctx.currentTime + 0.01;
    [[880, 0], [1318.5, 0.12]].forEach(function (tone) {
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.0001, start + tone[1]);
      gain.gain.exponentialRampToValueAtTime(0.18, start + tone[1] + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + tone[1] + 0.22);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start + tone[1]);
      osc.stop(start + tone[1] + 0.25);
    });
  };

  function storedNotify() {
    try {
      return window.localStorage.getItem(NOTIFY_KEY) === "on";
    } catch (e) {
      return false;
    }
  }
  function storeNotify(on) {
    try {
      window.localStorage.setItem(NOTIFY_KEY, on ? "on" : "off");
    } catch (e) {
      /* private mode: the choice lasts for this page */
    }
  }
  admin.notifyEnabled = storedNotify();

  function renderNotifyToggle() {
    var button = document.getElementById("oc-notify-toggle");
    if (!button) return;
    button.hidden = false;
    button.setAttribute("aria-pressed", admin.notifyEnabled ? "true" : "false");
    button.textContent = admin.notifyEnabled ? _("Notifications on") : _("Enable notifications");
    button.title = admin.notifyEnabled
      ? _("A sound and a browser notification for each new customer message. Click to turn them off.")
      : _("Play a sound and show a browser notification for each new customer message.");
  }

  admin.setNotify = function (on) {
    admin.notifyEnabled = !!on;
    storeNotify(admin.notifyEnabled);
    renderNotifyToggle();
    if (!on) return;
    // Both need this click: browsers allow sound and the permission prompt only after a user gesture.
    audioContext();
    admin.chime();
    if (window.Notification && Notification.permission === "default") Notification.requestPermission();
  };

  // A new customer message: the chime, and a browser notification when the agent is not looking at it.
  admin.notify = function (message, options) {
    options = options || {};
    if (!admin.notifyEnabled) return;
    admin.chime();
    if (!window.Notification || Notification.permission !== "granted") return;
    if (!document.hidden && options.visible) return;
    var sender = (message.sender && message.sender.name) || _("Customer");
    var body = message.message || (message.product && message.product.title) || "";
    try {
      var note = new Notification(sender, { body: body.slice(0, 140), tag: "oscar-chat-" + message.room });
      note.onclick = function () {
        window.focus();
        if (!options.here) window.location.href = admin.roomUrl(message.room);
        note.close();
      };
    } catch (e) {
      /* some browsers only notify from a service worker; the chime has played */
    }
  };

  function renderConnection(state) {
    var node = document.getElementById("oc-connection");
    if (!node) return;
    var labels = {
      live: _("Live"),
      connecting: _("Connecting…"),
      polling: _("Updating every few seconds"),
      idle: _("Offline"),
    };
    node.setAttribute("data-state", state);
    node.textContent = labels[state] || state;
  }

  // The live client, for agents only (staff who may only view have no stream of every room).
  admin.start = function () {
    if (!config.live || !OC.Client) return null;
    var client = (admin.client = new OC.Client({
      apiRoot: config.apiRoot,
      csrfToken: config.csrfToken,
      pollInterval: config.pollInterval,
    }));
    client.on("connection", renderConnection);
    renderConnection("connecting");
    renderNotifyToggle();
    var toggle = document.getElementById("oc-notify-toggle");
    if (toggle)
      toggle.addEventListener("click", function () {
        admin.setNotify(!admin.notifyEnabled);
      });
    if (typeof config.unreadTotal === "number") admin.setUnreadTotal(config.unreadTotal);
    return client;
  };

  admin.isFromCustomer = function (message) {
    return !!(message && message.sender && !message.sender.is_agent);
  };

  admin.updateRelativeTimes();
})();
