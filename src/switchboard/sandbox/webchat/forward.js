// Forwarding a message of the open conversation to another chat (or forum topic) of the user.
import { api, target } from "./api.js";
import { attempt, modal } from "./dialogs.js";
import { h } from "./dom.js";
import { conversations } from "./sidebar.js";
import { chatTitle, convKey, emit, store } from "./store.js";

/** Where a message can go: every conversation, and each topic of a forum. */
function destinations() {
  const places = [];
  for (const chat of conversations()) {
    if (!chat.is_forum) {
      places.push({ chat, threadId: null, title: chatTitle(chat) });
      continue;
    }
    places.push({ chat, threadId: null, title: `${chatTitle(chat)} › General` });
    for (const t of chat.topics ?? []) {
      if (!t.is_closed) places.push({ chat, threadId: t.message_thread_id, title: `${chatTitle(chat)} › ${t.name}` });
    }
  }
  return places;
}

export async function forwardDialog(message) {
  const from = store.open.chat;
  const places = destinations();
  const here = places.findIndex((p) => convKey(p.chat) === convKey(from) && p.threadId === (store.open.threadId ?? null));
  const select = h("select", { name: "to" }, places.map((p, i) => h("option", { value: i, selected: i === here }, p.title)));
  const answer = await modal({
    title: "Forward to…",
    body: [h("label.field", {}, h("span", {}, "Chat"), select)],
    buttons: [{ id: "cancel", text: "Cancel" }, { id: "send", text: "Forward", kind: "primary", submit: true }],
  });
  if (answer !== "send") return;
  const to = places[Number(select.value)];
  const body = {
    user_id: store.userId,
    from_chat_id: from.id,
    from_bot_id: from.type === "private" ? from.bot_id : undefined,
    message_id: message.message_id,
    ...target(to.chat),
  };
  if (to.threadId) body.message_thread_id = to.threadId;
  const result = await attempt(() => api.forward(body));
  if (result) emit("open", { chat: to.chat, threadId: to.threadId });
  return result && convKey(to.chat);
}
