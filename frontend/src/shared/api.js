// The dashboard's way to the API: JSON in and out, the session cookie sent by the browser, the
// CSRF token (from GET /api/v1/me) on every request that changes something.
const PREFIX = '/api/v1'
const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

let csrfToken = null
let authorization = null
let botHeader = null
let language = null

/** The language the API answers errors in (Accept-Language): the one the page shows. */
export function useLanguage(code) {
  language = code || null
}

export function useCsrf(token) {
  csrfToken = token
}

/** The Mini App's credentials: `Authorization: tma <initData>` instead of a cookie, and the bot
 * it was opened from (`X-Bot-Id`, when its URL says: /app?bot=<id>). */
export function useInitData(initData, botId) {
  authorization = initData ? `tma ${initData}` : null
  botHeader = botId || null
}

export class ApiError extends Error {
  constructor(status, detail, code) {
    // FastAPI's 422: a list of {loc, msg}; everything else here: a sentence.
    const text = Array.isArray(detail) ? detail.map((item) => item?.msg ?? JSON.stringify(item)).join('; ') : detail
    super(typeof text === 'string' ? text : JSON.stringify(text))
    this.status = status
    this.detail = detail
    this.code = code ?? null // the server's stable name for the error (`identity_taken`, …)
  }

  /** The route is not on this server (yet): pages show their empty state. */
  get missing() {
    return this.status === 404 || this.status === 405
  }
}

function credentials(method, extra) {
  const headers = { ...extra }
  if (CHANGES.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken
  if (authorization) headers.Authorization = authorization
  if (botHeader) headers['X-Bot-Id'] = botHeader
  if (language) headers['Accept-Language'] = language
  return headers
}

async function failure(response) {
  const json = (response.headers.get('content-type') || '').includes('json')
  const data = json ? await response.json() : null
  return new ApiError(response.status, data?.detail ?? response.statusText, data?.code)
}

/** A JSON call; a FormData body goes as multipart (the browser sets its boundary). */
export async function api(path, { method = 'GET', body, headers: extra } = {}) {
  const form = body instanceof FormData
  const headers = credentials(method, { Accept: 'application/json', ...extra })
  if (body !== undefined && !form) headers['Content-Type'] = 'application/json'
  const response = await fetch(PREFIX + path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined || form ? body : JSON.stringify(body),
  })
  if (!response.ok) throw await failure(response)
  const json = (response.headers.get('content-type') || '').includes('json')
  return json ? response.json() : null
}

/** The bytes at `url` (a path the API gave) as a Blob, with the same credentials: an <img> cannot
 * send them itself. The browser's cache revalidates with the ETag (a 304 costs no download). */
export async function blob(url) {
  const response = await fetch(url, { headers: credentials('GET'), credentials: 'same-origin' })
  if (!response.ok) throw await failure(response)
  return response.blob()
}

/** GET `path`, or `fallback` when the route is not there (404/405). */
export async function optional(path, fallback) {
  try {
    return await api(path)
  } catch (error) {
    if (error instanceof ApiError && error.missing) return fallback
    throw error
  }
}
