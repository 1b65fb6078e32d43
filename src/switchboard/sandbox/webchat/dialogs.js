// Toasts, alerts and small forms, built on <dialog>. Errors are always shown, never swallowed.
import { h } from "./dom.js";

export function toast(text, kind = "info", ms = 3500) {
  const host = document.getElementById("toasts");
  const el = h(`div.toast.${kind}`, { role: kind === "error" ? "alert" : "status" }, text);
  host.append(el);
  setTimeout(() => el.classList.add("leaving"), ms);
  setTimeout(() => el.remove(), ms + 400);
  return el;
}

export function showError(err) {
  console.error(err);
  toast(err?.message || String(err), "error", 6000);
}

/** Runs an async action and reports its failure; returns its result or undefined. */
export async function attempt(fn) {
  try {
    return await fn();
  } catch (err) {
    showError(err);
    return undefined;
  }
}

/**
 * A modal with a title, body nodes and buttons; resolves with the id of the button pressed
 * (or null on Escape). A button {id, text, kind, submit} with submit=true validates the form.
 */
export function modal({ title, body = [], buttons = [{ id: "ok", text: "OK", kind: "primary" }] }) {
  return new Promise((resolve) => {
    const form = h("form.modal-body", { method: "dialog" }, body);
    const dialog = h(
      "dialog.modal",
      {},
      title ? h("h2", {}, title) : null,
      form,
      h(
        "div.modal-buttons",
        {},
        buttons.map((b) =>
          h(
            `button.btn.${b.kind ?? "flat"}`,
            {
              type: "button",
              dataset: { id: b.id },
              onclick: () => {
                if (b.submit && !form.reportValidity()) return;
                dialog.returnValue = b.id;
                dialog.close();
              },
            },
            b.text,
          ),
        ),
      ),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const primary = buttons.find((b) => b.submit) ?? buttons[buttons.length - 1];
      if (!form.reportValidity()) return;
      dialog.returnValue = primary.id;
      dialog.close();
    });
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue || null);
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    form.querySelector("input, select, textarea")?.focus();
  });
}

export const alertBox = (text, title = "") =>
  modal({ title, body: [h("p.alert-text", {}, text)] });

/** A labelled input; returns [label element, input element]. */
export function field(label, props = {}) {
  const input = h(props.tag ?? "input", { ...props, tag: undefined });
  return [h("label.field", {}, h("span", {}, label), input), input];
}

/** Asks for a few fields; resolves with {name: value} or null when cancelled. */
export async function ask(title, fields, okText = "OK") {
  const inputs = {};
  const body = fields.map((f) => {
    const [label, input] = field(f.label, { name: f.name, ...f.props });
    inputs[f.name] = input;
    return label;
  });
  const result = await modal({
    title,
    body,
    buttons: [
      { id: "cancel", text: "Cancel" },
      { id: "ok", text: okText, kind: "primary", submit: true },
    ],
  });
  if (result !== "ok") return null;
  return Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim()]));
}
