// Lotse web chat: keeps the chat token in localStorage, sends questions and button presses,
// polls for the teams' answers. Every text from the server is set with textContent, never as HTML.
"use strict";

(function () {
  const KEY = "lotse-chat-token";
  const ONE_SHOT = ["fb:", "lang:"];          // buttons that make sense once: their row goes when pressed
  const body = document.body;
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const status = document.getElementById("status");
  const pollMs = parseInt(body.dataset.pollMs, 10) || 5000;
  const de = body.dataset.lang === "de";
  let token = localStorage.getItem(KEY);
  let last = 0;
  let busy = false;
  let queue = Promise.resolve();            // messages go out one after the other, none is dropped

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function clientId() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function safeUrl(url) {
    try {
      const parsed = new URL(url);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  // A team's file: fetched with this chat's token (no other chat can open it), then saved from memory.
  function fileButton(file) {
    const kb = Math.max(1, Math.round((file.size || 0) / 1024));
    const button = el("button", "choice file", "\u{1F4CE} " + (de ? "Herunterladen: " : "Download: ") + file.name
                      + " (" + kb + " KB)");
    button.type = "button";
    button.addEventListener("click", async () => {
      try {
        const response = await fetch(file.url, { headers: { "X-Chat-Token": token || "" },
                                                 credentials: "omit", cache: "no-store" });
        if (!response.ok) throw new Error("HTTP " + response.status);
        const url = URL.createObjectURL(await response.blob());
        const link = el("a");
        link.href = url;
        link.download = file.name;
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
      } catch (e) {
        status.textContent = de ? "Die Datei ist nicht mehr verfügbar." : "The file is no longer available.";
      }
    });
    return button;
  }

  function render(m) {
    const item = el("li", "bubble " + (m.role === "employer" ? "me" : m.role === "team" ? "team" : "bot"));
    item.dataset.id = m.id || "";
    const who = m.role === "employer" ? (de ? "Sie" : "You") : m.role === "team" ? (de ? "Team" : "Team") : "Lotse";
    item.appendChild(el("span", "sr-only", who + ": "));
    if (m.title) item.appendChild(el("h2", "title", m.title));
    for (const para of String(m.text || "").split(/\n{2,}/)) item.appendChild(el("p", null, para));
    if (m.steps && m.steps.length) {
      const ol = el("ol", "steps");
      m.steps.forEach((s) => ol.appendChild(el("li", null, s)));
      item.appendChild(ol);
    }
    if (m.links && m.links.length) {
      const ul = el("ul", "links");
      m.links.forEach((l) => {
        const url = safeUrl(l.url);
        if (!url) return;
        const li = el("li");
        const a = el("a", null, l.title);
        a.href = url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        li.appendChild(a);
        ul.appendChild(li);
      });
      item.appendChild(ul);
    }
    if (m.file && typeof m.file.url === "string" && m.file.url.startsWith("/chat/api/files/")) {
      item.appendChild(fileButton(m.file));
    }
    if (m.footer) item.appendChild(el("p", "footer", m.footer));
    if (m.buttons && m.buttons.length) {
      const group = el("div", "buttons");
      group.setAttribute("role", "group");
      m.buttons.forEach((row) => {
        const line = el("div", "row");
        row.forEach((b) => {
          const button = el("button", "choice", b.label);
          button.type = "button";
          button.addEventListener("click", () => {
            if (ONE_SHOT.some((p) => b.payload.startsWith(p))) line.remove();
            send({ payload: b.payload, label: b.label });
          });
          line.appendChild(button);
        });
        group.appendChild(line);
      });
      item.appendChild(group);
    }
    log.appendChild(item);
  }

  function show(messages) {
    let added = false;
    for (const m of messages) {
      if (m.id && m.id <= last) continue;
      render(m);
      if (m.id) last = Math.max(last, m.id);
      added = true;
    }
    if (added) window.scrollTo(0, document.body.scrollHeight);
  }

  async function api(method, path, data) {
    const headers = { "X-Chat-Token": token || "" };
    if (data) headers["Content-Type"] = "application/json";
    const response = await fetch(path, { method, headers, body: data ? JSON.stringify(data) : undefined,
                                         credentials: "omit", cache: "no-store" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  }

  async function ensureToken() {
    if (token && /^[A-Za-z0-9_-]{32,64}$/.test(token)) return;
    token = (await api("POST", "/chat/api/new")).token;
    localStorage.setItem(KEY, token);
  }

  function send(data) {
    queue = queue.then(() => deliver(data));
    return queue;
  }

  async function deliver(data) {
    busy = true;
    form.setAttribute("aria-busy", "true");
    status.textContent = de ? "Lotse antwortet …" : "Lotse is answering …";
    try {
      await ensureToken();
      const result = await api("POST", "/chat/api/send",
                               Object.assign({ after: last, id: clientId(), lang: navigator.language }, data));
      if (result.reset) {             // the chat's data was erased: start a new chat
        localStorage.removeItem(KEY);
        token = null;
        log.textContent = "";
        last = 0;
      }
      show(result.messages);
      status.textContent = "";
    } catch (e) {
      status.textContent = de ? "Senden fehlgeschlagen. Bitte noch einmal versuchen." : "Sending failed. Please try again.";
      render({ role: "bot", text: status.textContent });
    } finally {
      busy = false;
      form.removeAttribute("aria-busy");
    }
  }

  async function poll() {
    if (token && !busy && document.visibilityState !== "hidden") {
      try {
        show((await api("GET", "/chat/api/messages?after=" + last)).messages);
      } catch (e) { /* offline for a moment: the next poll tries again */ }
    }
    setTimeout(poll, pollMs);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({ text });
    input.focus();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  document.querySelectorAll("[data-command]").forEach((button) => {
    button.addEventListener("click", () => send({ text: button.dataset.command }));
  });

  (async function start() {
    if (token) {
      try {
        const history = (await api("GET", "/chat/api/messages?after=0")).messages;
        if (history.length) {
          show(history);
          setTimeout(poll, pollMs);
          return;
        }
      } catch (e) {
        token = null;
      }
    }
    // /chat/?d=<district>: the district's entry link (python -m bot districts links) chooses it at the start
    const district = (new URLSearchParams(location.search).get("d") || "").replace(/[^A-Za-z0-9-]/g, "").slice(0, 20);
    await send({ text: district ? `/start ${district}` : "/start" });
    setTimeout(poll, pollMs);
  })();
})();
