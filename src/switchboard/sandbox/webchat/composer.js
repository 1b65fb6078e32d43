// The message composer: text (Enter sends, Shift+Enter breaks the line), reply/edit bar,
// attachments, voice recording, location, the "/" command menu, the reply keyboard and START.
import * as actions from "./actions.js";
import { commandList, availableCommands } from "./commands.js";
import { h } from "./dom.js";
import { icon } from "./icons.js";
import { on, store } from "./store.js";
import { chooseFile, askLocation, askContact, sendFiles } from "./attachments.js";
import { VoiceRecorder } from "./recorder.js";
import { currentReplyKeyboard, renderReplyKeyboard } from "./replykeyboard.js";
import { preview } from "./messages.js";
import { displayName, convKey, sortedMessages } from "./store.js";

const $ = (id) => document.getElementById(id);
const recorder = new VoiceRecorder();

function resize() {
  const text = $("text");
  text.style.height = "auto";
  // A hidden textarea measures 0: leave it to CSS until it is shown again.
  if (text.scrollHeight) text.style.height = `${Math.min(text.scrollHeight, 180)}px`;
}

function syncSendButton() {
  const hasText = $("text").value.trim().length > 0 || store.editing;
  $("send").classList.toggle("mic", !hasText);
  $("send").title = hasText ? "Send" : "Record a voice message";
  $("send").setAttribute("aria-label", hasText ? "Send" : "Record voice");
}

function closeCommands() {
  $("command-popup").replaceChildren();
}

function showCommands(prefix) {
  const list = commandList(prefix, (text) => {
    closeCommands();
    $("text").value = "";
    syncSendButton();
    actions.sendText(text);
  });
  $("command-popup").replaceChildren(...(list ? [list] : []));
}

async function submit() {
  const text = $("text").value;
  if (!text.trim()) return;
  closeCommands();
  $("text").value = "";
  resize();
  syncSendButton();
  const ok = await actions.sendText(text);
  if (!ok && !$("text").value) {
    $("text").value = text; // keep what was typed when sending failed
    resize();
    syncSendButton();
  }
}

function renderBar() {
  const bar = $("reply-bar");
  const m = store.editing ?? store.replyTo;
  bar.hidden = !m;
  if (!m) return bar.replaceChildren();
  const title = store.editing ? "Edit message" : `Reply to ${displayName(m.from)}`;
  bar.replaceChildren(
    h("span.bar-icon", {}, icon(store.editing ? "edit" : "reply")),
    h("div.bar-text", {}, h("div.bar-title", {}, title), h("div.bar-preview", {}, preview(m))),
    h("button.icon-btn", {
      type: "button",
      title: "Cancel",
      onclick: () => {
        if (store.editing) $("text").value = "";
        store.replyTo = null;
        store.editing = null;
        renderBar();
        syncSendButton();
      },
    }, icon("close", 20)),
  );
}

/** Shows what the open chat's state asks for: START, the input row, the reply keyboard. */
export function renderComposer() {
  const chat = store.open?.chat;
  $("composer").hidden = !chat;
  if (!chat) return;
  const key = convKey(chat);
  const empty = chat.type === "private" && !sortedMessages(key).length;
  $("start-bar").hidden = !empty;
  $("composer-row").hidden = empty;
  const closed = chat.topics?.find((t) => t.message_thread_id === store.open.threadId)?.is_closed;
  $("text").placeholder = closed ? "The topic is closed" : "Message";
  $("commands").hidden = !availableCommands().length;
  renderBar();
  renderReplyKeyboard(currentReplyKeyboard());
  syncSendButton();
  resize();
}

export function setupComposer() {
  const text = $("text");
  text.addEventListener("input", () => {
    resize();
    syncSendButton();
    const v = text.value;
    if (/^\/\w*$/.test(v)) showCommands(v);
    else closeCommands();
  });
  text.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === "Escape") {
      closeCommands();
      if (store.replyTo || store.editing) {
        store.replyTo = null;
        store.editing = null;
        renderBar();
      }
    } else if (e.key === "ArrowUp" && !text.value) {
      const mine = sortedMessages(convKey(store.open.chat)).filter((m) => m.from?.id === store.userId && m.text);
      if (mine.length) {
        e.preventDefault();
        actions.startEdit(mine[mine.length - 1]);
      }
    }
  });
  $("send").addEventListener("click", () => {
    if ($("text").value.trim()) submit();
    else recorder.start();
  });
  $("commands").addEventListener("click", () => {
    if ($("command-popup").childElementCount) closeCommands();
    else showCommands("/");
  });
  $("attach").addEventListener("click", (e) => {
    e.stopPropagation();
    $("attach-menu").hidden = !$("attach-menu").hidden;
  });
  document.addEventListener("click", (e) => {
    if (!e.target.closest("#attach-menu")) $("attach-menu").hidden = true;
    if (!e.target.closest("#command-popup, #commands")) closeCommands();
  });
  $("attach-file").addEventListener("click", chooseFile);
  $("attach-location").addEventListener("click", askLocation);
  $("attach-contact").addEventListener("click", askContact);
  $("start").addEventListener("click", () => actions.sendText("/start"));
  $("keyboard-toggle").addEventListener("click", () => $("reply-keyboard").classList.toggle("collapsed"));
  // Files dropped anywhere on the conversation are sent like attachments.
  const main = document.getElementById("chat");
  main.addEventListener("dragover", (e) => {
    if (!store.open) return;
    e.preventDefault();
    main.classList.add("dropping");
  });
  main.addEventListener("dragleave", () => main.classList.remove("dropping"));
  main.addEventListener("drop", (e) => {
    main.classList.remove("dropping");
    if (!store.open || !e.dataTransfer.files.length) return;
    e.preventDefault();
    sendFiles([...e.dataTransfer.files]);
  });
  recorder.mount($("recording"), $("composer-row"));
}

on("composer", (detail) => {
  if (detail?.text !== undefined) {
    $("text").value = detail.text;
    resize();
  }
  renderBar();
  syncSendButton();
  if (detail?.focus) $("text").focus();
});
on("opened", () => {
  $("text").value = "";
  resize();
  closeCommands();
  renderComposer();
});
for (const name of ["message", "edited", "deleted", "chat", "state", "keyboard"]) on(name, (d) => {
  if (store.open && (!d?.key || d.key === convKey(store.open.chat))) renderComposer();
});
