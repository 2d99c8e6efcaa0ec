"use strict";
// Lotse on a city's page with one tag:
//   <script src="https://lotse.example/widget.js" data-label="Chat – Lotse" defer></script>
// A round button opens the chat in a frame (its page comes from Lotse, with Lotse's own
// security headers). Styles are set from here: the host page's stylesheet stays untouched.
(() => {
  const script =
    document.currentScript ||
    [...document.querySelectorAll("script[src]")].reverse().find((s) => /widget\.js(\?|$)/.test(s.src));
  if (!script) return;
  const home = script.src.replace(/widget\.js(\?.*)?$/, "");
  const label = script.dataset.label || "Chat – Lotse";
  const rtl = document.documentElement.dir === "rtl";
  const side = rtl ? "left" : "right";

  const launcher = document.createElement("button");
  launcher.type = "button";
  launcher.textContent = "💬";
  launcher.setAttribute("aria-label", label);
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "lotse-widget-panel");
  Object.assign(launcher.style, {
    position: "fixed", bottom: "16px", [side]: "16px", width: "56px", height: "56px",
    borderRadius: "50%", border: "0", background: "#0b5394", color: "#fff",
    fontSize: "26px", cursor: "pointer", zIndex: "2147483000",
    boxShadow: "0 2px 8px rgba(0,0,0,.35)",
  });

  const panel = document.createElement("div");
  panel.id = "lotse-widget-panel";
  panel.hidden = true;
  const small = window.matchMedia("(max-width: 480px)");
  function place() {
    Object.assign(panel.style, small.matches
      ? { position: "fixed", inset: "0", width: "100vw", height: "100dvh", [side]: "0", bottom: "0" }
      : { position: "fixed", inset: "auto", bottom: "84px", [side]: "16px",
          width: "min(400px, calc(100vw - 16px))", height: "min(640px, calc(100dvh - 96px))" });
    Object.assign(panel.style, {
      zIndex: "2147483001", background: "#fff", borderRadius: small.matches ? "0" : "12px",
      boxShadow: "0 4px 24px rgba(0,0,0,.35)", overflow: "hidden",
    });
  }
  place();
  small.addEventListener("change", place);

  const close = document.createElement("button");
  close.type = "button";
  close.textContent = "✕";
  close.setAttribute("aria-label", "Schließen / Close");
  Object.assign(close.style, {
    position: "absolute", top: "4px", [rtl ? "right" : "left"]: "4px", width: "44px",
    height: "44px", border: "0", background: "transparent", fontSize: "20px", cursor: "pointer",
  });

  let frame = null;
  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = `${home}?embed=1`;
      frame.title = label;
      Object.assign(frame.style, { width: "100%", height: "100%", border: "0" });
      panel.append(frame, close);
    }
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    frame.focus();
  }
  function shut() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }
  launcher.addEventListener("click", () => (panel.hidden ? open() : shut()));
  close.addEventListener("click", shut);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) shut();
  });
  // Escape inside the chat's frame (chat.js tells us; only our frame is listened to)
  window.addEventListener("message", (event) => {
    const ours = frame && event.source === frame.contentWindow;
    if (ours && event.origin === new URL(home).origin && event.data?.lotse === "close") shut();
  });
  document.body.append(panel, launcher);
})();
