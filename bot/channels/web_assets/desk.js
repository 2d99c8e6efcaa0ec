"use strict";
// The ticket view: new entries of the ticket log arrive over Server-Sent Events and are
// added as text (never as markup).
(() => {
  const log = document.getElementById("log");
  if (!log) return;
  const seen = new Set([...log.querySelectorAll("li[data-id]")].map((li) => li.dataset.id));
  const source = new EventSource(`${log.dataset.stream}?after=${log.dataset.last || 0}`);
  source.addEventListener("entry", (event) => {
    const entry = JSON.parse(event.data);
    if (seen.has(String(entry.id))) return;
    seen.add(String(entry.id));
    const item = document.createElement("li");
    item.className = `entry ${entry.author}`;
    item.dataset.id = entry.id;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = `${entry.who} · ${entry.at}`;
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = entry.text;
    item.append(meta, text);
    log.append(item);
    item.scrollIntoView({ block: "nearest" });
  });
})();
