// The open conversation: header, message list (updated in place by events) and context menu.
import { api } from "./api.js";
import * as actions from "./actions.js";
import { attempt, toast } from "./dialogs.js";
import { avatar, h } from "./dom.js";
import { messageLinkOf } from "./entities.js";
import { icon } from "./icons.js";
import { forwardDialog } from "./forward.js";
import { messageNode } from "./messages.js";
import { openWebApp } from "./miniapp.js";
import { expandForum } from "./sidebar.js";
import {
  botById, chatTitle, convKey, emit, messagesOf, on, sortedMessages, store, topicOf,
} from "./store.js";

const list = () => document.getElementById("messages");
const header = () => document.getElementById("chat-header");

/** Whether `m` shows in the open view (forum topics filter their chat's messages). */
function visible(m) {
  const { chat, threadId } = store.open;
  if (!chat.is_forum) return true;
  return topicOf(m) === (threadId ?? null);
}

const isOpen = (key) => store.open && convKey(store.open.chat) === key;

function context() {
  const chat = store.open.chat;
  return {
    userId: store.userId,
    showSender: chat.type !== "private",
    onCommand: (cmd) => actions.sendText(cmd),
    onHashtag: (tag) => emit("composer", { focus: true, text: tag + " " }),
    onPress: (m, button, kind, el) => pressButton(m, button, kind, el),
    onJump: jumpTo,
    onMessageLink: openMessageLink,
    onMenu: showMenu,
    onReply: actions.startReply,
  };
}

function pressButton(m, button, kind, el) {
  switch (kind) {
    case "callback_data":
      return actions.press(m, button, el);
    case "url":
    case "login_url": {
      const url = button.url ?? button.login_url.url;
      const target = messageLinkOf(url);
      return target ? openMessageLink(target) : window.open(url, "_blank", "noopener");
    }
    case "web_app":
      return openWebApp({ url: button.web_app.url, botId: m.from?.id, title: button.text });
    case "copy_text":
      return actions.copyText(button.copy_text.text);
    case "switch_inline_query_current_chat":
      return emit("composer", { focus: true, text: `@${m.from?.username ?? ""} ${button.switch_inline_query_current_chat}` });
    default:
      return toast(`“${kind}” buttons are not emulated by the sandbox web chat`, "warn");
  }
}

function jumpTo(messageId) {
  const node = list().querySelector(`.msg[data-id="${messageId}"]`);
  if (!node) return false;
  node.scrollIntoView({ block: "center", behavior: "smooth" });
  // The message stays marked as the one jumped to (until the next jump); the flash fades.
  for (const old of list().querySelectorAll(".msg.jumped")) old.classList.remove("jumped");
  node.classList.add("flash", "jumped");
  setTimeout(() => node.classList.remove("flash"), 1200);
  return true;
}

/** The chat a message link names, among those this user may see: a group they are in by id
 * (t.me/c/…), or one with that public username. */
function linkedChat({ chatId, username }) {
  const present = (c) =>
    (c.members ?? []).some((m) => m.user.id === store.userId && !["left", "kicked"].includes(m.status));
  if (chatId !== undefined) return store.chats.find((c) => c.id === chatId && present(c)) ?? null;
  const name = username.toLowerCase();
  return store.chats.find((c) => c.type !== "private" && c.username?.toLowerCase() === name) ?? null;
}

/** A t.me link to a message, clicked: open its chat (and topic) here, scroll to it, mark it. */
export async function openMessageLink(target) {
  const chat = linkedChat(target);
  if (!chat) return toast("That chat isn't one this user can open", "warn");
  const key = convKey(chat);
  let threadId = chat.is_forum ? target.threadId : null;
  if (chat.is_forum) expandForum(chat.id);
  await openChat(chat, threadId);
  const message = messagesOf(key).get(target.messageId);
  if (chat.is_forum && message && topicOf(message) !== threadId) {
    threadId = topicOf(message); // a link without its topic, or with another message's
    await openChat(chat, threadId);
  }
  if (!jumpTo(target.messageId)) toast("That message was deleted, or never was", "warn");
}

function dayLabel(unix) {
  const d = new Date(unix * 1000);
  const today = new Date();
  if (d.toDateString() === today.toDateString()) return "Today";
  return d.toLocaleDateString([], { month: "long", day: "numeric", year: d.getFullYear() === today.getFullYear() ? undefined : "numeric" });
}

function renderList() {
  const key = convKey(store.open.chat);
  const ctx = context();
  const nodes = [];
  let day = null;
  for (const m of sortedMessages(key).filter(visible)) {
    const label = dayLabel(m.date);
    if (label !== day) nodes.push(h("div.day", {}, h("span", {}, (day = label))));
    nodes.push(messageNode(m, ctx));
  }
  if (!nodes.length) {
    nodes.push(h("div.empty", {}, h("div.empty-card", {},
      h("strong", {}, "No messages here yet"),
      h("span", {}, store.open.chat.type === "private" ? "Press START or say hello to the bot." : "Send the first message."))));
  }
  list().replaceChildren(...nodes);
  list().scrollTop = list().scrollHeight;
  pinned = true;
}

function nearBottom() {
  const el = list();
  return el.scrollHeight - el.scrollTop - el.clientHeight < 120;
}

function upsert(message) {
  const el = list();
  const existing = el.querySelector(`.msg[data-id="${message.message_id}"]`);
  if (!visible(message)) return existing?.remove();
  const node = messageNode(message, context());
  if (existing) return existing.replaceWith(node);
  const stick = nearBottom();
  el.querySelector(".empty")?.remove();
  const later = [...el.querySelectorAll(".msg")].find((n) => Number(n.dataset.id) > message.message_id);
  if (later) return later.before(node);
  const lastDay = [...el.querySelectorAll(".day")].pop()?.textContent;
  if (dayLabel(message.date) !== lastDay) el.append(h("div.day", {}, h("span", {}, dayLabel(message.date))));
  el.append(node);
  if (stick || message.from?.id === store.userId) {
    el.scrollTop = el.scrollHeight;
    pinned = true;
  }
}

function subtitle(chat, key) {
  const typing = store.typing.get(key);
  if (typing && typing.until > Date.now() && (!chat.is_forum || typing.threadId === store.open.threadId)) {
    return h("span.typing", {}, chat.type === "private" ? typing.label : `${typing.name} ${typing.label}`);
  }
  if (chat.type === "private") {
    const bot = botById(chat.bot_id);
    return bot?.username ? `@${bot.username} · bot` : "bot";
  }
  const members = (chat.members ?? []).filter((m) => !["left", "kicked"].includes(m.status)).length;
  const kind = chat.type === "channel" ? "subscribers" : "members";
  return `${members} ${kind}${chat.is_forum ? " · forum" : ""}`;
}

function menuButton(chat) {
  if (chat.type !== "private") return null;
  const bot = botById(chat.bot_id);
  const menu = bot?.menu_button;
  if (menu?.type !== "web_app") return null;
  return h("button.btn.primary.small", {
    type: "button",
    onclick: () => openWebApp({ url: menu.web_app.url, botId: bot.id, title: menu.text }),
  }, menu.text || "Open app");
}

export function renderHeader() {
  if (!store.open) return header().replaceChildren();
  const { chat, threadId } = store.open;
  const key = convKey(chat);
  const topic = chat.topics?.find((t) => t.message_thread_id === threadId);
  const title = chatTitle(chat) + (chat.is_forum ? ` › ${topic?.name ?? "General"}` : "");
  header().replaceChildren(
    avatar(chatTitle(chat), chat.type === "private" ? chat.bot_id : chat.id),
    h("div.header-info", {}, h("div.header-title", {}, title), h("div.header-sub", {}, subtitle(chat, key))),
    h("div.header-actions", {},
      menuButton(chat),
      chat.is_forum ? h("button.icon-btn", { type: "button", title: "New topic", "aria-label": "New topic", onclick: () => emit("new-topic", chat) }, icon("hash")) : null,
      chat.type !== "private" ? h("button.icon-btn", { type: "button", title: "Members", "aria-label": "Members", onclick: () => emit("members", chat) }, icon("members")) : null),
  );
}

function showMenu(m, event) {
  document.querySelector(".context-menu")?.remove();
  const own = m.from?.id === store.userId;
  const text = m.text ?? m.caption;
  const items = [
    ["Reply", () => actions.startReply(m)],
    text ? ["Copy text", () => actions.copyText(text)] : null,
    ["Forward…", () => forwardDialog(m)],
    own && m.text !== undefined ? ["Edit", () => actions.startEdit(m)] : null,
    ["Delete", () => actions.deleteMessage(m), "danger"],
  ].filter(Boolean);
  const menu = h("div.context-menu", { style: { left: `${event.clientX}px`, top: `${event.clientY}px` } },
    items.map(([label, fn, kind]) => h(`button${kind ? `.${kind}` : ""}`, { type: "button", onclick: () => { menu.remove(); fn(); } }, label)));
  document.body.append(menu);
  const close = (e) => { if (!menu.contains(e.target)) { menu.remove(); document.removeEventListener("mousedown", close); } };
  setTimeout(() => document.addEventListener("mousedown", close));
}

/** The empty state when no conversation is open. */
export function showWelcome() {
  list().replaceChildren(h("div.welcome", {}, h("div.welcome-card", {},
    h("div.welcome-logo", {}, icon("share", 44)),
    h("h1", {}, "Switchboard sandbox"),
    h("p", {}, store.userId === null
      ? "Create a user to start: you act as Telegram users here, bots answer over the real Bot API."
      : "Pick a chat on the left to talk to a bot as the selected user."))));
}

/** Opens a conversation: fetches its history once, then renders. */
export async function openChat(chat, threadId = null) {
  const key = convKey(chat);
  store.open = { key, chat, threadId };
  store.replyTo = null;
  store.editing = null;
  store.unread.delete(key);
  document.body.classList.add("has-chat");
  renderHeader();
  emit("opened", store.open);
  if (!store.loaded.has(key) && !chat.virtual) {
    list().replaceChildren(h("div.loading", {}, "Loading…"));
    const result = await attempt(() => api.messages(chat, store.userId));
    if (result) {
      for (const m of result.messages) messagesOf(key).set(m.message_id, m);
      store.loaded.add(key);
    }
    if (!isOpen(key)) return;
  }
  renderList();
}

// Media grow the list as they load: keep the view pinned to the bottom when it was there.
let pinned = true;
export function setupChatView() {
  const el = list();
  el.addEventListener("scroll", () => { pinned = nearBottom(); });
  const keep = () => { if (pinned) el.scrollTop = el.scrollHeight; };
  el.addEventListener("load", keep, true);
  el.addEventListener("loadedmetadata", keep, true);
  new ResizeObserver(keep).observe(el); // the composer grew (reply bar, keyboard)
}

on("message", ({ key, message }) => isOpen(key) && upsert(message));
on("edited", ({ key, message }) => isOpen(key) && upsert(message));
on("deleted", ({ key, ids }) => {
  if (!isOpen(key)) return;
  for (const id of ids) list().querySelector(`.msg[data-id="${id}"]`)?.remove();
});
on("typing", ({ key }) => isOpen(key) && renderHeader());
on("chat", () => store.open && renderHeader());
on("state", () => store.open && renderHeader());
