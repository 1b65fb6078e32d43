// English and Russian; the browser's language picks one, the switcher changes it.
import { createI18n } from 'vue-i18n'

const KEY = 'switchboard.locale'
export const LOCALES = { en: 'English', ru: 'Русский' }

export function makeI18n(messages, preferred) {
  const wanted = preferred || localStorage.getItem(KEY) || navigator.language || 'en'
  const locale = wanted.toLowerCase().startsWith('ru') ? 'ru' : 'en'
  document.documentElement.lang = locale
  return createI18n({ legacy: false, locale, fallbackLocale: 'en', messages })
}

export function rememberLocale(locale) {
  localStorage.setItem(KEY, locale)
  document.documentElement.lang = locale
}
