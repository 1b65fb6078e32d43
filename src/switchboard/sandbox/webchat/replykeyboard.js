// The reply keyboard under the composer: the one the sandbox says the current user sees in the
// open chat or topic (read with GET …/messages?user_id=&limit=0, then kept current by
// `reply_keyboard` events), so it survives a reload. A used one-time keyboard comes back
// "hidden": collapsed, a tap on the keyboard button away, as in Telegram. A bot message's
// ForceReply (seen live, beside the `message` event) starts a reply to it.
import * as actions from "./actions.js";
import { api } from "./api.js";
import { askContact, askLocation, askSharedChat } from "./attachments.js";
import { showError, toast } from "./dialogs.js";
import { replyKeyboard } from "./keyboards.js";
import { openWebApp } from "./miniapp.js";
import { convKey, emit, eventKey, on, sortedMessages, store, topicOf } from "./store.js";

/** Keyboards are per user, per chat and, in a forum, per topic (General is 0). */
function keyboardKey(userId, key, topic) {
  return `${userId}|${key}|${topic ?? 0}`;
}

const topicIn = (chat, threadId) => (chat.is_forum ? threadId ?? 0 : 0);

/** Reads the current user's keyboard for a chat (a forum's topic) unless it is known. */
export async function loadReplyKeyboard(chat, threadId) {
  if (chat.virtual || store.userId === null) return;
  const topic = topicIn(chat, threadId);
  const key = keyboardKey(store.userId, convKey(chat), topic);
  if (store.replyKeyboards.has(key)) return;
  try {
    const answer = await api.messages(chat, store.userId, chat.is_forum ? topic : undefined, 0);
    // An event that came meanwhile is newer than this answer.
    if (!store.replyKeyboards.has(key)) store.replyKeyboards.set(key, answer.reply_keyboard ?? null);
    emit("keyboard", { key: convKey(chat) });
  } catch (err) {
    showError(err);
  }
}

/** A `reply_keyboard` event: for one user, or (user_id null) for everyone in the chat. */
export function onReplyKeyboard(event) {
  const key = eventKey(event);
  const topic = event.message_thread_id ?? 0;
  if (event.user_id === null || event.user_id === undefined) {
    // A keyboard for everyone replaces users' own: forget theirs, they are read again if needed.
    for (const k of [...store.replyKeyboards.keys()]) {
      if (k.endsWith(`|${key}|${topic}`)) store.replyKeyboards.delete(k);
    }
    if (store.userId !== null) store.replyKeyboards.set(keyboardKey(store.userId, key, topic), event.reply_keyboard);
  } else {
    store.replyKeyboards.set(keyboardKey(event.user_id, key, topic), event.reply_keyboard);
  }
  emit("keyboard", { key });
}

/** {message, markup, botId, hidden} of what the open view shows under the composer, or null. */
export function currentReplyKeyboard() {
  if (!store.open || store.userId === null) return null;
  const { chat, threadId } = store.open;
  const key = convKey(chat);
  const shown = sortedMessages(key).filter((m) => !chat.is_forum || topicOf(m) === (threadId ?? null));
  const lastBot = shown.findLast((m) => m.from?.is_bot);
  const prompt = lastBot && store.markups.get(key)?.get(lastBot.message_id);
  if (prompt?.force_reply) return { message: lastBot, markup: prompt, botId: lastBot.from.id };
  const state = store.replyKeyboards.get(keyboardKey(store.userId, key, topicIn(chat, threadId)));
  if (!state) return null;
  return { message: { message_id: state.message_id }, markup: state.markup, botId: state.bot_id, hidden: state.hidden };
}

let forced = null; // the force_reply message already turned into a reply
let shownId = null; // the keyboard on screen, to collapse a hidden one once, not on every render

async function pressReply(current, button, kind) {
  switch (kind) {
    case "request_location":
      return askLocation();
    case "request_contact":
      return askContact();
    case "web_app":
      return openWebApp({ url: button.web_app.url, botId: current.botId, title: button.text, fromKeyboard: true });
    case "request_chat":
      return askSharedChat(button.request_chat);
    case "request_poll":
    case "request_users":
      toast(`“${kind}” buttons are not emulated; sending the button text`, "warn");
      return actions.sendText(button.text);
    default:
      return actions.sendText(button.text);
  }
}

export function renderReplyKeyboard(current) {
  const host = document.getElementById("reply-keyboard");
  const toggle = document.getElementById("keyboard-toggle");
  const text = document.getElementById("text");
  text.placeholder = current?.markup.input_field_placeholder || text.placeholder;
  if (current?.markup.force_reply) {
    if (forced !== current.message && !store.replyTo) {
      forced = current.message;
      actions.startReply(current.message);
    }
    current = null;
  }
  const node = current ? replyKeyboard(current.markup, (b, kind) => pressReply(current, b, kind)) : null;
  host.replaceChildren(...(node ? [node] : []));
  host.hidden = !node;
  toggle.hidden = !node;
  const id = current
    ? [store.userId, store.open?.key, store.open?.threadId, current.message.message_id, !!current.hidden].join("|")
    : null;
  if (id !== shownId) {
    shownId = id;
    host.classList.toggle("collapsed", !!current?.hidden);
  }
}

on("opened", ({ chat, threadId }) => loadReplyKeyboard(chat, threadId));
