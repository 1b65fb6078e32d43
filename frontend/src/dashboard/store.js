// What every page shares: who is logged in, their bots, the bot the pages look at.
import { reactive } from 'vue'
import { api, ApiError, optional, useCsrf } from '@shared/api.js'

export const store = reactive({ me: null, bots: [], apps: [], botId: null })

/** The logged-in account, or null: the router then sends the user to the login page. */
export async function loadMe() {
  try {
    store.me = await api('/me')
  } catch (error) {
    // 401: not logged in; any other answer (no auth on this server yet, an outage): the login
    // page, which says what it can, rather than a blank page.
    if (error instanceof ApiError) {
      store.me = null
      return null
    }
    throw error
  }
  useCsrf(store.me.csrf_token)
  await loadBots()
  return store.me
}

/** @username, or the bot's id while its username is not known. */
export const botName = (bot) => (bot.username ? `@${bot.username}` : `#${bot.id}`)

export async function loadBots() {
  const fallback = (store.me?.bot_ids || []).map((id) => ({ id, username: null, apps: [] }))
  store.bots = await optional('/bots', fallback)
  store.apps = await optional('/apps', [])
  if (!store.bots.some((bot) => bot.id === store.botId)) store.botId = store.bots[0]?.id ?? null
}
