// Every English text is valid vue-i18n syntax and has a Russian one and the other way round, with the same {placeholders}:
// the build stops otherwise (as `switchboard i18n check` does for the bots' catalogues).
import dashboard from '../src/dashboard/messages.js'
import miniapp from '../src/miniapp/messages.js'

function flatten(tree, prefix = '', out = {}) {
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key
    if (typeof value === 'string') out[path] = value
    else flatten(value, path, out)
  }
  return out
}
// vue-i18n's syntax: `@` starts a linked message and `|` separates plural forms, so a literal
// one is written {'@'}.
const unescaped = (text) => /[@|]/.test(text.replace(/\{'[^']*'\}/g, ''))
const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',')

const problems = []
for (const [name, messages] of Object.entries({ dashboard, miniapp })) {
  const en = flatten(messages.en)
  for (const [locale, tree] of Object.entries(messages)) {
    const other = flatten(tree)
    for (const [key, text] of Object.entries(other)) {
      if (unescaped(text)) problems.push(`${name}: ${locale} ${key} has a bare @ or | (write {'@'})`)
    }
    for (const key of Object.keys(en)) {
      if (!(key in other)) problems.push(`${name}: ${locale} lacks ${key}`)
      else if (placeholders(other[key]) !== placeholders(en[key])) problems.push(`${name}: ${locale} ${key} has other placeholders than en`)
    }
    for (const key of Object.keys(other)) if (!(key in en)) problems.push(`${name}: ${locale} has ${key}, en does not`)
  }
}
if (problems.length) {
  console.error(problems.join('\n'))
  process.exit(1)
}
