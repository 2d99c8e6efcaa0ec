"use strict";
// The family chat in the browser. Server texts arrive escaped in `html` (only <a> and
// <bdi> in it, bot/channels/web_format.py); everything else goes into the page as text.
// The page's history lives in sessionStorage: it survives a reload in this tab and goes
// when the tab is closed (shared computers).
(() => {
  const HISTORY = "lotse-history";
  const MAX_ENTRIES = 200;
  const RETRIES = 5;
  const meta = (name) => document.querySelector(`meta[name="${name}"]`).content;
  const csrf = meta("csrf-token");
  const base = meta("lotse-base");
  const labels = JSON.parse(document.getElementById("lotse-labels").textContent);
  const log = document.getElementById("log");
  const status = document.getElementById("status");
  const form = document.getElementById("compose");
  const input = document.getElementById("input");
  const reduced = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  let history = [];
  let lastId = 0;
  const seen = new Set();
  try {
    history = JSON.parse(sessionStorage.getItem(HISTORY) || "[]");
  } catch (_error) {
    history = [];
  }

  function save() {
    history = history.slice(-MAX_ENTRIES);
    try {
      sessionStorage.setItem(HISTORY, JSON.stringify(history));
    } catch (_error) {
      // storage full or disabled: the chat still works, a reload shows less
    }
  }

  function sender(name) {
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = name;
    return who;
  }

  function download(file) {
    const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
    const url = URL.createObjectURL(new Blob([bytes], { type: file.mime }));
    const link = document.createElement("a");
    link.href = url;
    link.download = file.name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function drawBot(message) {
    const bubble = document.createElement("div");
    const staff = message.from === "staff";
    bubble.className = `bubble ${staff ? "from-staff" : "from-lotse"}`;
    bubble.dataset.testid = staff ? "staff-message" : "bot-message";
    bubble.lang = message.lang;
    bubble.dir = message.dir;
    bubble.append(sender(staff ? labels.team : labels.lotse));
    const text = document.createElement("p");
    text.className = "text";
    text.innerHTML = message.html; // escaped by the server; only <a> and <bdi> inside
    bubble.append(text);
    const list = document.createElement("div");
    list.className = "choices";
    for (const file of message.files || []) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "file";
      button.dataset.testid = "file";
      button.textContent = `📎 ${file.name} – ${labels.download}`;
      button.addEventListener("click", () => download(file));
      list.append(button);
    }
    for (const choice of message.buttons || []) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "choice";
      button.dataset.testid = "choice";
      button.dataset.id = choice.id;
      button.textContent = choice.label;
      button.addEventListener("click", () => {
        said(choice.label);
        send({ type: "button", id: choice.id }, button);
      });
      list.append(button);
    }
    if (list.childElementCount) bubble.append(list);
    log.append(bubble);
    return bubble;
  }

  function drawFamily(text) {
    const bubble = document.createElement("div");
    bubble.className = "bubble from-family";
    bubble.dataset.testid = "family-message";
    const who = sender(labels.you);
    who.classList.add("visually-hidden");
    const body = document.createElement("p");
    body.className = "text";
    body.textContent = text;
    bubble.append(who, body);
    log.append(bubble);
  }

  function scrollDown() {
    const last = log.lastElementChild;
    if (last) last.scrollIntoView({ block: "end", behavior: reduced ? "auto" : "smooth" });
  }

  function said(text) {
    drawFamily(text);
    history.push({ kind: "family", text });
    save();
    scrollDown();
  }

  function show(messages, usedButton) {
    let newest = null;
    for (const message of messages) {
      if (message.id && seen.has(message.id)) continue;
      if (message.id) {
        seen.add(message.id);
        lastId = Math.max(lastId, message.id);
      }
      newest = drawBot(message);
      history.push({ kind: "bot", message });
    }
    if (!newest) return;
    save();
    scrollDown();
    const last = messages[messages.length - 1];
    input.inputMode = last && ["age", "number"].includes(last.expects) ? "numeric" : "text";
    // Keyboard users who pressed a choice continue on the newest choices (or the field);
    // someone typing keeps their focus.
    if (usedButton && document.activeElement === usedButton) {
      const next = newest.querySelector(".choice");
      (next || input).focus({ preventScroll: true });
    }
  }

  async function send(event, usedButton, attempt = 0) {
    status.textContent = labels.busy;
    let response;
    try {
      response = await fetch(`${base}api/event`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ ...event, ack: lastId }),
      });
    } catch (_error) {
      status.textContent = labels.offline;
      if (attempt < RETRIES) setTimeout(() => send(event, usedButton, attempt + 1), 3000);
      return false;
    }
    if (response.status === 403 && !sessionStorage.getItem("lotse-reloaded")) {
      sessionStorage.setItem("lotse-reloaded", "1"); // the session expired: once
      window.location.reload();
      return false;
    }
    if (!response.ok) {
      status.textContent = labels.error;
      return false;
    }
    status.textContent = "";
    sessionStorage.removeItem("lotse-reloaded");
    show((await response.json()).messages, usedButton);
    return true;
  }

  async function waiting() {
    try {
      const response = await fetch(`${base}api/messages?ack=${lastId}`, {
        credentials: "same-origin",
      });
      if (!response.ok) return [];
      return (await response.json()).messages;
    } catch (_error) {
      return [];
    }
  }

  function listen() {
    const source = new EventSource(`${base}api/stream`);
    source.addEventListener("message", (event) => show([JSON.parse(event.data)], null));
    source.addEventListener("open", () => {
      if (status.textContent === labels.offline) status.textContent = "";
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    said(text);
    input.value = "";
    if (!(await send({ type: "text", text }, null))) input.value ||= text; // keep it
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  // In the widget's frame, Escape closes the panel: the page around us is told.
  if (document.documentElement.classList.contains("embed") && window.parent !== window) {
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") window.parent.postMessage({ lotse: "close" }, "*");
    });
  }
  for (const button of document.querySelectorAll(".shortcut")) {
    button.addEventListener("click", () => {
      said(button.textContent);
      send({ type: "command", name: button.dataset.command }, button);
    });
  }

  async function begin() {
    for (const entry of history) {
      if (entry.kind === "family") drawFamily(entry.text);
      else if (entry.message) {
        drawBot(entry.message);
        if (entry.message.id) {
          seen.add(entry.message.id);
          lastId = Math.max(lastId, entry.message.id);
        }
      }
    }
    scrollDown();
    const pending = await waiting();
    show(pending, null);
    if (!history.length && !pending.length) {
      await send({ type: "start", lang: document.documentElement.lang }, null);
    }
    listen();
  }

  begin();
})();
