// Live dashboard: server-sent events from /events; on each relevant event the page re-reads
// itself and swaps its [data-live] regions (forms outside them keep what the operator typed).
(function () {
  "use strict";
  var page = document.getElementById("page");
  if (!page || !window.EventSource) return;
  var customer = page.dataset.customer || null;
  var timer = null;

  // The newest message in view: the timeline scrolls inside itself, the page stays where it is
  // (scrollIntoView would scroll the page too, past the thread on a phone).
  function showLatest() {
    var timeline = document.getElementById("live-timeline");
    if (timeline && customer) timeline.scrollTop = timeline.scrollHeight;
  }

  function ago(seconds) {
    if (seconds < 60) return "menos de 1 min";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min";
    var hours = Math.floor(minutes / 60);
    if (hours < 48) return hours + " h " + (minutes % 60) + " min";
    return Math.floor(hours / 24) + " días";
  }

  function tick() {
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var since = Date.parse(el.dataset.since);
      if (!isNaN(since)) el.textContent = ago((Date.now() - since) / 1000);
    });
  }

  function refresh() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch(location.href, { credentials: "same-origin", headers: { "X-Live": "1" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var doc = new DOMParser().parseFromString(html, "text/html");
          document.querySelectorAll("[data-live]").forEach(function (el) {
            var fresh = doc.getElementById(el.id);
            // The parsed nodes themselves, not their markup re-parsed: what the server
            // escaped is what the page gets (no serialise/re-parse round trip).
            if (fresh) el.replaceChildren.apply(el, Array.from(fresh.childNodes));
          });
          tick();
          showLatest();
        });
    }, 150);
  }

  var events = new EventSource("/events");
  ["message", "delivery", "escalation"].forEach(function (type) {
    events.addEventListener(type, function (e) {
      var data = {};
      try { data = JSON.parse(e.data); } catch (err) { return; }
      if (customer && String(data.customer_id) !== customer) return;
      refresh();
    });
  });
  tick();
  setInterval(tick, 15000);
  showLatest();
})();
