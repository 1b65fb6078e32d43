// The bot commands menu ("/" button and suggestions while typing a command).
import { h } from "./dom.js";
import { botById, store } from "./store.js";

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
