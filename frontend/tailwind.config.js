// Tailwind for layout only (Vuestic draws the controls); no preflight, which would fight
// Vuestic's own reset. `dark` is a class on <html>, set by the theme toggle.
export default {
  content: ['./src/**/*.{vue,js,html}'], // narrowed to one app's sources by vite.config.js
  darkMode: 'class',
  corePlugins: { preflight: false },
  theme: { extend: {} },
  plugins: [],
}
