// Reply keyboards arrive only beside live `message` events (a Message carries inline keyboards
// only, and /messages returns Messages), so a reloaded page would lose them. We remember them:
// the newest per conversation in localStorage, plus a scan of recent events at start-up.
import { api } from "./api.js";
import { eventKey, store } from "./store.js";

const PREFIX = "switchboard.webchat.keyboard.";
const SCAN = 3000; // recent events scanned at start-up

export function rememberKeyboard(key, messageId, markup) {
  if (!store.keyboards.has(key)) store.keyboards.set(key, new Map());
  store.keyboards.get(key).set(messageId, markup);
  try {
    localStorage.setItem(PREFIX + key, JSON.stringify({ messageId, markup }));
  } catch {
    // storage full or blocked: the in-memory copy still serves this page
  }
}

function restoreSaved() {
  for (let i = 0; i < localStorage.length; i++) {
    const name = localStorage.key(i);
    if (!name?.startsWith(PREFIX)) continue;
    try {
      const { messageId, markup } = JSON.parse(localStorage.getItem(name));
      const key = name.slice(PREFIX.length);
      if (!store.keyboards.has(key)) store.keyboards.set(key, new Map());
      if (!store.keyboards.get(key).has(messageId)) store.keyboards.get(key).set(messageId, markup);
    } catch {
      localStorage.removeItem(name);
    }
  }
}

/** Restores keyboards sent before this page loaded; `lastSeq` is the stream's newest seq. */
export async function recoverKeyboards(lastSeq) {
  restoreSaved();
  if (!lastSeq) return;
  try {
    const { events } = await api.events(Math.max(0, lastSeq - SCAN), 0);
    for (const e of events) {
      if (e.type === "message" && e.keyboard) rememberKeyboard(eventKey(e), e.message.message_id, e.keyboard);
    }
  } catch {
    // best effort: live keyboards still work
  }
}

export function forgetKeyboards() {
  store.keyboards.clear();
  for (const name of Object.keys(localStorage)) if (name.startsWith(PREFIX)) localStorage.removeItem(name);
}
