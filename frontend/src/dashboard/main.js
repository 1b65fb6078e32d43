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
import messages from './messages.js'

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
  .use(makeI18n(messages))
  .use(router)
  .mount('#app')
