// Attachments: files (kind picked by MIME, changeable), locations and contacts.
import * as actions from "./actions.js";
import { ask, field, modal, showError } from "./dialogs.js";
import { h, humanSize } from "./dom.js";
import { currentUser, store } from "./store.js";

const KINDS = ["photo", "document", "voice", "audio", "video", "animation", "video_note"];

export function chooseFile() {
  const input = h("input", { type: "file", multiple: true });
  input.addEventListener("change", () => input.files.length && sendFiles([...input.files]));
  input.click();
}

/** Asks for kind and caption of each file, then sends it. */
export async function sendFiles(files) {
  for (const file of files) {
    const kind = h("select", { name: "kind" }, KINDS.map((k) => h("option", { value: k, selected: k === actions.kindOf(file) }, k.replace("_", " "))));
    const [captionLabel, caption] = field("Caption", { name: "caption", placeholder: "Add a caption…" });
    const thumb = file.type.startsWith("image/") ? h("img.attach-thumb", { src: URL.createObjectURL(file), alt: "" }) : null;
    const answer = await modal({
      title: "Send file",
      body: [
        thumb,
        h("div.attach-name", {}, h("strong", {}, file.name), h("span.muted", {}, ` · ${humanSize(file.size)} · ${file.type || "unknown type"}`)),
        h("label.field", {}, h("span", {}, "Send as"), kind),
        captionLabel,
      ],
      buttons: [{ id: "cancel", text: "Cancel" }, { id: "send", text: "Send", kind: "primary", submit: true }],
    });
    if (thumb) URL.revokeObjectURL(thumb.src);
    if (answer !== "send") return;
    await actions.sendFile(file, { kind: kind.value, caption: caption.value.trim() });
  }
}

function currentPosition() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) return reject(new Error("This browser has no geolocation"));
    navigator.geolocation.getCurrentPosition(
      (p) => resolve(p.coords),
      (err) => reject(new Error(`Geolocation failed: ${err.message}`)),
      { timeout: 8000 },
    );
  });
}

export async function askLocation() {
  if (!store.open) return;
  const [latLabel, lat] = field("Latitude", { name: "latitude", type: "number", step: "any", min: -90, max: 90, required: true, value: "52.5200" });
  const [lonLabel, lon] = field("Longitude", { name: "longitude", type: "number", step: "any", min: -180, max: 180, required: true, value: "13.4050" });
  const locate = h("button.btn.flat", {
    type: "button",
    onclick: async () => {
      locate.disabled = true;
      try {
        const c = await currentPosition();
        lat.value = c.latitude.toFixed(6);
        lon.value = c.longitude.toFixed(6);
      } catch (err) {
        showError(err);
      } finally {
        locate.disabled = false;
      }
    },
  }, "Use my location");
  const answer = await modal({
    title: "Send location",
    body: [h("div.row", {}, latLabel, lonLabel), locate],
    buttons: [{ id: "cancel", text: "Cancel" }, { id: "send", text: "Send", kind: "primary", submit: true }],
  });
  if (answer === "send") await actions.sendLocation(Number(lat.value), Number(lon.value));
}

/** Shares the current user's contact, as a request_contact button does. */
export async function askContact() {
  if (!store.open) return;
  const me = currentUser();
  const values = await ask("Share contact", [
    { name: "phone_number", label: "Phone number", props: { required: true, value: `+1555${String(me?.id ?? 0).slice(-7).padStart(7, "0")}` } },
    { name: "first_name", label: "First name", props: { required: true, value: me?.first_name ?? "" } },
    { name: "last_name", label: "Last name", props: { value: me?.last_name ?? "" } },
  ], "Share");
  if (!values) return;
  if (!values.last_name) delete values.last_name;
  await actions.sendContact(values);
}

/** Picks a group or channel for a request_chat button, as Telegram's chat picker does; the
 * sandbox refuses a chat that does not meet the button's criteria, with the reason. */
export async function askSharedChat(request) {
  if (!store.open || store.open.chat.type !== "private") return;
  const wanted = request.chat_is_channel ? (c) => c.type === "channel" : (c) => c.type !== "channel";
  const chats = store.chats.filter((c) => c.type !== "private" && wanted(c));
  const names = chats.map((c) => `${c.title ?? c.id} (${c.id})`).join(", ") || "none yet";
  const values = await ask("Choose a chat", [
    { name: "chat_id", label: `Chat id: ${names}`, props: { required: true, value: chats[0]?.id ?? "" } },
  ], "Share");
  if (!values) return;
  await actions.shareChat(request.request_id, Number(values.chat_id));
}
