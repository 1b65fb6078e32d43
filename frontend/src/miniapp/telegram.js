// The launch data Telegram gives a Mini App: `window.Telegram.WebApp` when telegram-web-app.js
// is on the page (the sandbox's Mini App panel provides one), else the URL's hash
// (#tgWebAppData=…&tgWebAppThemeParams=…), which Telegram's clients always set.
function fromHash() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''))
  let themeParams = {}
  try {
    themeParams = JSON.parse(params.get('tgWebAppThemeParams') || '{}')
  } catch { /* no theme */ }
  const initData = params.get('tgWebAppData') || sessionStorage.getItem('switchboard.initData') || ''
  if (initData) sessionStorage.setItem('switchboard.initData', initData)
  let user = null
  try {
    user = JSON.parse(new URLSearchParams(initData).get('user') || 'null')
  } catch { /* no user */ }
  return { initData, themeParams, user, colorScheme: null, ready() {}, expand() {} }
}

export function launch() {
  const webApp = window.Telegram?.WebApp
  if (webApp && webApp.initData) {
    return {
      initData: webApp.initData,
      themeParams: webApp.themeParams || {},
      user: webApp.initDataUnsafe?.user || null,
      colorScheme: webApp.colorScheme || null,
      ready: () => webApp.ready?.(),
      expand: () => webApp.expand?.(),
    }
  }
  return fromHash()
}

/** Telegram's theme as CSS variables (--tg-theme-bg-color, …), as telegram-web-app.js sets them. */
export function applyTheme(themeParams) {
  const root = document.documentElement.style
  for (const [key, value] of Object.entries(themeParams)) {
    if (typeof value === 'string') root.setProperty(`--tg-theme-${key.replace(/_/g, '-')}`, value)
  }
}

/** Is this background dark? (for the colour scheme when Telegram does not say) */
export function isDark(hex) {
  const match = /^#?([0-9a-f]{6})$/i.exec(hex || '')
  if (!match) return window.matchMedia('(prefers-color-scheme: dark)').matches
  const n = parseInt(match[1], 16)
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255]
  return 0.299 * r + 0.587 * g + 0.114 * b < 128
}
