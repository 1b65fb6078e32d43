// CloudStorage for Mini Apps, kept in localStorage per (bot, user) — Telegram keeps it per bot
// and user on its servers. Answers web_app_invoke_custom_method requests.
import { store } from "./store.js";

const prefix = (botId) => `switchboard.cloud.${botId}.${store.userId}.`;

export function cloudStorage(botId, { req_id, method, params = {} }) {
  const p = prefix(botId);
  switch (method) {
    case "saveStorageValue":
      localStorage.setItem(p + params.key, params.value);
      return { req_id, result: true };
    case "getStorageValues":
      return { req_id, result: Object.fromEntries(params.keys.map((k) => [k, localStorage.getItem(p + k) ?? ""])) };
    case "deleteStorageValues":
      for (const k of params.keys) localStorage.removeItem(p + k);
      return { req_id, result: true };
    case "getStorageKeys":
      return {
        req_id,
        result: Object.keys(localStorage).filter((k) => k.startsWith(p)).map((k) => k.slice(p.length)),
      };
    default:
      return { req_id, error: `method ${method} is not emulated by the sandbox` };
  }
}
