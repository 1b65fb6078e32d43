// Light and dark: the system's choice (prefers-color-scheme) until the user flips the toggle,
// which is remembered. Vuestic's colour preset and Tailwind's `dark` class follow.
import { ref, watch } from 'vue'
import { useColors } from 'vuestic-ui'

const KEY = 'switchboard.theme'

export function useTheme() {
  const { applyPreset } = useColors()
  const media = window.matchMedia('(prefers-color-scheme: dark)')
  const saved = localStorage.getItem(KEY)
  const dark = ref(saved ? saved === 'dark' : media.matches)
  const apply = () => {
    applyPreset(dark.value ? 'dark' : 'light')
    document.documentElement.classList.toggle('dark', dark.value)
    document.documentElement.style.colorScheme = dark.value ? 'dark' : 'light'
  }
  media.addEventListener('change', (event) => {
    if (!localStorage.getItem(KEY)) dark.value = event.matches
  })
  watch(dark, apply, { immediate: true })
  const toggle = () => {
    dark.value = !dark.value
    localStorage.setItem(KEY, dark.value ? 'dark' : 'light')
  }
  return { dark, toggle }
}
