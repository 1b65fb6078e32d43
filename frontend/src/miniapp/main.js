import { createApp } from 'vue'
import { createVuesticEssential, VaAlert, VaButton, VaInput, VaSwitch } from 'vuestic-ui'
import 'vuestic-ui/styles/essential.css'
import 'vuestic-ui/styles/typography.css'
import '../shared/base.css'
import './miniapp.css'
import App from './App.vue'
import { makeI18n } from '@shared/i18n.js'
import { useInitData } from '@shared/api.js'
import { applyTheme, isDark, launch } from './telegram.js'
import messages from './messages.js'

const telegram = launch()
const theme = telegram.themeParams
applyTheme(theme)
const dark = telegram.colorScheme ? telegram.colorScheme === 'dark' : isDark(theme.bg_color)
document.documentElement.classList.toggle('dark', dark)
useInitData(telegram.initData, new URLSearchParams(location.search).get('bot'))
telegram.ready()
telegram.expand()

// Vuestic's colours from Telegram's theme, where it gives one.
const variables = Object.fromEntries(
  Object.entries({
    primary: theme.button_color,
    backgroundPrimary: theme.bg_color,
    backgroundSecondary: theme.secondary_bg_color,
    backgroundElement: theme.section_bg_color,
    textPrimary: theme.text_color,
    secondary: theme.hint_color,
    danger: theme.destructive_text_color,
    info: theme.link_color,
  }).filter(([, value]) => value),
)

createApp(App, { telegram })
  // Under the essential plugin VaInput's default aria-label is Vuestic's untranslated
  // '$t:inputField': every VaInput here passes input-aria-label (its label) itself.
  .use(
    createVuesticEssential({
      components: { VaAlert, VaButton, VaInput, VaSwitch },
      config: { colors: { currentPresetName: dark ? 'dark' : 'light', presets: { [dark ? 'dark' : 'light']: variables } } },
    }),
  )
  .use(makeI18n(messages, telegram.user?.language_code))
  .mount('#app')
