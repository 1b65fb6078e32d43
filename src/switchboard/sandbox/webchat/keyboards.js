// Inline keyboards (under a bot's message) and reply keyboards (under the composer).
import { h } from "./dom.js";
import { icon } from "./icons.js";

const ICONS = {
  url: "external",
  login_url: "external",
  web_app: "app",
  switch_inline_query: "share",
  switch_inline_query_current_chat: "share",
  switch_inline_query_chosen_chat: "share",
  copy_text: "copy",
  request_location: "pin",
  request_contact: "person",
};

/** What kind of button this is: the first action field it carries. */
export function buttonKind(button) {
  for (const kind of [
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
    "request_contact",
    "request_location",
    "request_poll",
    "request_users",
    "request_chat",
  ]) {
    if (button[kind] !== undefined) return kind;
  }
  return "text";
}

function buttonNode(button, className, onPress) {
  const kind = buttonKind(button);
  const glyph = ICONS[kind];
  return h(
    `button.${className}`,
    {
      type: "button",
      dataset: { kind },
      title: button.url || button.web_app?.url || button.callback_data || "",
      onclick: (e) => {
        e.stopPropagation();
        onPress(button, kind, e.currentTarget);
      },
    },
    h("span.kb-text", {}, button.text),
    glyph ? h("span.kb-icon", {}, icon(glyph, 12)) : null,
  );
}

/** `markup.inline_keyboard` as rows of buttons; `onPress(button, kind, element)`. */
export function inlineKeyboard(markup, onPress) {
  const rows = markup?.inline_keyboard;
  if (!rows?.length) return null;
  return h(
    "div.inline-keyboard",
    {},
    rows.map((row) => h("div.kb-row", {}, row.map((b) => buttonNode(b, "kb-inline", onPress)))),
  );
}

/** `markup.keyboard` (a ReplyKeyboardMarkup) as rows of buttons. */
export function replyKeyboard(markup, onPress) {
  const rows = markup?.keyboard;
  if (!rows?.length) return null;
  return h(
    `div.reply-keyboard${markup.resize_keyboard ? ".resized" : ""}`,
    {},
    rows.map((row) =>
      h(
        "div.kb-row",
        {},
        row.map((b) => buttonNode(typeof b === "string" ? { text: b } : b, "kb-reply", onPress)),
      ),
    ),
  );
}

/** Marks a callback button busy until its answer comes (or a timeout, as Telegram does). */
export function setBusy(element, busy) {
  if (!element) return;
  element.classList.toggle("busy", busy);
}
