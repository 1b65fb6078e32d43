// The bot commands menu ("/" button and suggestions while typing a command).
import { api } from "./api.js";
import { h } from "./dom.js";
import { botById, convKey, on, store } from "./store.js";

// The menu the sandbox says the user sees in the open chat (Telegram's order of command scopes
// and languages: a list set for this chat or this user's language wins over the default one).
const menus = new Map(); // "userId|conversation key" -> [{bot_id, commands}]
const menuKey = (chat) => `${store.userId}|${convKey(chat)}`;

async function loadMenu() {
  const chat = store.open?.chat;
  if (!chat || store.userId === null) return;
  const key = menuKey(chat);
  try {
    const found = await api.commands(chat, store.userId);
    menus.set(key, found.commands);
  } catch {
    menus.delete(key); // the bot's default list, as before
  }
}
on("opened", loadMenu);
on("state", loadMenu); // setMyCommands and deleteMyCommands refresh the state

/** A bot's commands, whatever shape the sandbox keeps them in (a list, or lists per scope). */
function commandsOf(bot) {
  const c = bot?.commands;
  if (!c) return [];
  if (Array.isArray(c)) {
    if (c.every((x) => x && typeof x.command === "string")) return c;
    const scoped = c.find((x) => Array.isArray(x?.commands) && (!x.scope || x.scope.type === "default"));
    return scoped?.commands ?? c.find((x) => Array.isArray(x?.commands))?.commands ?? [];
  }
  if (typeof c === "object") {
    const lists = Object.values(c).filter(Array.isArray);
    return c.default ?? lists[0] ?? [];
  }
  return [];
}

/** Commands usable in the open chat: its bot's, or every member bot's in a group. */
export function availableCommands() {
  const chat = store.open?.chat;
  if (!chat) return [];
  const seen = menus.get(menuKey(chat));
  if (seen) {
    return seen.flatMap(({ bot_id: id, commands }) => {
      const bot = botById(id);
      const mention = chat.type !== "private" && bot?.username ? `@${bot.username}` : "";
      return commands.map((c) => ({ ...c, send: `/${c.command}${mention}`, bot: chat.type === "private" ? undefined : bot }));
    });
  }
  if (chat.type === "private") {
    return commandsOf(botById(chat.bot_id)).map((c) => ({ ...c, send: `/${c.command}` }));
  }
  const bots = (chat.members ?? [])
    .filter((m) => m.user.is_bot && !["left", "kicked"].includes(m.status))
    .map((m) => botById(m.user.id) ?? m.user);
  return bots.flatMap((bot) =>
    commandsOf(bot).map((c) => ({ ...c, send: `/${c.command}${bot.username ? `@${bot.username}` : ""}`, bot })),
  );
}

/** A popup list of commands (filtered by `prefix`); `onPick(text)` gets the command to send. */
export function commandList(prefix, onPick) {
  const wanted = prefix.replace(/^\//, "").toLowerCase();
  const commands = availableCommands().filter((c) => c.command.toLowerCase().startsWith(wanted));
  if (!commands.length) return null;
  return h(
    "div.command-list",
    { role: "listbox" },
    commands.map((c) =>
      h(
        "button.command-item",
        { type: "button", role: "option", onmousedown: (e) => e.preventDefault(), onclick: () => onPick(c.send) },
        h("span.command-name", {}, `/${c.command}`),
        h("span.command-desc", {}, c.description ?? ""),
        c.bot ? h("span.muted", {}, ` @${c.bot.username}`) : null,
      ),
    ),
  );
}
