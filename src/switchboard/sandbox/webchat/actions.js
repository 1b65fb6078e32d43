// What the person at the keyboard can do, as the current user in the open conversation.
// Each action calls the API, records the result in the store and reports failures.
import { api, target } from "./api.js";
import { alertBox, attempt, showError, toast } from "./dialogs.js";
import { setBusy } from "./keyboards.js";
import { convKey, emit, messagesOf, store } from "./store.js";

/** Fields naming the open conversation for the send endpoints. */
function where() {
  const { chat, threadId } = store.open;
  const body = { user_id: store.userId, ...target(chat) };
  if (threadId) body.message_thread_id = threadId;
  return body;
}

/** Records a message we sent (the stream will bring it too; the store dedupes by id). */
export function remember(message, key = convKey(store.open.chat)) {
  if (!message) return;
  messagesOf(key).set(message.message_id, message);
  emit("message", { key, message });
}

function takeReply() {
  const reply = store.replyTo;
  if (reply) {
    store.replyTo = null;
    emit("composer");
  }
  return reply;
}

export async function sendText(text) {
  if (!store.open || !text.trim()) return false;
  if (store.editing) return editText(text);
  const reply = takeReply();
  const body = { ...where(), text };
  if (reply) body.reply_to_message_id = reply.message_id;
  const result = await attempt(() => api.send(body));
  if (!result) {
    if (reply) store.replyTo = reply;
    return false;
  }
  remember(result.message);
  return true;
}

async function editText(text) {
  const message = store.editing;
  const result = await attempt(() =>
    api.edit({ ...where(), message_thread_id: undefined, message_id: message.message_id, text }),
  );
  if (!result) return false;
  store.editing = null;
  emit("composer");
  const key = convKey(store.open.chat);
  messagesOf(key).set(result.message.message_id, result.message);
  emit("edited", { key, message: result.message });
  return true;
}

export async function deleteMessage(message) {
  const ok = await attempt(() =>
    api.remove({ ...where(), message_thread_id: undefined, message_id: message.message_id }),
  );
  if (!ok) return;
  const key = convKey(store.open.chat);
  messagesOf(key).delete(message.message_id);
  emit("deleted", { key, ids: [message.message_id] });
}

/** The kind of media a file is sent as, picked by its MIME type. */
export function kindOf(file) {
  const type = file.type || "";
  if (/^image\/(jpeg|png|webp|bmp)$/.test(type)) return "photo";
  if (type === "image/gif") return "animation";
  if (/^audio\/ogg/.test(type)) return "voice";
  if (type.startsWith("audio/")) return "audio";
  if (type.startsWith("video/")) return "video";
  return "document";
}

export async function sendFile(file, { kind = kindOf(file), caption = "", seconds } = {}) {
  if (!store.open) return false;
  const form = new FormData();
  for (const [k, v] of Object.entries(where())) form.set(k, String(v));
  form.set("kind", kind);
  form.set("file", file, file.name || `${kind}.bin`);
  if (caption) form.set("caption", caption);
  if (seconds) form.set("duration", String(Math.round(seconds)));
  const result = await attempt(() => api.sendMedia(form));
  if (result) remember(result.message);
  return !!result;
}

export async function sendLocation(latitude, longitude) {
  const result = await attempt(() => api.sendLocation({ ...where(), latitude, longitude }));
  if (result) remember(result.message);
  return !!result;
}

export async function sendContact(contact) {
  const result = await attempt(() => api.sendContact({ ...where(), ...contact }));
  if (result) remember(result.message);
  return !!result;
}

/** Shares a chat chosen for a request_chat button (private chats with a bot only). */
export async function shareChat(requestId, chatId) {
  const { chat } = store.open;
  const body = { user_id: store.userId, bot_id: chat.bot_id, request_id: requestId, chat_id: chatId };
  const result = await attempt(() => api.shareChat(body));
  if (result) remember(result.message);
  return !!result;
}

// Callback queries awaiting their answer, and answers that came before /press returned.
const pending = new Map();
const early = new Map();

export async function press(message, button, element) {
  setBusy(element, true);
  const { message_thread_id, ...body } = where();
  const result = await attempt(() =>
    api.press({ ...body, message_id: message.message_id, callback_data: button.callback_data }),
  );
  if (!result) return setBusy(element, false);
  const id = result.callback_query_id;
  if (early.has(id)) {
    setBusy(element, false);
    return showAnswer(early.get(id));
  }
  // Telegram stops the spinner after a while even when the bot never answers.
  const timer = setTimeout(() => {
    pending.delete(id);
    setBusy(element, false);
    toast(`The bot did not answer the button “${button.text}”`, "warn");
  }, 15000);
  pending.set(id, { element, timer });
}

function showAnswer(event) {
  if (event.url) window.open(event.url, "_blank", "noopener");
  if (!event.text) return;
  if (event.show_alert) alertBox(event.text);
  else toast(event.text, "answer");
}

export function onCallbackAnswer(event) {
  if (event.user_id !== undefined && event.user_id !== store.userId) return;
  const waiting = pending.get(event.callback_query_id);
  if (!waiting) {
    early.set(event.callback_query_id, event);
    setTimeout(() => early.delete(event.callback_query_id), 30000);
    return;
  }
  pending.delete(event.callback_query_id);
  clearTimeout(waiting.timer);
  setBusy(waiting.element, false);
  showAnswer(event);
}

export function startReply(message) {
  store.editing = null;
  store.replyTo = message;
  emit("composer", { focus: true });
}

export function startEdit(message) {
  store.replyTo = null;
  store.editing = message;
  emit("composer", { focus: true, text: message.text ?? message.caption ?? "" });
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast("Copied to clipboard");
  } catch (err) {
    showError(new Error(`Copy failed: ${err.message}`));
  }
}
