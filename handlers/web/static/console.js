// Lotse console, queue page: keeps the queue up to date without a reload (docs/web.md, "The live queue").
// Listens to the server's event stream (EventSource); on each event it fetches the queue's counts and
// rows again, with the page's filters, and puts them in place. Without EventSource, or while the
// stream is down, it fetches them at an interval. The stream names tickets only by number; the
// rows come from the same server-rendered template as the page. Browser notifications announce
// new tickets of the account's teams, once the coordinator has allowed them.
"use strict";

(function () {
  const live = document.getElementById("live");
  if (!live) return;
  const status = document.getElementById("live-status");
  const notifyButton = document.getElementById("notify");
  const pollMs = parseInt(live.dataset.pollMs, 10) || 15000;
  const teamNames = JSON.parse(live.dataset.teamNames || "{}");
  const NOTIFY_KEY = "lotse-console-notify";
  let pollTimer = null;
  let fetching = null;
  let again = false;

  function setTitle() {
    const counts = document.getElementById("queue-counts");
    const unclaimed = counts ? parseInt(counts.dataset.unclaimed, 10) || 0 : 0;
    document.title = (unclaimed > 0 ? "(" + unclaimed + ") " : "") + live.dataset.title;
  }

  function signedOut() {
    stopPolling();
    if (source) source.close();
    status.textContent = live.dataset.textSignedOut;
    status.classList.add("error");
  }

  // One fetch at a time; events during a fetch lead to one more fetch afterwards.
  function refresh() {
    if (fetching) {
      again = true;
      return fetching;
    }
    fetching = fetch(live.dataset.rows + window.location.search, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then(function (response) {
        if (response.redirected || response.status === 401) {
          signedOut();
          return;
        }
        if (!response.ok) return;
        return response.text().then(function (html) {
          const fresh = new DOMParser().parseFromString(html, "text/html");
          for (const id of ["queue-counts", "queue-table"]) {
            const mine = document.getElementById(id);
            const theirs = fresh.getElementById(id);
            if (mine && theirs) mine.replaceWith(document.adoptNode(theirs));
          }
          setTitle();
        });
      })
      .catch(function () {})
      .finally(function () {
        fetching = null;
        if (again) {
          again = false;
          refresh();
        }
      });
    return fetching;
  }

  function startPolling() {
    if (!pollTimer) pollTimer = setInterval(refresh, pollMs);
  }

  function stopPolling() {
    if (pollTimer) clearInterval(pollTimer);
    pollTimer = null;
  }

  function notifying() {
    return "Notification" in window && Notification.permission === "granted" &&
      localStorage.getItem(NOTIFY_KEY) === "on";
  }

  function announce(data) {
    // new in this account's queue: opened for one of its teams, or handed over to one of them
    if (!notifying() || (data.action !== "opened" && data.action !== "handed_over")) return;
    const note = new Notification(live.dataset.textNew + " #" + data.ticket, {
      body: teamNames[data.team] || data.team,
      tag: "lotse-ticket-" + data.ticket,
    });
    note.onclick = function () {
      window.focus();
      window.location.href = "/console/tickets/" + encodeURIComponent(data.ticket);
    };
  }

  function offerNotifications() {
    if (!("Notification" in window) || notifying() || Notification.permission === "denied") return;
    notifyButton.hidden = false;
    notifyButton.addEventListener("click", function () {
      Notification.requestPermission().then(function (permission) {
        if (permission === "granted") {
          localStorage.setItem(NOTIFY_KEY, "on");
          notifyButton.hidden = true;
        }
      });
    });
  }

  let source = null;
  setTitle();
  offerNotifications();
  if (!("EventSource" in window)) {
    startPolling();
    return;
  }
  source = new EventSource(live.dataset.events);
  source.addEventListener("open", function () {
    stopPolling();
    status.classList.remove("error");
    refresh(); // whatever changed between the page's load and the stream's start
  });
  source.addEventListener("ticket", function (event) {
    refresh();
    announce(JSON.parse(event.data));
  });
  source.addEventListener("gone", refresh);
  source.addEventListener("reload", refresh);
  source.addEventListener("error", function () {
    // EventSource reconnects by itself; until then (or if it gave up) the page polls
    startPolling();
    if (source.readyState === EventSource.CLOSED) refresh();
  });
})();
