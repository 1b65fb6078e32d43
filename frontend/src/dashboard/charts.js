// Only the parts of chart.js the overview draws, and a time axis through date-fns.
import {
  BarController, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale,
  LineController, LineElement, PointElement, TimeScale, Tooltip,
} from 'chart.js'
import 'chartjs-adapter-date-fns'
import { enGB, ru } from 'date-fns/locale'

Chart.register(
  BarController, BarElement, CategoryScale, Filler, Legend, LinearScale,
  LineController, LineElement, PointElement, TimeScale, Tooltip,
)

export const COLOURS = {
  blue: '#2563eb', red: '#dc2626', green: '#16a34a', amber: '#d97706', violet: '#7c3aed',
}

/** [[ts, n], …] with ts in seconds, milliseconds or ISO text, as chart.js points. */
export function points(series) {
  return (series || []).map(([ts, value]) => {
    const x = typeof ts === 'number' ? (ts < 1e12 ? ts * 1000 : ts) : Date.parse(ts)
    return { x, y: value }
  })
}

const DATE_LOCALES = { en: enGB, ru }

export function timeOptions(dark, locale = 'en', { stacked = false } = {}) {
  const grid = dark ? 'rgba(255,255,255,0.12)' : 'rgba(0,0,0,0.08)'
  const text = dark ? '#e5e7eb' : '#1f2937'
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    parsing: false,
    normalized: true,
    interaction: { mode: 'index', intersect: false },
    plugins: { legend: { display: false } }, // an HTML legend beside the canvas instead
    scales: {
      x: { type: 'time', time: { tooltipFormat: 'PPp', displayFormats: { minute: 'HH:mm', hour: 'HH:mm', day: 'd MMM' } }, adapters: { date: { locale: DATE_LOCALES[locale] || enGB } }, ticks: { color: text, maxRotation: 0 }, grid: { color: grid }, stacked },
      y: { beginAtZero: true, ticks: { color: text, precision: 0 }, grid: { color: grid }, stacked },
    },
  }
}

export function categoryOptions(dark) {
  const options = timeOptions(dark)
  delete options.scales.x.adapters
  options.parsing = true
  options.scales.x = { ...options.scales.x, type: 'category' }
  delete options.scales.x.time
  return options
}
