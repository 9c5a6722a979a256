import { LABEL_NAMES, LABELS, SHEET_KEYS } from './review-labels.ts'
import type { ReviewSheet } from './review-export.ts'

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)

// Builds the filled CSV in the browser, in the columns `--import` reads; refuses while a label is unset.
const SCRIPT = `
const LABELS = ${JSON.stringify(LABEL_NAMES)};
const KEYS = ${JSON.stringify(SHEET_KEYS)};
function cell (v) { v = String(v); return /[",\\r\\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v; }
function filledCsv () {
  const missing = [];
  const lines = [KEYS.concat(LABELS, ['notes']).map(cell).join(',')];
  document.querySelectorAll('form.review').forEach((form, i) => {
    const values = LABELS.map(l => { const c = form.querySelector('input[name="' + l + '"]:checked'); if (c === null) missing.push('document ' + (i + 1) + ': ' + l); return c === null ? '' : c.value; });
    lines.push([form.dataset.snapshot, form.dataset.seed, form.dataset.id].concat(values, [form.elements.notes.value]).map(cell).join(','));
  });
  return { csv: lines.join('\\r\\n') + '\\r\\n', missing };
}
document.getElementById('save').addEventListener('click', () => {
  const r = filledCsv();
  const status = document.getElementById('status');
  if (r.missing.length > 0) { status.textContent = 'Not saved, labels missing: ' + r.missing.join('; '); return; }
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([r.csv], { type: 'text/csv' }));
  a.download = document.body.dataset.file;
  a.click();
  status.textContent = 'Saved ' + a.download + ': import it with sluice evaluate --import <file>';
});
`

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
section{border-top:1px solid #ccc;padding:1rem 0}.text{white-space:pre-wrap;overflow-wrap:anywhere;background:#f7f7f7;padding:.75rem;max-height:30rem;overflow:auto}
fieldset{display:inline-block;border:1px solid #ddd;margin:.5rem .5rem 0 0}textarea{width:100%;margin-top:.5rem}
#bar{position:sticky;top:0;background:#fff;padding:.5rem 0;border-bottom:1px solid #ccc}`

function documentSection (sheet: ReviewSheet, d: ReviewSheet['documents'][number], i: number): string {
  const fieldsets = LABEL_NAMES.map(l => `<fieldset><legend title="${escapeHtml(LABELS[l])}">${l}</legend>` +
    `<label><input type="radio" name="${l}" value="0"> no</label> <label><input type="radio" name="${l}" value="1"> yes</label></fieldset>`).join('')
  return `<section><h2>${i + 1}. <code>${escapeHtml(d.id)}</code> <small>${escapeHtml(d.lang ?? 'no language')}, ${[...d.text].length} characters</small></h2>
<div class="text">${escapeHtml(d.text)}</div>
<form class="review" data-snapshot="${sheet.snapshotId}" data-seed="${sheet.seed}" data-id="${escapeHtml(d.id)}">${fieldsets}<textarea name="notes" rows="2" placeholder="notes"></textarea></form></section>`
}

/**
 * A self-contained review page: every document's text (escaped), a form per document with the
 * three labels and notes, and a button that saves the filled sheet as the CSV `--import` reads.
 * Nothing is fetched; the content security policy allows only the page's own script and style.
 */
export function reviewHtml (sheet: ReviewSheet): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>Sluice review: documents @ snapshot ${sheet.snapshotId}</title><style>${STYLE}</style></head>
<body data-file="review-${sheet.snapshotId}-${sheet.seed}.csv">
<h1>Review ${sheet.documents.length} documents of snapshot ${sheet.snapshotId} (seed ${sheet.seed})</h1>
<p>For each document answer yes (1) or no (0):</p><ul>${LABEL_NAMES.map(l => `<li><b>${l}</b>: ${escapeHtml(LABELS[l])}</li>`).join('')}</ul>
<p>A document with any yes is unqualified. Ziya2 passes the data when at most 1 in 1,000 is.</p>
<div id="bar"><button id="save" type="button">Save filled CSV</button> <span id="status"></span></div>
${sheet.documents.map((d, i) => documentSection(sheet, d, i)).join('\n')}
<script>${SCRIPT}</script>
</body></html>
`
}
