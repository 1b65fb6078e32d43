// Two single-page apps from one source tree: the owners' dashboard (served at /dashboard/) and
// the Telegram Mini App (served at /app/). `vite build --mode dashboard|miniapp` picks one; the
// output is committed under src/switchboard/web/static/ so the Python package serves it without
// node. Content hashes only (no timestamps), so rebuilding the same sources gives the same bytes.
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import tailwindcss from 'tailwindcss'
import autoprefixer from 'autoprefixer'
import tailwindConfig from './tailwind.config.js'
import { fileURLToPath } from 'node:url'

const here = (path) => fileURLToPath(new URL(path, import.meta.url))
const STATIC = '../src/switchboard/web/static'
const TARGETS = {
  dashboard: { root: 'src/dashboard', base: '/dashboard/', out: `${STATIC}/dashboard` },
  miniapp: { root: 'src/miniapp', base: '/app/', out: `${STATIC}/miniapp` },
}

export default defineConfig(({ mode }) => {
  const target = TARGETS[mode]
  if (!target) throw new Error(`--mode must be one of ${Object.keys(TARGETS).join(', ')}`)
  return {
    root: here(target.root),
    base: target.base,
    plugins: [vue()],
    resolve: { alias: { '@shared': here('src/shared') } },
    css: {
      postcss: {
        // Tailwind's classes from this app's sources only: each app's CSS holds what it uses.
        plugins: [
          tailwindcss({ ...tailwindConfig, content: [`${target.root}/**/*.{vue,js,html}`, 'src/shared/**/*.{vue,js}'].map(here) }),
          autoprefixer(),
        ],
      },
    },
    define: { __VUE_OPTIONS_API__: 'false', __VUE_PROD_DEVTOOLS__: 'false' },
    server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
    build: {
      outDir: here(target.out),
      emptyOutDir: true,
      assetsDir: 'assets',
      sourcemap: false,
      target: 'es2020',
      reportCompressedSize: false,
      chunkSizeWarningLimit: 600,
    },
  }
})
