import { createRouter, createWebHistory } from 'vue-router'
import { store, loadMe } from './store.js'
import Overview from './pages/Overview.vue'
import Login from './pages/Login.vue'

const routes = [
  { path: '/', name: 'overview', component: Overview },
  { path: '/login', name: 'login', component: Login, meta: { public: true } },
  { path: '/bots', name: 'bots', component: () => import('./pages/Bots.vue') },
  { path: '/jobs', name: 'jobs', component: () => import('./pages/Jobs.vue') },
  { path: '/broadcast', name: 'broadcast', component: () => import('./pages/Broadcast.vue') },
  { path: '/apps/notes', name: 'notes', component: () => import('./pages/AppNotes.vue') },
  { path: '/apps/calendar', name: 'calendar', component: () => import('./pages/AppCalendar.vue') },
  { path: '/apps/repost', name: 'repost', component: () => import('./pages/AppRepost.vue') },
  { path: '/apps/match', name: 'match', component: () => import('./pages/AppMatch.vue') },
  { path: '/account', name: 'account', component: () => import('./pages/Account.vue') },
  { path: '/:rest(.*)*', redirect: '/' },
]

export const router = createRouter({ history: createWebHistory('/dashboard/'), routes })

let checked = false
router.beforeEach(async (to) => {
  if (!checked) {
    checked = true
    await loadMe()
  }
  if (!to.meta.public && !store.me) return { name: 'login' }
  if (to.name === 'login' && store.me) return { name: 'overview' }
  return true
})
