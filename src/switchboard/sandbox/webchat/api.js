// The sandbox user API client (docs/sandbox-user-api.md). Every failure becomes an ApiError
// carrying the server's reason, so callers can show it instead of failing silently.

const BASE = "/sandbox/api";

export class ApiError extends Error {
  constructor(reason, status) {
    super(reason);
    this.status = status;
  }
}

async function request(method, path, body) {
  const init = { method, headers: {} };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(BASE + path, init);
  } catch (err) {
    throw new ApiError(`sandbox unreachable (${err.message})`, 0);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    // Non-JSON bodies (a proxy's HTML error page, say) still get a readable reason below.
  }
  if (!response.ok || (data && data.ok === false)) {
    const reason = data?.error || data?.description || `${response.status} ${response.statusText}`;
    throw new ApiError(`${method} ${path}: ${reason}`, response.status);
  }
  return data;
}

const get = (path) => request("GET", path);
const post = (path, body) => request("POST", path, body ?? {});

function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") q.set(key, String(value));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** Where a message goes: a private chat is named by its bot, any other chat by its id. */
export function target(chat) {
  return chat.type === "private" ? { bot_id: chat.bot_id } : { chat_id: chat.id };
}

export const fileUrl = (fileId) => `${BASE}/files/${encodeURIComponent(fileId)}`;

export const api = {
  state: () => get("/state"),
  messages: (chat, userId, threadId, limit = 200) =>
    get(
      `/chats/${chat.id}/messages` +
        query({
          bot_id: chat.type === "private" ? chat.bot_id : undefined,
          user_id: userId,
          thread_id: threadId,
          limit,
        }),
    ),
  // The "/" menu the user sees in a chat, from its bot (private) or each bot in it.
  commands: (chat, userId) =>
    get(
      `/chats/${chat.type === "private" ? userId : chat.id}/commands` +
        query({ bot_id: chat.type === "private" ? chat.bot_id : undefined, user_id: userId }),
    ),
  events: (after, timeout = 0) => get(`/events${query({ after, timeout })}`),
  createUser: (fields) => post("/users", fields),
  send: (body) => post("/send", body),
  sendMedia: (form) => post("/send_media", form),
  sendLocation: (body) => post("/send_location", body),
  sendContact: (body) => post("/send_contact", body),
  shareChat: (body) => post("/share_chat", body),
  press: (body) => post("/press", body),
  edit: (body) => post("/edit", body),
  forward: (body) => post("/forward", body),
  remove: (body) => post("/delete", body),
  createGroup: (body) => post("/groups", body),
  setMember: (chatId, body) => post(`/chats/${chatId}/members`, body),
  createTopic: (chatId, body) => post(`/chats/${chatId}/topics`, body),
  webapp: (body) => post("/webapp", body),
  webAppData: (body) => post("/web_app_data", body),
};
