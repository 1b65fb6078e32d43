// Mini Apps in a side panel. The app runs in an iframe and talks to us the way it talks to
// Telegram Web: JSON {eventType, eventData} over postMessage, initData in the URL hash. So both
// the sandbox's /webchat/telegram-web-app.js and Telegram's own script work inside the panel.
import { api } from "./api.js";
import { attempt, modal, toast } from "./dialogs.js";
import { h } from "./dom.js";
import { store } from "./store.js";
import { cloudStorage } from "./miniapp-storage.js";

export const THEME = {
  bg_color: "#ffffff",
  text_color: "#000000",
  hint_color: "#707579",
  link_color: "#3390ec",
  button_color: "#3390ec",
  button_text_color: "#ffffff",
  secondary_bg_color: "#f4f4f5",
  header_bg_color: "#ffffff",
  bottom_bar_bg_color: "#ffffff",
  accent_text_color: "#3390ec",
  section_bg_color: "#ffffff",
  section_header_text_color: "#3390ec",
  section_separator_color: "#e7e7e7",
  subtitle_text_color: "#707579",
  destructive_text_color: "#e53935",
};

const VERSION = "8.0";
let app = null; // { botId, frame, buttonText (a keyboard button's), closingConfirmation }

const $ = (id) => document.getElementById(id);

function post(eventType, eventData = {}) {
  if (!app?.frame.contentWindow) return;
  log("→", eventType, eventData);
  app.frame.contentWindow.postMessage(JSON.stringify({ eventType, eventData }), "*");
}

function log(direction, type, data) {
  const line = `${direction} ${type}${data && Object.keys(data).length ? " " + JSON.stringify(data) : ""}`;
  console.debug("[mini app]", line);
  const host = $("miniapp-log");
  host.append(h("div", {}, line));
  while (host.childElementCount > 50) host.firstChild.remove();
  host.scrollTop = host.scrollHeight;
}

function viewport() {
  post("viewport_changed", { height: app.frame.clientHeight, width: app.frame.clientWidth, is_expanded: true, is_state_stable: true });
}

/** A URL carrying initData the way Telegram passes it: in the fragment. */
function launchUrl(url, initData, startParam) {
  if (/[#&]tgWebAppData=/.test(url)) return url;
  const params = new URLSearchParams({
    tgWebAppData: initData,
    tgWebAppVersion: VERSION,
    tgWebAppPlatform: "weba",
    tgWebAppThemeParams: JSON.stringify(THEME),
  });
  if (startParam) params.set("tgWebAppStartParam", startParam);
  return url + (url.includes("#") ? "&" : "#") + params.toString();
}

export async function openWebApp({ url, botId, title = "Mini App", fromKeyboard = false, startParam }) {
  if (!url) return toast("This button has no Mini App URL", "error");
  const result = await attempt(() =>
    api.webapp({ user_id: store.userId, bot_id: botId, url, start_param: startParam }),
  );
  if (!result) return;
  closeWebApp(true);
  const src = launchUrl(result.url || url, result.init_data, startParam);
  const frame = h("iframe", {
    src,
    title,
    allow: "clipboard-read; clipboard-write; geolocation; camera; microphone",
    sandbox: "allow-scripts allow-same-origin allow-forms allow-popups allow-modals allow-downloads",
  });
  app = { botId, frame, buttonText: fromKeyboard ? title : null, closingConfirmation: false };
  $("miniapp-title").textContent = title;
  $("miniapp-newtab").href = src;
  $("miniapp-frame").replaceChildren(frame);
  $("miniapp-log").replaceChildren();
  setButton("miniapp-main", { is_visible: false });
  setButton("miniapp-secondary", { is_visible: false });
  $("miniapp-back").hidden = true;
  document.body.classList.add("miniapp-open");
  frame.addEventListener("load", () => viewport());
}

export async function closeWebApp(force = false) {
  if (!app) return;
  if (!force && app.closingConfirmation) {
    const answer = await modal({
      title: "Close the app?",
      body: [h("p", {}, "Changes that you made may not be saved.")],
      buttons: [{ id: "cancel", text: "Cancel" }, { id: "close", text: "Close anyway", kind: "danger" }],
    });
    if (answer !== "close") return;
  }
  app = null;
  $("miniapp-frame").replaceChildren();
  document.body.classList.remove("miniapp-open");
}

function setButton(id, p) {
  const button = $(id);
  button.hidden = !p.is_visible || !p.text;
  if (button.hidden) return;
  button.replaceChildren(p.is_progress_visible ? h("span.spinner") : p.text);
  button.disabled = p.is_active === false;
  button.style.background = p.color || "";
  button.style.color = p.text_color || "";
  button.classList.toggle("shine", !!p.has_shine_effect);
}

async function popup({ title, message, buttons = [{ id: "", type: "close" }] }) {
  const labels = { ok: "OK", close: "Close", cancel: "Cancel" };
  const id = await modal({
    title,
    body: [h("p.alert-text", {}, message)],
    buttons: buttons.map((b) => ({
      id: b.id ?? "",
      text: b.text || labels[b.type] || "OK",
      kind: b.type === "destructive" ? "danger" : b.type === "default" ? "primary" : "flat",
    })),
  });
  post("popup_closed", id === null ? {} : { button_id: id });
}

const handlers = {
  iframe_ready: () => { post("theme_changed", { theme_params: THEME }); viewport(); },
  web_app_ready: () => $("miniapp-frame").classList.add("ready"),
  web_app_expand: viewport,
  web_app_request_viewport: viewport,
  web_app_request_theme: () => post("theme_changed", { theme_params: THEME }),
  web_app_close: () => closeWebApp(true),
  web_app_setup_main_button: (d) => setButton("miniapp-main", d),
  web_app_setup_secondary_button: (d) => setButton("miniapp-secondary", d),
  web_app_setup_back_button: (d) => { $("miniapp-back").hidden = !d.is_visible; },
  web_app_setup_closing_behavior: (d) => { app.closingConfirmation = !!d.need_confirmation; },
  web_app_set_header_color: (d) => { $("miniapp-header").style.background = d.color || ""; },
  web_app_open_link: (d) => window.open(d.url, "_blank", "noopener"),
  web_app_open_tg_link: (d) => window.open(`https://t.me${d.path_full}`, "_blank", "noopener"),
  web_app_open_popup: popup,
  web_app_data_send: async (d) => {
    // Telegram delivers this to the bot as a web_app_data service message and closes the app,
    // for a Mini App opened from a reply keyboard button only; elsewhere it ignores it.
    if (!app.buttonText) {
      toast("sendData works only in a Mini App opened from a keyboard button (as in Telegram)", "warn", 6000);
      return;
    }
    const sent = await attempt(() =>
      api.webAppData({ user_id: store.userId, bot_id: app.botId, data: String(d.data ?? ""), button_text: app.buttonText }),
    );
    if (sent) closeWebApp(true);
  },
  web_app_read_text_from_clipboard: async (d) => {
    let data = null;
    try { data = await navigator.clipboard.readText(); } catch { /* denied: Telegram answers null */ }
    post("clipboard_text_received", { req_id: d.req_id, data });
  },
  web_app_request_write_access: () => post("write_access_requested", { status: "allowed" }),
  web_app_request_phone: () => post("phone_requested", { status: "cancelled" }),
  web_app_open_invoice: (d) => post("invoice_closed", { slug: d.slug, status: "cancelled" }),
  web_app_biometry_get_info: () => post("biometry_info_received", { available: false }),
  web_app_check_home_screen: () => post("home_screen_checked", { status: "unsupported" }),
  web_app_invoke_custom_method: (d) => post("custom_method_invoked", cloudStorage(app.botId, d)),
  web_app_request_safe_area: () => post("safe_area_changed", { top: 0, bottom: 0, left: 0, right: 0 }),
  web_app_request_content_safe_area: () => post("content_safe_area_changed", { top: 0, bottom: 0, left: 0, right: 0 }),
  web_app_request_fullscreen: () => post("fullscreen_failed", { error: "UNSUPPORTED" }),
  web_app_set_background_color: (d) => { $("miniapp-frame").style.background = d.color || ""; },
  web_app_switch_inline_query: (d) => toast(`switchInlineQuery("${d.query}") is not emulated`, "warn"),
};

window.addEventListener("message", (event) => {
  if (!app || event.source !== app.frame.contentWindow) return;
  let parsed;
  try {
    parsed = typeof event.data === "string" ? JSON.parse(event.data) : event.data;
  } catch {
    return;
  }
  if (!parsed?.eventType) return;
  const data = parsed.eventData ?? {};
  log("←", parsed.eventType, data);
  handlers[parsed.eventType]?.(data);
});

export function setupMiniAppPanel() {
  $("miniapp-close").addEventListener("click", () => closeWebApp());
  $("miniapp-back").addEventListener("click", () => post("back_button_pressed"));
  $("miniapp-main").addEventListener("click", () => post("main_button_pressed"));
  $("miniapp-secondary").addEventListener("click", () => post("secondary_button_pressed"));
  $("miniapp-reload").addEventListener("click", () => { if (app) app.frame.src = app.frame.src; });
  $("miniapp-log-toggle").addEventListener("click", () => $("miniapp-log").classList.toggle("shown"));
  window.addEventListener("resize", () => app && viewport());
}
