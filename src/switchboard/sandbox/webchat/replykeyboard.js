// The reply keyboard under the composer: the newest bot message's ReplyKeyboardMarkup, until a
// ReplyKeyboardRemove (or a one-time keyboard's use) hides it. ForceReply starts a reply.
import * as actions from "./actions.js";
import { askContact, askLocation } from "./attachments.js";
import { toast } from "./dialogs.js";
import { replyKeyboard } from "./keyboards.js";
import { openWebApp } from "./miniapp.js";
import { convKey, sortedMessages, store, topicOf } from "./store.js";

const used = new Set(); // message ids of one-time keyboards already pressed

/** {message, markup} of the keyboard the open view shows, or null. */
export function currentReplyKeyboard() {
  if (!store.open) return null;
  const { chat, threadId } = store.open;
  const messages = sortedMessages(convKey(chat)).filter(
    (m) => !chat.is_forum || topicOf(m) === (threadId ?? null),
  );
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    const markup = store.keyboards.get(convKey(chat))?.get(m.message_id) ?? m.reply_markup;
    if (!m.from?.is_bot || !markup) continue;
    if (markup.remove_keyboard) return null;
    if (markup.force_reply) return { message: m, markup };
    if (markup.keyboard) return used.has(`${convKey(chat)}:${m.message_id}`) ? null : { message: m, markup };
  }
  return null;
}

let forced = null; // the force_reply message already turned into a reply

async function pressReply(current, button, kind) {
  if (current.markup.one_time_keyboard) {
    used.add(`${convKey(store.open.chat)}:${current.message.message_id}`);
  }
  switch (kind) {
    case "request_location":
      return askLocation();
    case "request_contact":
      return askContact();
    case "web_app":
      return openWebApp({ url: button.web_app.url, botId: current.message.from.id, title: button.text, fromKeyboard: true });
    case "request_poll":
    case "request_users":
    case "request_chat":
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
}
