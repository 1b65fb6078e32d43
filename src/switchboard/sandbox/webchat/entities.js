// Text with Bot API entities -> DOM nodes. Offsets are UTF-16 code units, as JS strings are.
// Nodes are built one by one (never innerHTML), so user text can never become markup.

const SAFE_PROTOCOLS = new Set(["http:", "https:", "mailto:", "tg:", "tel:"]);

export function safeHref(href) {
  try {
    const url = new URL(href, window.location.href);
    return SAFE_PROTOCOLS.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * The message a t.me link points to, or null: `t.me/c/<chat>/<topic?>/<message>` (a private
 * group's, by its id without -100) or `t.me/<username>/<topic?>/<message>` (a public one's).
 */
export function messageLinkOf(href) {
  let url;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  if (!["t.me", "telegram.me"].includes(url.hostname.replace(/^www\./, ""))) return null;
  const parts = url.pathname.split("/").filter(Boolean);
  const numbers = (xs) => xs.length > 0 && xs.every((x) => /^\d+$/.test(x));
  const topicAndMessage = (xs) => ({
    threadId: xs.length === 2 ? Number(xs[0]) : null,
    messageId: Number(xs[xs.length - 1]),
  });
  if (parts[0] === "c" && [3, 4].includes(parts.length) && numbers(parts.slice(1))) {
    return { chatId: Number(`-100${parts[1]}`), ...topicAndMessage(parts.slice(2)) };
  }
  if ([2, 3].includes(parts.length) && /^[A-Za-z]\w{3,}$/.test(parts[0]) && numbers(parts.slice(1))) {
    return { username: parts[0], ...topicAndMessage(parts.slice(1)) };
  }
  return null;
}

/** A link; one to a message opens it here (`ctx.onMessageLink`), any other a new tab. */
function link(href, title, ctx = {}) {
  const safe = safeHref(href);
  if (!safe) return document.createElement("span");
  const a = document.createElement("a");
  a.href = safe;
  const target = ctx.onMessageLink ? messageLinkOf(safe) : null;
  if (target) {
    a.className = "message-link";
    a.addEventListener("click", (e) => {
      e.preventDefault();
      e.stopPropagation();
      ctx.onMessageLink(target);
    });
  } else {
    a.target = "_blank";
    a.rel = "noopener noreferrer";
  }
  if (title) a.title = title;
  return a;
}

function action(className, onClick) {
  const span = document.createElement("span");
  span.className = className;
  span.setAttribute("role", "button");
  span.tabIndex = 0;
  span.addEventListener("click", (e) => {
    e.stopPropagation();
    onClick();
  });
  return span;
}

const TAGS = { bold: "strong", italic: "em", underline: "u", strikethrough: "s", code: "code" };

/** One element for an entity; `ctx.onCommand(text)` handles clicks on bot commands. */
function element(entity, text, ctx) {
  if (TAGS[entity.type]) {
    const el = document.createElement(TAGS[entity.type]);
    if (entity.type === "code") el.className = "code";
    return el;
  }
  switch (entity.type) {
    case "pre": {
      const pre = document.createElement("pre");
      if (entity.language) pre.dataset.language = entity.language;
      return pre;
    }
    case "spoiler": {
      const span = document.createElement("span");
      span.className = "spoiler";
      span.title = "Spoiler: click to reveal";
      span.addEventListener("click", (e) => {
        if (!span.classList.contains("revealed")) e.preventDefault();
        span.classList.add("revealed");
      });
      return span;
    }
    case "text_link":
      return link(entity.url, entity.url, ctx);
    case "url":
      return link(/^[a-z][a-z0-9+.-]*:/i.test(text) ? text : `http://${text}`, null, ctx);
    case "email":
      return link(`mailto:${text}`);
    case "phone_number":
      return link(`tel:${text.replace(/[^\d+]/g, "")}`);
    case "mention":
      return link(`https://t.me/${text.replace(/^@/, "")}`);
    case "text_mention": {
      const span = document.createElement("span");
      span.className = "mention";
      span.title = `user ${entity.user?.id}`;
      return span;
    }
    case "bot_command":
      return action("bot-command", () => ctx.onCommand?.(text));
    case "hashtag":
    case "cashtag":
      return action("hashtag", () => ctx.onHashtag?.(text));
    case "blockquote":
    case "expandable_blockquote": {
      const q = document.createElement("blockquote");
      if (entity.type === "expandable_blockquote") {
        q.classList.add("expandable");
        q.addEventListener("click", () => q.classList.toggle("expanded"));
      }
      return q;
    }
    case "custom_emoji":
    default: {
      const span = document.createElement("span");
      span.dataset.entity = entity.type;
      return span;
    }
  }
}

const BLOCKS = new Set(["pre", "blockquote", "expandable_blockquote"]);
const end = (e) => e.offset + e.length;

/** Appends plain text; a block (pre, quote) already breaks the line, so its own newline goes. */
function appendText(parent, text, beforeBlock, afterBlock) {
  let t = text;
  if (afterBlock && t.startsWith("\n")) t = t.slice(1);
  if (beforeBlock && t.endsWith("\n")) t = t.slice(0, -1);
  if (t) parent.append(t);
}
const order = (a, b) => a.offset - b.offset || b.length - a.length;

/**
 * Appends text[from, to) to `parent`, wrapping entity ranges. An entity overlapping its parent's
 * end (allowed by Telegram for some pairs) is split: its remainder continues after the parent.
 */
function fill(parent, text, entities, from, to, ctx) {
  let pos = from;
  let afterBlock = false;
  let pending = entities.filter((e) => e.length > 0 && e.offset < to && end(e) > from);
  pending.sort(order);
  while (pending.length) {
    const entity = pending.shift();
    const start = Math.max(entity.offset, pos);
    const stop = Math.min(end(entity), to);
    if (start >= stop) continue;
    const block = BLOCKS.has(entity.type);
    if (start > pos) appendText(parent, text.slice(pos, start), block, afterBlock);
    const inner = [];
    const rest = [];
    for (const e of pending) {
      if (e.offset >= stop) rest.push(e);
      else {
        inner.push(e);
        if (end(e) > stop) rest.push({ ...e, offset: stop, length: end(e) - stop });
      }
    }
    const el = element(entity, text.slice(entity.offset, end(entity)), ctx);
    fill(el, text, inner, start, stop, ctx);
    parent.append(el);
    afterBlock = block;
    pos = stop;
    pending = rest.sort(order);
  }
  if (pos < to) appendText(parent, text.slice(pos, to), false, afterBlock);
}

/** A fragment holding `text` formatted by `entities`. */
export function renderEntities(text, entities = [], ctx = {}) {
  const fragment = document.createDocumentFragment();
  fill(fragment, text ?? "", entities ?? [], 0, (text ?? "").length, ctx);
  return fragment;
}
