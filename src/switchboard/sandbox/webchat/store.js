// Client-side state: what the sandbox told us (bots, users, chats), who we are acting as, which
// conversation is open, and the messages we have seen. Views subscribe to named changes.

const listeners = new Map();

export const store = {
  bots: [],
  users: [],
  chats: [],
  userId: null,
  open: null, // { key, chat, threadId } — threadId null means the whole chat (or General)
  messages: new Map(), // conversation key -> Map(message_id -> Message)
  loaded: new Set(), // conversation keys whose history has been fetched
  unread: new Map(), // conversation key -> count
  // Markups that came beside live `message` events (a Message carries inline keyboards only):
  // conversation key -> Map(message_id -> ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply)
  markups: new Map(),
  // The reply keyboard each user sees: "userId|conversation key|topic" -> ReplyKeyboard | null
  // (docs/sandbox-user-api.md), read from the sandbox and kept by `reply_keyboard` events.
  replyKeyboards: new Map(),
  typing: new Map(), // conversation key -> { until, threadId, name }
  replyTo: null, // Message the composer replies to
  editing: null, // Message the composer edits
};

export function on(name, fn) {
  if (!listeners.has(name)) listeners.set(name, new Set());
  listeners.get(name).add(fn);
}

export function emit(name, detail) {
  for (const fn of listeners.get(name) ?? []) fn(detail);
}

/** A private chat is one per (bot, user); every other chat is one per id. */
export function convKey(chat) {
  return chat.type === "private" ? `p${chat.bot_id}:${chat.user_id ?? chat.id}` : `c${chat.id}`;
}

/** The conversation an event belongs to: positive chat ids are users' private chats with a bot. */
export function eventKey(event) {
  return event.chat_id > 0 ? `p${event.bot_id}:${event.chat_id}` : `c${event.chat_id}`;
}

export const currentUser = () => store.users.find((u) => u.id === store.userId) ?? null;
export const botById = (id) => store.bots.find((b) => b.id === id) ?? null;
export const userById = (id) =>
  store.users.find((u) => u.id === id) ?? store.bots.find((b) => b.id === id) ?? null;

export function displayName(user) {
  if (!user) return "Unknown";
  return [user.first_name, user.last_name].filter(Boolean).join(" ") || user.username || `#${user.id}`;
}

export function chatTitle(chat) {
  if (chat.type === "private") {
    const bot = botById(chat.bot_id);
    return bot ? displayName(bot) : chat.first_name || `Bot ${chat.bot_id}`;
  }
  return chat.title || `Chat ${chat.id}`;
}

/** The private chat of the current user with a bot, real or not yet started. */
export function privateChat(bot) {
  const found = store.chats.find(
    (c) => c.type === "private" && c.bot_id === bot.id && c.user_id === store.userId,
  );
  return (
    found ?? {
      id: store.userId,
      type: "private",
      bot_id: bot.id,
      user_id: store.userId,
      first_name: bot.first_name,
      members: [],
      topics: [],
      virtual: true, // no message yet: the sandbox does not know this chat
    }
  );
}

/** Groups, supergroups and channels the current user is in. */
export function groupChats() {
  return store.chats.filter(
    (c) =>
      c.type !== "private" &&
      (c.members ?? []).some(
        (m) => m.user.id === store.userId && !["left", "kicked"].includes(m.status),
      ),
  );
}

export function messagesOf(key) {
  let map = store.messages.get(key);
  if (!map) {
    map = new Map();
    store.messages.set(key, map);
  }
  return map;
}

export function sortedMessages(key) {
  return [...messagesOf(key).values()].sort((a, b) => a.message_id - b.message_id);
}

export function lastMessage(key) {
  let last = null;
  for (const m of messagesOf(key).values()) if (!last || m.message_id > last.message_id) last = m;
  return last;
}

/** Forum topic a message belongs to: its thread when it is a topic message, else General. */
export function topicOf(message) {
  return message.is_topic_message ? message.message_thread_id : null;
}

export function upsertChat(chat) {
  const i = store.chats.findIndex((c) => c.id === chat.id && c.bot_id === chat.bot_id);
  if (i >= 0) store.chats[i] = chat;
  else store.chats.push(chat);
  if (store.open && convKey(store.open.chat) === convKey(chat)) store.open.chat = chat;
}
