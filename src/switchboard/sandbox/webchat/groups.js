// Group management: create a group/supergroup/forum/channel with bots and users in it, manage
// members and admin rights, create forum topics.
import { api } from "./api.js";
import { attempt, field, modal, toast } from "./dialogs.js";
import { h } from "./dom.js";
import { displayName, emit, store, upsertChat } from "./store.js";

const RIGHTS = [
  ["can_manage_chat", "Manage chat"],
  ["can_delete_messages", "Delete messages"],
  ["can_pin_messages", "Pin messages"],
  ["can_manage_topics", "Manage topics"],
  ["can_invite_users", "Invite users"],
  ["can_restrict_members", "Ban users"],
  ["can_change_info", "Change info"],
  ["can_promote_members", "Add admins"],
  ["can_post_messages", "Post messages (channels)"],
  ["can_edit_messages", "Edit messages (channels)"],
];
const DEFAULT_RIGHTS = new Set(["can_manage_chat", "can_delete_messages", "can_pin_messages", "can_manage_topics", "can_invite_users", "can_post_messages"]);
const TOPIC_COLORS = [0x6fb9f0, 0xffd67e, 0xcb86db, 0x8eee98, 0xff93b2, 0xfb6f5f];

function check(name, label, checked) {
  const input = h("input", { type: "checkbox", name, checked });
  return [h("label.check", {}, input, h("span", {}, label)), input];
}

/** Checkboxes for admin rights; `.value()` gives the rights object. */
function rightsPicker(current = null) {
  const inputs = RIGHTS.map(([key, label]) => [key, ...check(key, label, current ? !!current[key] : DEFAULT_RIGHTS.has(key))]);
  const node = h("fieldset.rights", {}, h("legend", {}, "Admin rights for bots made admin"), inputs.map(([, label]) => label));
  return { node, value: () => Object.fromEntries(inputs.map(([key, , input]) => [key, input.checked])) };
}

/** A row per candidate member: include? admin? */
function memberRows(candidates) {
  return candidates.map((who) => {
    const [incLabel, include] = check("include", `${displayName(who)}${who.is_bot ? " (bot)" : ""}`, who.is_bot);
    const [adminLabel, admin] = check("admin", "admin", who.is_bot);
    return { who, include, admin, node: h("div.member-row", {}, incLabel, adminLabel) };
  });
}

export async function newGroupDialog() {
  if (store.userId === null) return toast("Create a user first", "warn");
  const [titleLabel, title] = field("Title", { name: "title", required: true, maxLength: 128, placeholder: "My group" });
  const type = h("select", { name: "type" },
    h("option", { value: "forum" }, "Forum (supergroup with topics)"),
    h("option", { value: "supergroup" }, "Supergroup"),
    h("option", { value: "group" }, "Basic group"),
    h("option", { value: "channel" }, "Channel"));
  const candidates = [...store.bots.map((b) => ({ ...b, is_bot: true })), ...store.users.filter((u) => u.id !== store.userId)];
  const rows = memberRows(candidates);
  const rights = rightsPicker();
  const answer = await modal({
    title: "New group",
    body: [
      titleLabel,
      h("label.field", {}, h("span", {}, "Type"), type),
      h("div.field-title", {}, "Members"),
      h("div.member-list", {}, rows.length ? rows.map((r) => r.node) : h("span.muted", {}, "No bots or other users yet")),
      rights.node,
    ],
    buttons: [{ id: "cancel", text: "Cancel" }, { id: "create", text: "Create", kind: "primary", submit: true }],
  });
  if (answer !== "create") return;
  const forum = type.value === "forum";
  const chat = await attempt(() => api.createGroup({
    user_id: store.userId,
    title: title.value.trim(),
    type: forum ? "supergroup" : type.value,
    is_forum: forum,
  }));
  if (!chat) return;
  let latest = chat;
  for (const r of rows.filter((row) => row.include.checked)) {
    const admin = r.admin.checked;
    const updated = await attempt(() => api.setMember(chat.id, {
      user_id: store.userId,
      member_id: r.who.id,
      status: admin ? "administrator" : "member",
      rights: admin ? rights.value() : undefined,
    }));
    if (updated) latest = updated;
  }
  upsertChat(latest);
  emit("chat", { chat: latest });
  emit("open", { chat: latest, threadId: null });
}

export async function membersDialog(chat) {
  const memberIds = new Set((chat.members ?? []).filter((m) => !["left", "kicked"].includes(m.status)).map((m) => m.user.id));
  const statusSelect = (value) => h("select", {}, ["member", "administrator", "left", "kicked"].map((s) => h("option", { value: s, selected: s === value }, s)));
  const editable = ["member", "administrator", "left", "kicked"];
  const current = (chat.members ?? []).map((m) => {
    const name = h("span.member-name", {}, `${displayName(m.user)}${m.user.is_bot ? " (bot)" : ""}`);
    // The owner (and statuses this dialog does not set, like restricted) are shown, not offered.
    if (!editable.includes(m.status)) {
      return { id: m.user.id, before: m.status, node: h("div.member-row", {}, name, h("span.muted", {}, m.status === "creator" ? "owner" : m.status)) };
    }
    const select = statusSelect(m.status);
    return { id: m.user.id, before: m.status, select, node: h("div.member-row", {}, name, select) };
  });
  const others = [...store.bots, ...store.users].filter((u) => !memberIds.has(u.id) && !current.some((c) => c.id === u.id));
  const addWho = h("select", {}, h("option", { value: "" }, "— add someone —"), others.map((u) => h("option", { value: u.id }, `${displayName(u)}${store.bots.includes(u) ? " (bot)" : ""}`)));
  const addStatus = statusSelect("administrator");
  const rights = rightsPicker();
  const answer = await modal({
    title: `Members of ${chat.title}`,
    body: [h("div.member-list", {}, current.map((c) => c.node)), h("div.member-row", {}, addWho, addStatus), rights.node],
    buttons: [{ id: "cancel", text: "Close" }, { id: "apply", text: "Apply", kind: "primary" }],
  });
  if (answer !== "apply") return;
  const changes = current.filter((c) => c.select && c.select.value !== c.before).map((c) => [c.id, c.select.value]);
  if (addWho.value) changes.push([Number(addWho.value), addStatus.value]);
  let latest = null;
  for (const [memberId, status] of changes) {
    latest = (await attempt(() => api.setMember(chat.id, {
      user_id: store.userId,
      member_id: memberId,
      status,
      rights: status === "administrator" ? rights.value() : undefined,
    }))) ?? latest;
  }
  if (latest) {
    upsertChat(latest);
    emit("chat", { chat: latest });
  }
}

export async function newTopicDialog(chat) {
  const [nameLabel, name] = field("Topic name", { name: "name", required: true, maxLength: 128 });
  let color = TOPIC_COLORS[0];
  const swatches = h("div.swatches", {}, TOPIC_COLORS.map((c, i) => h(`button.swatch${i ? "" : ".chosen"}`, {
    type: "button",
    style: { background: `#${c.toString(16).padStart(6, "0")}` },
    title: `#${c.toString(16)}`,
    onclick: (e) => {
      color = c;
      swatches.querySelectorAll(".swatch").forEach((s) => s.classList.remove("chosen"));
      e.currentTarget.classList.add("chosen");
    },
  })));
  const answer = await modal({
    title: "New topic",
    body: [nameLabel, h("div.field-title", {}, "Icon colour"), swatches],
    buttons: [{ id: "cancel", text: "Cancel" }, { id: "create", text: "Create", kind: "primary", submit: true }],
  });
  if (answer !== "create") return;
  const topic = await attempt(() => api.createTopic(chat.id, { user_id: store.userId, name: name.value.trim(), icon_color: color }));
  if (!topic) return;
  const fresh = store.chats.find((c) => c.id === chat.id) ?? chat;
  if (!fresh.topics?.some((t) => t.message_thread_id === topic.message_thread_id)) {
    fresh.topics = [...(fresh.topics ?? []), topic];
    upsertChat(fresh);
  }
  emit("chat", { chat: fresh });
  emit("open", { chat: fresh, threadId: topic.message_thread_id });
}

export async function newUserDialog() {
  const [firstLabel, first] = field("First name", { name: "first_name", required: true, placeholder: "Alice" });
  const [lastLabel, last] = field("Last name", { name: "last_name" });
  const [userLabel, username] = field("Username", { name: "username", pattern: "[A-Za-z][A-Za-z0-9_]{4,31}", placeholder: "optional, e.g. alice_smith" });
  const [langLabel, lang] = field("Language", { name: "language_code", value: navigator.language?.slice(0, 2) || "en", maxLength: 8 });
  const answer = await modal({
    title: "New user",
    body: [firstLabel, lastLabel, userLabel, langLabel],
    buttons: [{ id: "cancel", text: "Cancel" }, { id: "create", text: "Create", kind: "primary", submit: true }],
  });
  if (answer !== "create") return;
  const body = { first_name: first.value.trim() };
  if (last.value.trim()) body.last_name = last.value.trim();
  if (username.value.trim()) body.username = username.value.trim();
  if (lang.value.trim()) body.language_code = lang.value.trim();
  const user = await attempt(() => api.createUser(body));
  if (!user) return;
  store.users.push(user);
  emit("switch-user", user.id);
}
