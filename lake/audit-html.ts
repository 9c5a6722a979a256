import { formatBytes, formatCount } from '../ops/log.ts'
import { funnelLabel, funnelRows, tableReadText, type AuditReport } from './audit.ts'

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)

// Inside <script> only `</script` and `<!--` end or change the element; escaping every < > & (and the two
// line separators old parsers choke on) as JSON \u escapes keeps any string inert and JSON.parse still reads it.
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)

function htmlTable (caption: string, head: string[], align: string, rows: Array<Array<string | number>>): string {
  const cell = (tag: string, c: string | number, i: number) =>
    `<${tag}${align[i] === 'r' ? ' class="num"' : ''}>${escapeHtml(typeof c === 'number' ? formatCount(c) : c)}</${tag}>`
  return `<table><caption>${escapeHtml(caption)}</caption>\n<thead><tr>${head.map((h, i) => cell('th', h, i)).join('')}</tr></thead>\n<tbody>\n` +
    rows.map(r => `<tr>${r.map((c, i) => cell('td', c, i)).join('')}</tr>`).join('\n') + '\n</tbody></table>'
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222 }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(500px, 1fr)); gap: 1.5em }
.tables { display: flex; flex-wrap: wrap; gap: 0 2.5em; align-items: flex-start }
figure { margin: 0 } figcaption, caption { font-weight: 600; text-align: left; margin-bottom: .4em; white-space: nowrap }
svg text { font-size: 12px; fill: #333 } .bar { fill: #c7d7ee } .part { fill: #3b6fb6 }
table { border-collapse: collapse; margin: 1.5em 0 0 } td, th { padding: 2px 10px; border-bottom: 1px solid #ddd; text-align: left; max-width: 32em; overflow-wrap: anywhere }
.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums } #errors { color: #b00 }
`

// Plain browser JavaScript, run in the page: draws every chart from the report JSON with DOM calls
// (textContent, setAttribute), so no report string is ever parsed as markup. It marks <body> only once
// everything is drawn, and the first script records any error in the page, which the Chromium test reads.
const ON_ERROR = `window.onerror = function (message) {
  var pre = document.getElementById('errors') || document.documentElement.appendChild(document.createElement('pre'))
  pre.id = 'errors'
  pre.textContent += String(message) + '\\n'
  document.documentElement.setAttribute('data-error', 'true')
}`

const DRAW = `(function () {
  const report = JSON.parse(document.getElementById('report').textContent)
  const NS = 'http://www.w3.org/2000/svg'
  const count = n => n.toLocaleString('en-US')
  function el (name, attrs, text) {
    const e = document.createElementNS(NS, name)
    for (const k of Object.keys(attrs)) e.setAttribute(k, String(attrs[k]))
    if (text !== undefined) e.textContent = text
    return e
  }
  function short (s, n) { return s.length > n ? s.slice(0, n - 1) + '\\u2026' : s }
  function empty (figure) {
    const p = document.createElement('p')
    p.textContent = 'nothing to show'
    figure.appendChild(p)
  }
  // rows: { label, value, part? }; part (e.g. kept of all) is drawn darker over the value
  function hbars (id, rows, valueText) {
    const figure = document.getElementById(id)
    if (rows.length === 0) return empty(figure)
    const labelW = 150, barW = 250, rowH = 22
    const max = Math.max(1, ...rows.map(r => r.value))
    const svg = el('svg', { width: labelW + barW + 130, height: rows.length * rowH + 4, role: 'img' })
    rows.forEach((r, i) => {
      const y = i * rowH + 2, w = Math.round(r.value / max * barW * 10) / 10
      const label = el('text', { x: labelW - 8, y: y + 15, 'text-anchor': 'end' }, short(r.label, 30))
      label.appendChild(el('title', {}, r.label))
      svg.appendChild(label)
      svg.appendChild(el('rect', { class: 'bar', x: labelW, y: y + 3, width: w, height: rowH - 6 }))
      if (r.part !== undefined) svg.appendChild(el('rect', { class: 'part', x: labelW, y: y + 3, width: Math.round(r.part / max * barW * 10) / 10, height: rowH - 6 }))
      svg.appendChild(el('text', { x: labelW + w + 6, y: y + 15 }, valueText(r)))
    })
    figure.appendChild(svg)
  }
  // a histogram: one column per bucket, the bucket edges as ticks between the columns
  function columns (id, rows) {
    const figure = document.getElementById(id)
    const colW = 40, plotH = 160, top = 16, left = 16
    const max = Math.max(1, ...rows.map(r => r.value))
    const svg = el('svg', { width: left + rows.length * colW + 24, height: top + plotH + 24, role: 'img' })
    rows.forEach((r, i) => {
      const h = Math.round(r.value / max * plotH * 10) / 10, x = left + i * colW
      svg.appendChild(el('rect', { class: 'part', x: x + 3, y: top + plotH - h, width: colW - 6, height: h }))
      svg.appendChild(el('text', { x: x + colW / 2, y: top + plotH - h - 4, 'text-anchor': 'middle' }, r.value > 0 ? count(r.value) : ''))
      svg.appendChild(el('text', { x, y: top + plotH + 16, 'text-anchor': 'middle' }, r.tick))
    })
    figure.appendChild(svg)
  }
  const si = n => n >= 1e6 ? n / 1e6 + 'M' : n >= 1e3 ? n / 1e3 + 'k' : String(n)
  const read = report.funnel[0].documents
  hbars('chart-funnel', report.funnel.map(f => ({ label: f.label, value: f.documents })),
    r => count(r.value) + (read > 0 ? ' (' + (100 * r.value / read).toFixed(1) + '%)' : ''))
  hbars('chart-drops', report.drops.map(d => ({ label: d.reason === null ? '(no reason)' : d.reason, value: d.documents })), r => count(r.value))
  hbars('chart-languages', report.languages.map(l => ({ label: l.lang === null ? '(none)' : l.lang, value: l.documents, part: l.kept })),
    r => count(r.part) + ' kept of ' + count(r.value))
  columns('chart-lengths', report.textLengths.map(b => ({ tick: si(b.from), value: b.documents })))
  document.body.setAttribute('data-rendered', 'true')
})()`

/**
 * The audit as one self-contained HTML page: charts (funnel, drop reasons, languages, text lengths)
 * drawn as inline SVG by a script from the report embedded as JSON, and the tables rendered here.
 * Nothing is fetched (the page's Content-Security-Policy forbids it); every report string is escaped.
 */
export function auditHtml (r: AuditReport): string {
  const t = r.totals
  const data = { ...r, funnel: r.funnel.map(f => ({ ...f, label: funnelLabel(f.step) })) }
  const group = (caption: string, key: string, rows: Array<{ key: string, documents: number, kept: number, textBytes: number, keptTextBytes: number }>) =>
    htmlTable(caption, [key, 'documents', 'kept', 'text', 'kept text'], 'lrrrr', rows.map(g => [g.key, g.documents, g.kept, formatBytes(g.textBytes), formatBytes(g.keptTextBytes)]))
  const figure = (id: string, caption: string) => `<figure id="${id}"><figcaption>${escapeHtml(caption)}</figcaption></figure>`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">
<title>Sluice lake audit: ${escapeHtml(r.lake)}</title>
<style>${STYLE}</style>
<script>${ON_ERROR}</script>
</head><body>
<h1>Lake audit</h1>
<p>${escapeHtml(`${r.lake}: ${r.tables.map(tableReadText).join(', ')}`)}</p>
<p>${escapeHtml(`${formatCount(t.documents)} documents (${formatCount(t.kept)} kept), ${formatCount(t.deadLetters)} dead letters; text ${formatBytes(t.textBytes)} (${formatBytes(t.keptTextBytes)} kept)`)}</p>
<pre id="errors"></pre>
<div class="charts">
${figure('chart-funnel', 'Documents kept after each pipeline step')}
${figure('chart-drops', 'Drop reasons')}
${figure('chart-languages', 'Languages (dark: kept)')}
${figure('chart-lengths', 'Text length in characters, log scale (documents with text)')}
</div>
<div class="tables">
${htmlTable('Funnel', ['step', 'documents', 'lost', 'of read'], 'lrrr', funnelRows(r))}
${group('Sources', 'source', r.sources.map(s => ({ ...s, key: s.source })))}
${group('Languages', 'language', r.languages.map(l => ({ ...l, key: l.lang ?? '(none)' })))}
${htmlTable('Drop reasons', ['reason', 'step', 'documents'], 'llr', r.drops.map(d => [d.reason ?? '(no reason)', d.step, d.documents]))}
${htmlTable(`Top domains (${formatCount(r.domains.distinct)} distinct hosts)`, ['domain', 'documents'], 'lr', r.domains.top.map(d => [d.domain, d.documents]))}
${htmlTable('Dead letters', ['stage', 'code', 'count'], 'llr', r.deadLetters.map(d => [d.stage, d.code, d.count]))}
</div>
<script type="application/json" id="report">${scriptJson(data)}</script>
<script>${DRAW}</script>
</body></html>
`
}
