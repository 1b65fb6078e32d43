// Start-up and wiring: load the sandbox state, act as a user, apply live events to the store.
import * as actions from "./actions.js";
import { api } from "./api.js";
import { openChat, renderHeader, setupChatView, showWelcome } from "./chatview.js";
import { renderComposer, setupComposer } from "./composer.js";
import { attempt, showError, toast } from "./dialogs.js";
import { membersDialog, newGroupDialog, newTopicDialog, newUserDialog } from "./groups.js";
import { closeWebApp, setupMiniAppPanel } from "./miniapp.js";
import { expandForum, conversations, renderSidebar } from "./sidebar.js";
import {
  botById, convKey, displayName, emit, eventKey, messagesOf, on, store, upsertChat,
} from "./store.js";
import { fillIcons } from "./icons.js";
import { onReplyKeyboard } from "./replykeyboard.js";
import { connectStream } from "./stream.js";

const ACTIONS = {
  typing: "is typing…",
  upload_photo: "is sending a photo…",
  record_video: "is recording a video…",
  upload_video: "is sending a video…",
  record_voice: "is recording a voice message…",
  upload_voice: "is sending a voice message…",
  upload_document: "is sending a file…",
  choose_sticker: "is choosing a sticker…",
  find_location: "is finding a location…",
  record_video_note: "is recording a video message…",
  upload_video_note: "is sending a video message…",
};
// Bot API calls that change what the web chat shows without a chat event.
const STATE_METHODS = new Set(["setmycommands", "deletemycommands", "setchatmenubutton", "setmyname", "setmydescription"]);

async function refreshState() {
  const state = await attempt(() => api.state());
  if (!state) return false;
  store.bots = state.bots ?? [];
  store.users = state.users ?? [];
  store.chats = state.chats ?? [];
  if (store.open) {
    const fresh = store.chats.find((c) => convKey(c) === convKey(store.open.chat));
    if (fresh) store.open.chat = fresh;
  }
  emit("state");
  if (store.open) {
    renderHeader();
    renderComposer();
  }
  return true;
}

let refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshState, 300);
}

/** Fetches the history of every conversation the current user has (sidebar previews need it). */
async function loadHistories() {
  await Promise.all(conversations().filter((c) => !c.virtual && !store.loaded.has(convKey(c))).map(async (chat) => {
    const key = convKey(chat);
    try {
      const { messages } = await api.messages(chat, store.userId);
      for (const m of messages) messagesOf(key).set(m.message_id, m);
      store.loaded.add(key);
    } catch (err) {
      showError(err);
    }
  }));
  emit("state");
}

async function switchUser(userId) {
  store.userId = userId;
  localStorage.setItem("switchboard.webchat.user", String(userId));
  store.open = null;
  store.unread.clear();
  document.body.classList.remove("has-chat");
  closeWebApp(true);
  renderHeader();
  renderComposer();
  showWelcome();
  emit("state");
  await loadHistories();
}

function onMessage(event, key, edited) {
  const m = event.message;
  messagesOf(key).set(m.message_id, m);
  if (event.keyboard) {
    if (!store.markups.has(key)) store.markups.set(key, new Map());
    store.markups.get(key).set(m.message_id, event.keyboard);
  }
  const known = store.chats.some((c) => convKey(c) === key);
  if (!known || (event.bot_id && !botById(event.bot_id))) refreshSoon();
  const typing = store.typing.get(key);
  if (typing && m.from?.id === typing.fromId) {
    store.typing.delete(key);
    emit("typing", { key });
  }
  const mine = m.from?.id === store.userId;
  const isOpen = store.open && convKey(store.open.chat) === key;
  if (!edited && !mine && !isOpen && concernsUser(event)) {
    store.unread.set(key, (store.unread.get(key) ?? 0) + 1);
  }
  emit(edited ? "edited" : "message", { key, message: m });
}

const concernsUser = (event) => (event.chat_id > 0 ? event.chat_id === store.userId : true);

function onChatAction(event, key) {
  const bot = event.bot_id ? botById(event.bot_id) : null; // the bot that acted, in groups too
  const until = Date.now() + 5000;
  store.typing.set(key, {
    until,
    fromId: bot?.id ?? event.bot_id,
    name: bot ? displayName(bot) : "bot",
    label: ACTIONS[event.action] ?? `is busy (${event.action})…`,
    threadId: event.message_thread_id ?? null,
  });
  emit("typing", { key });
  setTimeout(() => {
    if (store.typing.get(key)?.until === until) {
      store.typing.delete(key);
      emit("typing", { key });
    }
  }, 5100);
}

/** A failed Bot API call of a bot in the open chat: shown, since the bot may stay silent. */
let lastFailure = 0;
function reportBotFailure(event) {
  const chat = store.open?.chat;
  if (!chat || String(event.method).toLowerCase() === "getupdates") return;
  let involved;
  if (event.chat_id !== null && event.chat_id !== undefined) involved = eventKey(event) === convKey(chat);
  else if (chat.type === "private") involved = chat.bot_id === event.bot_id;
  else involved = (chat.members ?? []).some((m) => m.user.id === event.bot_id);
  if (!involved || Date.now() - lastFailure < 1500) return;
  lastFailure = Date.now();
  const bot = botById(event.bot_id);
  toast(`${bot ? displayName(bot) : "The bot"}: ${event.method} failed — ${event.error_code} ${event.description ?? ""}`, "warn", 6000);
}

function applyEvent(event) {
  const key = eventKey(event);
  switch (event.type) {
    case "message":
      return onMessage(event, key, false);
    case "edited":
      return onMessage(event, key, true);
    case "deleted":
      for (const id of event.message_ids ?? []) messagesOf(key).delete(id);
      return emit("deleted", { key, ids: event.message_ids ?? [] });
    case "chat":
      upsertChat(event.chat);
      return emit("chat", { chat: event.chat });
    case "chat_action":
      return onChatAction(event, key);
    case "reply_keyboard":
      return onReplyKeyboard(event);
    case "callback_answer":
      return actions.onCallbackAnswer(event);
    case "bot":
    case "user": {
      const list = event.type === "bot" ? store.bots : store.users;
      const item = event[event.type];
      const i = list.findIndex((x) => x.id === item.id);
      if (i >= 0) list[i] = item;
      else list.push(item);
      return emit("state");
    }
    case "reset":
      return reloadAll();
    case "api_call":
      if (STATE_METHODS.has(String(event.method).toLowerCase())) refreshSoon();
      if (event.ok === false) reportBotFailure(event);
      return undefined;
    default:
      return undefined;
  }
}

async function reloadAll() {
  store.loaded.clear();
  store.messages.clear();
  store.markups.clear();
  store.replyKeyboards.clear();
  if (!(await refreshState())) return;
  if (!store.users.some((u) => u.id === store.userId)) {
    if (store.users.length) return switchUser(store.users[0].id);
    store.userId = null;
    store.open = null;
    document.body.classList.remove("has-chat");
    showWelcome();
    renderHeader();
    renderComposer();
    return emit("state");
  }
  await loadHistories();
  if (store.open) openChat(store.open.chat, store.open.threadId);
}

function wire() {
  on("open", ({ chat, threadId }) => {
    if (chat.is_forum) expandForum(chat.id);
    openChat(chat, threadId);
  });
  on("switch-user", (id) => switchUser(id));
  on("new-user", newUserDialog);
  on("new-group", newGroupDialog);
  on("new-topic", newTopicDialog);
  on("members", membersDialog);
  document.getElementById("back").addEventListener("click", () => document.body.classList.remove("has-chat"));
  window.addEventListener("focus", refreshSoon);
}

async function boot() {
  fillIcons();
  wire();
  setupChatView();
  setupComposer();
  setupMiniAppPanel();
  // A restarted sandbox (a new `instance` in the stream's hello) reloads everything.
  await connectStream(applyEvent, reloadAll);
  if (!(await refreshState())) {
    // The sandbox is not up (the reason was shown): start over once it answers.
    const retry = setInterval(() => api.state().then(() => location.reload(), () => {}), 3000);
    return retry;
  }
  const wanted = Number(new URLSearchParams(location.search).get("user") ?? localStorage.getItem("switchboard.webchat.user"));
  const user = store.users.some((u) => u.id === wanted) ? wanted : store.users[0]?.id;
  if (user === undefined) {
    renderSidebar();
    showWelcome();
    return newUserDialog();
  }
  await switchUser(user);
}

boot().catch(showError);
