// The left column: who we are acting as, and the chats of that user with their last message.
// Forums expand into their topics.
import { avatar, h, time } from "./dom.js";
import { icon } from "./icons.js";
import { preview } from "./messages.js";
import {
  chatTitle, convKey, currentUser, displayName, emit, groupChats, lastMessage, messagesOf, on,
  privateChat, store, topicOf,
} from "./store.js";

const expanded = new Set(); // forum chat ids shown with their topics

function lastOfTopic(key, threadId) {
  let last = null;
  for (const m of messagesOf(key).values()) {
    if (topicOf(m) === threadId && (!last || m.message_id > last.message_id)) last = m;
  }
  return last;
}

function isActive(chat, threadId) {
  if (!store.open || convKey(store.open.chat) !== convKey(chat)) return false;
  return threadId === undefined || (store.open.threadId ?? null) === threadId;
}

function previewLine(chat, m) {
  const typing = store.typing.get(convKey(chat));
  if (typing && typing.until > Date.now()) {
    return h("span.preview.typing", {}, chat.type === "private" ? typing.label : `${typing.name} ${typing.label}`);
  }
  if (!m) return h("span.preview.muted", {}, chat.type === "private" ? "Start the bot" : "No messages yet");
  const who =
    chat.type === "private" ? (m.from?.id === store.userId ? "You: " : "")
    : m.from ? `${m.from.id === store.userId ? "You" : displayName(m.from).split(" ")[0]}: ` : "";
  return h("span.preview", {}, who ? h("span.preview-who", {}, who) : null, preview(m).replace(/\s+/g, " "));
}

function item(chat, { threadId, title, last, unread, indent, toggle, closed }) {
  const key = convKey(chat);
  const forumRow = chat.is_forum && threadId === undefined;
  return h(
    `div.chat-item${indent ? ".topic" : ""}${isActive(chat, forumRow ? undefined : threadId) && !forumRow ? ".active" : ""}`,
    {
      role: "button",
      tabIndex: 0,
      dataset: { key, thread: threadId ?? "", title },
      // A forum opens on General with its topics shown; its chevron only folds them.
      onclick: () => emit("open", { chat, threadId: threadId ?? null }),
      onkeydown: (e) => e.key === "Enter" && e.currentTarget.click(),
    },
    indent
      ? h("div.topic-icon", { style: { background: topicColor(chat, threadId) } }, icon("hash", 18))
      : avatar(title, chat.type === "private" ? chat.bot_id : chat.id),
    h("div.chat-text", {},
      h("div.chat-line", {},
        h("span.chat-title", {}, chat.type !== "private" && !indent ? typeIcon(chat) : null, title, closed ? icon("lock", 14) : null),
        h("span.chat-time", {}, last ? time(last.date) : "")),
      h("div.chat-line", {},
        previewLine(chat, last),
        unread ? h("span.badge", {}, String(unread)) : null,
        forumRow ? h("button.chevron", {
          type: "button",
          title: expanded.has(chat.id) ? "Hide topics" : "Show topics",
          onclick: (e) => { e.stopPropagation(); toggle(); },
        }, expanded.has(chat.id) ? "▾" : "▸") : null)),
  );
}

const typeIcon = (chat) =>
  h("span.type-icon", { title: chat.is_forum ? "forum" : chat.type }, icon(chat.type === "channel" ? "channel" : chat.is_forum ? "forum" : "group", 16));

function topicColor(chat, threadId) {
  const topic = chat.topics?.find((t) => t.message_thread_id === threadId);
  const c = topic?.icon_color;
  return c ? `#${c.toString(16).padStart(6, "0")}` : "#8e99a4";
}

function forumRows(chat, key) {
  const toggle = () => {
    if (expanded.has(chat.id)) expanded.delete(chat.id);
    else expanded.add(chat.id);
    renderSidebar();
  };
  const rows = [item(chat, { title: chatTitle(chat), last: lastMessage(key), unread: store.unread.get(key), toggle })];
  if (!expanded.has(chat.id)) return rows;
  rows.push(item(chat, { threadId: null, title: "General", last: lastOfTopic(key, null), indent: true }));
  for (const t of chat.topics ?? []) {
    rows.push(item(chat, {
      threadId: t.message_thread_id,
      title: t.name,
      closed: t.is_closed,
      last: lastOfTopic(key, t.message_thread_id),
      indent: true,
    }));
  }
  rows.push(h("button.new-topic", { type: "button", onclick: () => emit("new-topic", chat) }, "+ New topic"));
  return rows;
}

export function conversations() {
  if (store.userId === null) return [];
  const chats = [...store.bots.map(privateChat), ...groupChats()];
  const stamp = (chat) => lastMessage(convKey(chat))?.date ?? 0;
  return chats.sort((a, b) => stamp(b) - stamp(a) || chatTitle(a).localeCompare(chatTitle(b)));
}

function userSwitcher() {
  const me = currentUser();
  const menu = h("div.user-menu", { hidden: true },
    store.users.map((u) =>
      h(`button.user-option${u.id === store.userId ? ".current" : ""}`,
        { type: "button", dataset: { userId: u.id }, onclick: () => { menu.hidden = true; emit("switch-user", u.id); } },
        avatar(displayName(u), u.id, "small"), h("span", {}, displayName(u)),
        u.username ? h("span.muted", {}, ` @${u.username}`) : null)),
    h("button.user-option.new-user", { type: "button", onclick: () => { menu.hidden = true; emit("new-user"); } },
      h("span.plus", {}, icon("plus", 20)), "New user…"));
  const button = h("button.user-current", {
    type: "button",
    title: "Switch user",
    onclick: (e) => { e.stopPropagation(); menu.hidden = !menu.hidden; },
  },
  me ? avatar(displayName(me), me.id, "small") : null,
  h("span.user-name", {}, me ? displayName(me) : "Choose a user"),
  h("span.chevron", {}, "▾"));
  return h("div.user-switcher", {}, button, menu);
}

let scheduled = false;

/** Re-renders the sidebar on the next frame (many events may arrive together). */
export function renderSidebar() {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    document.getElementById("user-bar").replaceChildren(
      userSwitcher(),
      h("button.icon-btn", { type: "button", title: "New group or forum", "aria-label": "New group", onclick: () => emit("new-group") }, icon("edit", 22)),
    );
    const rows = [];
    for (const chat of conversations()) {
      const key = convKey(chat);
      if (chat.is_forum) rows.push(...forumRows(chat, key));
      else rows.push(item(chat, { title: chatTitle(chat), last: lastMessage(key), unread: store.unread.get(key) }));
    }
    if (!rows.length) {
      rows.push(h("div.sidebar-empty", {},
        store.userId === null ? "Create a user to start chatting." : "No bots yet. Register one with POST /sandbox/api/bots or run a bot against the sandbox."));
    }
    document.getElementById("chat-list").replaceChildren(...rows);
  });
}

export function expandForum(chatId) {
  expanded.add(chatId);
}

document.addEventListener("click", (e) => {
  const menu = document.querySelector(".user-menu");
  if (menu && !e.target.closest(".user-switcher")) menu.hidden = true;
});

for (const name of ["message", "edited", "deleted", "chat", "opened", "state", "typing"]) on(name, renderSidebar);
