// One Bot API Message -> one bubble (or a centred service line). Pure rendering: actions go
// through the `ctx` callbacks (onCommand, onPress, onJump, onMenu).
import { fileUrl } from "./api.js";
import { avatar, duration, h, humanSize, time } from "./dom.js";
import { renderEntities } from "./entities.js";
import { icon } from "./icons.js";
import { inlineKeyboard } from "./keyboards.js";
import { displayName } from "./store.js";

const NAME_COLORS = ["#e17076", "#3fa33f", "#3e8fd6", "#8e6ee0", "#d95d9e", "#2b9ea1", "#d98027"];
const nameColor = (id) => NAME_COLORS[Math.abs(Number(id) || 0) % NAME_COLORS.length];

function senderOf(m) {
  if (m.sender_chat) return { name: m.sender_chat.title, id: m.sender_chat.id };
  return { name: displayName(m.from), id: m.from?.id };
}

/** A one-line preview, for the sidebar and reply quotes. */
export function preview(m) {
  if (!m) return "";
  if (m.text) return m.text;
  const kinds = [
    ["photo", "Photo"],
    ["voice", "Voice message"],
    ["audio", "Audio"],
    ["video", "Video"],
    ["video_note", "Video message"],
    ["animation", "GIF"],
    ["document", m.document?.file_name || "File"],
    ["sticker", `${m.sticker?.emoji || ""} Sticker`.trim()],
    ["location", "Location"],
    ["venue", m.venue?.title || "Venue"],
    ["contact", `Contact: ${[m.contact?.first_name, m.contact?.last_name].filter(Boolean).join(" ")}`],
    ["poll", `Poll: ${m.poll?.question ?? ""}`],
    ["dice", `${m.dice?.emoji ?? ""} ${m.dice?.value ?? ""}`],
  ];
  for (const [key, label] of kinds) {
    if (m[key]) return m.caption ? `${label}, ${m.caption}` : label;
  }
  return serviceText(m) ?? "Message";
}

/** The text of a service message, or null when `m` is an ordinary message. */
export function serviceText(m) {
  const who = displayName(m.from);
  if (m.new_chat_members) {
    const names = m.new_chat_members.map(displayName).join(", ");
    return m.new_chat_members.length === 1 && m.new_chat_members[0].id === m.from?.id
      ? `${names} joined the group`
      : `${who} added ${names}`;
  }
  if (m.left_chat_member) return `${displayName(m.left_chat_member)} left the group`;
  if (m.new_chat_title) return `${who} changed the group name to “${m.new_chat_title}”`;
  if (m.group_chat_created || m.supergroup_chat_created) return `${who} created the group`;
  if (m.channel_chat_created) return "Channel created";
  if (m.forum_topic_created) return `${who} created the topic “${m.forum_topic_created.name}”`;
  if (m.forum_topic_edited) return `${who} edited the topic${m.forum_topic_edited.name ? ` to “${m.forum_topic_edited.name}”` : ""}`;
  if (m.forum_topic_closed) return `${who} closed the topic`;
  if (m.forum_topic_reopened) return `${who} reopened the topic`;
  if (m.pinned_message) return `${who} pinned “${preview(m.pinned_message).slice(0, 40)}”`;
  if (m.migrate_to_chat_id) return "The group was upgraded to a supergroup";
  if (m.web_app_data) return `Data from “${m.web_app_data.button_text}” sent to the bot`;
  if (m.write_access_allowed) return "You allowed this bot to message you";
  if (m.users_shared || m.user_shared) return "You shared a user with the bot";
  if (m.chat_shared) return "You shared a chat with the bot";
  if (m.new_chat_photo || m.delete_chat_photo) return `${who} changed the group photo`;
  return null;
}

function largest(photos) {
  return [...photos].sort((a, b) => b.width * b.height - a.width * a.height)[0];
}

function mediaNode(m) {
  if (m.photo?.length) {
    const p = largest(m.photo);
    const url = fileUrl(p.file_id);
    const img = h("img.photo", { src: url, alt: "photo", loading: "lazy" });
    img.addEventListener("error", () => img.replaceWith(h("div.media-missing", {}, "photo unavailable")));
    return h("a.media", { href: url, target: "_blank", rel: "noopener" }, img);
  }
  if (m.sticker) {
    if (m.sticker.is_animated || m.sticker.is_video) return h("div.sticker-emoji", {}, m.sticker.emoji || "🙂");
    return h("img.sticker", { src: fileUrl(m.sticker.file_id), alt: m.sticker.emoji || "sticker" });
  }
  if (m.voice) return audioNode(m.voice, "mic", "Voice message");
  if (m.audio) {
    const title = [m.audio.performer, m.audio.title].filter(Boolean).join(" — ") || m.audio.file_name || "Audio";
    return audioNode(m.audio, "music", title);
  }
  if (m.video || m.animation || m.video_note) {
    const v = m.video || m.animation || m.video_note;
    const video = h(`video.${m.video_note ? "video-note" : "video"}`, {
      src: fileUrl(v.file_id),
      controls: !m.animation,
      autoplay: !!m.animation,
      loop: !!m.animation,
      muted: !!m.animation,
      preload: "metadata",
    });
    return h("div.media", {}, video);
  }
  if (m.document) {
    const d = m.document;
    return h(
      "a.document",
      { href: fileUrl(d.file_id), download: d.file_name || "file", target: "_blank" },
      h("span.doc-icon", {}, (d.file_name?.split(".").pop() || "file").slice(0, 4)),
      h("span.doc-info", {}, h("span.doc-name", {}, d.file_name || "File"),
        h("span.doc-size", {}, [humanSize(d.file_size), d.mime_type].filter(Boolean).join(" · "))),
    );
  }
  if (m.venue || m.location) {
    const loc = m.venue?.location || m.location;
    const osm = `https://www.openstreetmap.org/?mlat=${loc.latitude}&mlon=${loc.longitude}#map=15/${loc.latitude}/${loc.longitude}`;
    return h(
      "a.location",
      { href: osm, target: "_blank", rel: "noopener" },
      h("span.pin", {}, icon("pin", 26)),
      h("span.loc-info", {},
        h("span.loc-title", {}, m.venue?.title || (loc.live_period ? "Live location" : "Location")),
        h("span.loc-coords", {}, m.venue?.address || `${loc.latitude.toFixed(5)}, ${loc.longitude.toFixed(5)}`)),
    );
  }
  if (m.contact) {
    const c = m.contact;
    const name = [c.first_name, c.last_name].filter(Boolean).join(" ");
    return h("div.contact", {}, avatar(name, c.user_id || c.phone_number?.length), h("span.contact-info", {},
      h("span.contact-name", {}, name), h("span.contact-phone", {}, c.phone_number)));
  }
  if (m.poll) {
    return h("div.poll", {}, h("div.poll-q", {}, m.poll.question),
      m.poll.options.map((o) => h("div.poll-opt", {}, `${o.text}${o.voter_count ? ` — ${o.voter_count}` : ""}`)));
  }
  if (m.dice) return h("div.dice", {}, `${m.dice.emoji} ${m.dice.value}`);
  return null;
}

function audioNode(file, glyph, title) {
  return h(
    "div.audio",
    {},
    h("span.audio-icon", {}, icon(glyph)),
    h("div.audio-body", {},
      h("span.audio-title", {}, title, file.duration ? ` · ${duration(file.duration)}` : ""),
      h("audio", { src: fileUrl(file.file_id), controls: true, preload: "metadata" })),
  );
}

function replyQuote(reply, ctx) {
  const s = senderOf(reply);
  return h(
    "div.reply-quote",
    { style: { borderColor: nameColor(s.id) }, onclick: (e) => { e.stopPropagation(); ctx.onJump?.(reply.message_id); } },
    h("span.reply-name", { style: { color: nameColor(s.id) } }, s.name),
    h("span.reply-text", {}, preview(reply)),
  );
}

function forwardLine(origin) {
  const from =
    origin.sender_user ? displayName(origin.sender_user)
    : origin.sender_user_name ?? origin.sender_chat?.title ?? origin.chat?.title ?? "someone";
  return h("div.forwarded", {}, "Forwarded from ", h("strong", {}, from));
}

/** A message's row: `ctx` = {userId, showSender, onCommand, onPress, onJump, onMenu}. */
export function messageNode(m, ctx) {
  const service = serviceText(m);
  if (service && m.text === undefined && m.caption === undefined) {
    return h("div.msg.service", { dataset: { id: m.message_id } }, h("span", {}, service));
  }
  const out = m.from?.id === ctx.userId && !m.sender_chat;
  const s = senderOf(m);
  const text = m.text ?? m.caption;
  const entities = m.text !== undefined ? m.entities : m.caption_entities;
  const media = mediaNode(m);
  const visual = media && !text && (m.photo || m.sticker || m.video || m.animation || m.video_note);
  const metaParts = () => [
    m.edit_date ? h("span.edited", {}, "edited ") : null,
    time(m.date),
    out ? h("span.check", {}, " ✓✓") : null,
  ];
  const bubble = h(
    `div.bubble${visual ? ".media-only" : ""}${text ? ".has-text" : ""}`,
    {},
    ctx.showSender && !out ? h("div.sender", { style: { color: nameColor(s.id) } }, s.name, m.from?.is_bot ? h("span.bot-tag", {}, "bot") : null) : null,
    m.forward_origin ? forwardLine(m.forward_origin) : null,
    m.reply_to_message && !m.reply_to_message.forum_topic_created ? replyQuote(m.reply_to_message, ctx) : null,
    media,
    // The spacer keeps room for the time on the text's last line, where the real one floats.
    text ? h("div.text", {}, renderEntities(text, entities, ctx), h("span.meta-spacer", { "aria-hidden": "true" }, metaParts())) : null,
    h("span.meta", {}, metaParts()),
  );
  const row = h(
    `div.msg.${out ? "out" : "in"}`,
    {
      dataset: { id: m.message_id },
      oncontextmenu: (e) => { e.preventDefault(); ctx.onMenu?.(m, e); },
      ondblclick: () => ctx.onReply?.(m),
    },
    ctx.showSender && !out ? avatar(s.name, s.id, "small") : null,
    h("div.msg-body", {}, bubble, inlineKeyboard(m.reply_markup, (b, kind, el) => ctx.onPress?.(m, b, kind, el))),
  );
  return row;
}
