import { createApp } from 'vue'
import {
  createVuesticEssential,
  VaAlert,
  VaButton,
  VaCard,
  VaCardContent,
  VaCardTitle,
  VaCheckbox,
  VaInput,
  VaProgressBar,
  VaSwitch,
  VaTab,
  VaTabs,
  VaTextarea,
} from 'vuestic-ui'
import 'vuestic-ui/styles/essential.css'
import 'vuestic-ui/styles/typography.css'
import '../shared/base.css'
import App from './App.vue'
import { router } from './router.js'
import { makeI18n } from '@shared/i18n.js'
import { useLanguage } from '@shared/api.js'
import messages from './messages.js'

const i18n = makeI18n(messages)
useLanguage(i18n.global.locale.value) // the API's errors come in the language the page shows

createApp(App)
  // Under the essential plugin VaInput's default aria-label is Vuestic's untranslated
  // '$t:inputField': every VaInput here passes input-aria-label (its label) itself.
  .use(
    createVuesticEssential({
      components: {
        VaAlert, VaButton, VaCard, VaCardContent, VaCardTitle, VaCheckbox, VaInput,
        VaProgressBar, VaSwitch, VaTab, VaTabs, VaTextarea,
      },
    }),
  )
  .use(i18n)
  .use(router)
  .mount('#app')
