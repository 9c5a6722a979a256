import fs from 'node:fs'
import { describe, expect, test } from 'vitest'
import { extractMainText } from '../../../streams/normalize/extract.ts'
import { extractors, goldPages, scoreExtractor, tokenF1 } from '../../../ops/bench/extraction.ts'

const dclm = (name: string): string => fs.readFileSync(`../shared/data/web/en/dclm-html/${name}.html`, 'utf8')

describe('extractMainText on real pages', () => {
  test('keeps a Wikipedia article and drops the site navigation and footer', () => {
    const html = dclm('wikipedia_paragraph1')
    for (const fast of [false, true]) {
      const r = extractMainText(html, { fast })
      expect(r.text).toContain('A language model is a probability distribution over sequences of words.')
      for (const furniture of ['Main page', 'Random article', 'Create account', 'Privacy policy', 'About Wikipedia']) {
        expect(html).toContain(furniture)
        expect(r.text, `${furniture} (fast: ${fast})`).not.toContain(furniture)
      }
      expect(r.title).toContain('Language model')
      expect(r.text.split('\n\n').length).toBeGreaterThan(20)
    }
  })

  test('keeps the description of a Chinese app page and drops its menu', () => {
    const html = dclm('common_crawl_paragraph1')
    const r = extractMainText(html)
    expect(r.text).toContain('是一款有着海量妖物和你一同战斗的大型奇幻风格仙侠扮演手游')
    expect(html).toContain('首页')
    expect(r.text).not.toContain('首页')
  })

  test('a Chinese template page without an article gives empty text, not its footer', () => {
    const html = dclm('common_crawl_paragraph2')
    expect(html).toContain('版权所有')
    const r = extractMainText(html)
    expect(r.text).toBe('')
    expect(r.signals.extract_blocks_removed).toBeGreaterThan(50)
  })

  test('mean token F1 on the first 10 pages of every benchmark dataset (70 pages) is at least 0.85; 0.78 for fast', () => {
    const pages = goldPages({ limit: 10 })
    expect(pages).toHaveLength(70)
    const all = (method: string): number => scoreExtractor(method, extractors[method]!, pages).find(f => f.dataset === 'all')!.meanF1
    // measured 0.875 and 0.809 on 2026-11-28
    expect(all('sluice')).toBeGreaterThanOrEqual(0.85)
    expect(all('sluice-fast')).toBeGreaterThanOrEqual(0.78)
  })
})

describe('extractMainText on built pages', () => {
  const article = [
    'The harbour authority said on Tuesday that the new breakwater would be finished before the winter storms, ',
    'which last year flooded the lower town twice and closed the ferry for a week. Engineers have been working ',
    'in two shifts since March, and the council expects the cost to stay within the budget that was agreed.'
  ].join('')
  const page = `<!doctype html><html><head><title>Breakwater &amp; ferry</title><style>p { color: red }</style>
    <script>var tracking = "do not keep this";</script></head><body>
    <div id="cookie-banner">We use cookies to improve your experience. Accept all cookies</div>
    <header><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></header>
    <nav><ul><li><a href="/a">Politics</a></li><li><a href="/b">Business</a></li></ul></nav>
    <main><h1>Caf&eacute; owners welcome the breakwater</h1><p>${article}</p>
    <p>&ldquo;We lost two weeks of trade,&rdquo; said the owner of the harbour caf&#233; &#8212; who asked not to be named.
    She said the town&#x2019;s shops had waited a long time for this, and that most of them would stay open.</p>
    <ul class="share"><li><a href="/s">Share on Facebook</a></li></ul></main>
    <!-- a comment that is not text -->
    <footer>Copyright 2024 Harbour News. All rights reserved. <a href="/privacy">Privacy</a></footer></body></html>`

  test.each([false, true])('keeps the article, decodes entities and removes the furniture (fast: %s)', (fast) => {
    const r = extractMainText(page, { fast, url: 'https://news.example/breakwater' })
    expect(r.text).toContain(article)
    expect(r.text).toContain('“We lost two weeks of trade,” said the owner of the harbour café — who asked not to be named.')
    expect(r.text).toContain('the town’s shops')
    for (const gone of ['cookies', 'Home', 'Politics', 'Share on Facebook', 'Copyright', 'tracking', 'color', 'a comment']) {
      expect(r.text, gone).not.toContain(gone)
    }
    expect(r.text.split('\n\n').length).toBeGreaterThanOrEqual(2)
    expect(r.signals).toMatchObject({ extract_html_bytes: Buffer.byteLength(page), extract_url_host: 'news.example' })
    expect(r.signals.extract_text_chars).toBe(r.text.length)
    expect(r.signals.extract_blocks_removed).toBeGreaterThanOrEqual(4)
  })

  test('the title comes from the page, entities decoded', () => {
    expect(extractMainText(page, { fast: true }).title).toBe('Breakwater & ferry')
  })

  test('items of one list are joined by single newlines', () => {
    const items = ['Preheat the oven to 200 degrees and butter a deep dish of about two litres.',
      'Slice the apples thinly and lay them in the dish with the sugar and the cinnamon.',
      'Rub the butter into the flour until it looks like breadcrumbs and spread it over the apples.']
    const html = `<html><body><article><p>${article}</p><ol>${items.map(i => `<li>${i}</li>`).join('')}</ol></article></body></html>`
    const r = extractMainText(html, { fast: true })
    expect(r.text).toContain(items.join('\n'))
    expect(r.text).toContain(`${article}\n\n${items[0]}`)
  })

  test('an unclosed <select> does not hide the rest of the page', () => {
    const r = extractMainText(`<html><body><form><select><option>One</option></form><div><p>${article}</p></div></body></html>`, { fast: true })
    expect(r.text).toContain(article)
    expect(r.text).not.toContain('One')
  })

  test('an unclosed <title> that swallowed the page is read again without it', () => {
    const r = extractMainText(`<html><head><title>Broken page\n${'x '.repeat(600)}</head><body><p>${article}</p></body></html>`, { fast: true })
    expect(r.text).toContain(article)
    expect(r.signals.extract_unclosed_title).toBe(1)
  })
})

describe('extractMainText never throws', () => {
  test.each(['', '   ', '<<<>>>', '</div></p></html>', '<!-- never closed', '<script>var a = 1', '\u0000\u0001\u0002', '<div><p><a href="/">Home</a>'])(
    'gives empty text for %j', (html) => {
      const r = extractMainText(html)
      expect(r.text).toBe('')
      expect(r.method).not.toBe('failed')
      expect(r.signals.extract_text_chars).toBe(0)
    })

  test('input that is not a string is a failed extraction with the error as a signal', () => {
    const r = extractMainText(null as unknown as string)
    expect(r).toMatchObject({ text: '', title: null, method: 'failed' })
    expect(typeof r.signals.extract_error).toBe('string')
  })
})

describe('tokenF1', () => {
  test('counts tokens as a bag, lowercased, CJK characters one by one', () => {
    expect(tokenF1('The cat, the hat.', 'the hat the CAT').f1).toBe(1)
    expect(tokenF1('数据清洗', '数据').precision).toBe(0.5)
    expect(tokenF1('a b', 'a b c d')).toMatchObject({ precision: 1, recall: 0.5 })
    expect(tokenF1('', '')).toMatchObject({ f1: 1 })
    expect(tokenF1('menu', '')).toMatchObject({ f1: 0 })
  })
})
