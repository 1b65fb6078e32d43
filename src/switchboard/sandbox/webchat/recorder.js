// Voice messages recorded with MediaRecorder (Ogg/Opus where the browser can, else WebM/Opus)
// and sent as kind=voice with their duration.
import * as actions from "./actions.js";
import { showError } from "./dialogs.js";
import { duration, h } from "./dom.js";

const TYPES = ["audio/ogg;codecs=opus", "audio/webm;codecs=opus", "audio/webm"];

export class VoiceRecorder {
  mount(panel, row) {
    this.panel = panel;
    this.row = row;
    this.clock = h("span.rec-clock", {}, "0:00");
    panel.replaceChildren(
      h("span.rec-dot"),
      this.clock,
      h("span.rec-hint", {}, "Recording…"),
      h("button.btn.flat", { type: "button", onclick: () => this.stop(false) }, "Cancel"),
      h("button.btn.primary", { type: "button", onclick: () => this.stop(true) }, "Send"),
    );
  }

  async start() {
    if (!window.MediaRecorder || !navigator.mediaDevices?.getUserMedia) {
      return showError(new Error("Recording is not available here (needs a secure origin and a microphone). Attach an audio file instead."));
    }
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (err) {
      return showError(new Error(`Microphone unavailable: ${err.message}`));
    }
    const mimeType = TYPES.find((t) => MediaRecorder.isTypeSupported(t));
    this.chunks = [];
    this.recorder = new MediaRecorder(this.stream, mimeType ? { mimeType } : {});
    this.recorder.addEventListener("dataavailable", (e) => e.data.size && this.chunks.push(e.data));
    this.recorder.start(250);
    this.began = Date.now();
    this.timer = setInterval(() => { this.clock.textContent = duration((Date.now() - this.began) / 1000); }, 250);
    this.clock.textContent = "0:00";
    this.panel.hidden = false;
    this.row.hidden = true;
  }

  stop(send) {
    if (!this.recorder) return;
    const recorder = this.recorder;
    const seconds = (Date.now() - this.began) / 1000;
    this.recorder = null;
    clearInterval(this.timer);
    this.panel.hidden = true;
    this.row.hidden = false;
    recorder.addEventListener("stop", () => {
      for (const track of this.stream.getTracks()) track.stop();
      if (!send) return;
      const type = (recorder.mimeType || "audio/webm").split(";")[0];
      const file = new File(this.chunks, `voice.${type.includes("ogg") ? "ogg" : "webm"}`, { type });
      actions.sendFile(file, { kind: "voice", seconds: Math.max(1, seconds) });
    }, { once: true });
    recorder.stop();
  }
}
