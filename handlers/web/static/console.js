// Lotse console, queue and ticket pages: keeps them up to date without a reload (docs/web.md, "The live queue").
// Listens to the server's event stream (EventSource); on each event it fetches the page's changing
// parts again (the queue's counts and rows, with the page's filters; a ticket's state, conversation
// and audit trail) and puts them in place (#live's data-parts: their ids). Without EventSource, or
// while the stream is down, it fetches them at an interval. The stream names tickets only by number;
// the parts come from the same server-rendered templates as the page. A ticket's page stops when
// the ticket is no longer the account's to see (404). On the queue, browser notifications announce
// new tickets of the account's teams, once the coordinator has allowed them.
"use strict";

(function () {
  const live = document.getElementById("live");
  if (!live) return;
  const status = document.getElementById("live-status");
  const notifyButton = document.getElementById("notify");
  const pollMs = parseInt(live.dataset.pollMs, 10) || 15000;
  const teamNames = JSON.parse(live.dataset.teamNames || "{}");
  const parts = (live.dataset.parts || "queue-counts queue-table").split(" ");
  const NOTIFY_KEY = "lotse-console-notify";
  let pollTimer = null;
  let fetching = null;
  let stopped = false;
  let again = false;

  function setTitle() {
    const counts = document.getElementById("queue-counts");
    const unclaimed = counts ? parseInt(counts.dataset.unclaimed, 10) || 0 : 0;
    document.title = (unclaimed > 0 ? "(" + unclaimed + ") " : "") + live.dataset.title;
  }

  // A ticket's page: the answer's and the actions' forms only while the ticket is not closed.
  function showActions() {
    const state = document.getElementById("ticket-state");
    if (!state) return;
    for (const element of document.querySelectorAll("[data-while-active]")) {
      element.hidden = state.dataset.status === "closed";
    }
  }

  // Signed out, or (a ticket's page) the ticket is no longer the account's to see: no more updates.
  function stop(text) {
    stopped = true;
    stopPolling();
    if (source) source.close();
    status.textContent = text;
    status.classList.add("error");
  }

  // One fetch at a time; events during a fetch lead to one more fetch afterwards.
  function refresh() {
    if (stopped) return null;
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
          stop(live.dataset.textSignedOut);
          return;
        }
        if (response.status === 404) {
          stop(live.dataset.textGone);
          return;
        }
        if (!response.ok) return;
        return response.text().then(function (html) {
          const fresh = new DOMParser().parseFromString(html, "text/html");
          for (const id of parts) {
            const mine = document.getElementById(id);
            const theirs = fresh.getElementById(id);
            if (mine && theirs) mine.replaceWith(document.adoptNode(theirs));
          }
          setTitle();
          showActions();
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
    if (!pollTimer && !stopped) pollTimer = setInterval(refresh, pollMs);
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
    if (!notifyButton || !notifying() || (data.action !== "opened" && data.action !== "handed_over")) return;
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
    if (!notifyButton || !("Notification" in window) || notifying() || Notification.permission === "denied") return;
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
    if (stopped) return;
    startPolling();
    if (source.readyState === EventSource.CLOSED) refresh(); // a 404 there (the ticket left) stops the page
  });
})();
