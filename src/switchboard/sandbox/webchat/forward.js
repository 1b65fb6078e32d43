// Forwarding a message of the open conversation to another chat of the current user.
import { api, target } from "./api.js";
import { attempt, modal } from "./dialogs.js";
import { h } from "./dom.js";
import { conversations } from "./sidebar.js";
import { chatTitle, convKey, emit, store } from "./store.js";

export async function forwardDialog(message) {
  const from = store.open.chat;
  const chats = conversations();
  const select = h("select", { name: "to" }, chats.map((c, i) => h("option", { value: i }, chatTitle(c))));
  const answer = await modal({
    title: "Forward to…",
    body: [h("label.field", {}, h("span", {}, "Chat"), select)],
    buttons: [{ id: "cancel", text: "Cancel" }, { id: "send", text: "Forward", kind: "primary", submit: true }],
  });
  if (answer !== "send") return;
  const to = chats[Number(select.value)];
  const body = {
    user_id: store.userId,
    from_chat_id: from.id,
    from_bot_id: from.type === "private" ? from.bot_id : undefined,
    message_id: message.message_id,
    ...target(to),
  };
  const result = await attempt(() => api.forward(body));
  if (result) emit("open", { chat: to, threadId: null });
  return result && convKey(to);
}
