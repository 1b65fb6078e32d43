// Live events: an EventSource on /sandbox/api/stream. The stream greets every connection with a
// `hello` carrying the newest seq and the sandbox process's `instance`. On a reconnect to the same
// instance we fetch what we missed through /sandbox/api/events?after=<last seq seen>; a new
// instance is a restarted sandbox, whose numbering starts over: then everything is reloaded.
// Events are applied once each, in seq order.
import { api } from "./api.js";
import { showError } from "./dialogs.js";

let lastSeq = null;
let instance = null;
let catching = null; // events that came live while a catch-up runs, applied after it

function setStatus(state) {
  document.body.dataset.stream = state;
  const el = document.getElementById("stream-status");
  if (el) el.textContent = { live: "", connecting: "Connecting to the sandbox…" }[state] ?? "Offline — reconnecting…";
}

function accept(event, apply) {
  if (lastSeq !== null && event.seq <= lastSeq) return;
  lastSeq = event.seq;
  try {
    apply(event);
  } catch (err) {
    showError(err);
  }
}

async function catchUp(apply, onGap) {
  catching = [];
  try {
    for (;;) {
      const { events } = await api.events(lastSeq, 0);
      if (!events.length) break;
      if (events[0].seq > lastSeq + 1) {
        // The sandbox keeps recent events only: what we missed is gone, so start over.
        lastSeq = events[events.length - 1].seq;
        onGap();
        break;
      }
      for (const e of events) accept(e, apply);
    }
  } catch (err) {
    showError(err);
    onGap();
  } finally {
    const live = catching;
    catching = null;
    for (const e of live) accept(e, apply);
  }
}

/**
 * Starts the stream; resolves once connected (or after 3 s, so start-up never hangs).
 * `apply(event)` handles each event; `onGap()` reloads everything when the sandbox restarted
 * (or when events we missed are no longer kept).
 */
export function connectStream(apply, onGap) {
  return new Promise((resolve) => {
    setTimeout(resolve, 3000);
    setStatus("connecting");
    const es = new EventSource("/sandbox/api/stream");
    es.addEventListener("open", () => setStatus("live"));
    es.addEventListener("error", () => {
      // EventSource retries by itself, except after an error status: then it is CLOSED for good.
      if (es.readyState !== EventSource.CLOSED) return setStatus("reconnecting");
      setStatus("offline");
      setTimeout(() => connectStream(apply, onGap), 3000);
    });
    es.addEventListener("message", (e) => {
      let event;
      try {
        event = JSON.parse(e.data);
      } catch {
        return; // not an event
      }
      if (event.type !== "hello") {
        if (catching) catching.push(event);
        else accept(event, apply);
        return;
      }
      resolve();
      if (lastSeq === null) {
        lastSeq = event.seq;
        instance = event.instance;
        return;
      }
      if (event.instance !== instance) {
        instance = event.instance;
        lastSeq = event.seq; // a restarted sandbox numbers from scratch
        return onGap();
      }
      if (event.seq > lastSeq) catchUp(apply, onGap);
    });
  });
}
