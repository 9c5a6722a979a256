import fs from 'node:fs'
import zlib from 'node:zlib'
import { expect, test } from 'vitest'
import { documentId } from '../../../schemas/ids.ts'
import { normalizeUrl } from '../../../streams/dedup/url.ts'
import { SHARED } from '../../helpers/readers.ts'

test.each([
  ['scheme and host case', 'HTTP://Example.COM/Path', 'http://example.com/Path'],
  ['default ports', 'https://example.com:443/a', 'https://example.com/a'],
  ['default http port', 'http://example.com:80/a', 'http://example.com/a'],
  ['other ports stay', 'http://example.com:8080/a', 'http://example.com:8080/a'],
  ['fragment', 'https://example.com/a#section-2', 'https://example.com/a'],
  ['utm_* parameters', 'https://example.com/a?utm_source=news&utm_medium=email&id=7', 'https://example.com/a?id=7'],
  ['click ids', 'https://example.com/a?gclid=1&fbclid=2&yclid=3&msclkid=4', 'https://example.com/a'],
  ['mailchimp, alibaba, wechat', 'https://example.com/a?mc_cid=1&mc_eid=2&spm=a2.b&from=timeline&isappinstalled=0', 'https://example.com/a'],
  ['tracking names in any case', 'https://example.com/a?UTM_Source=x&GCLID=y&q=1', 'https://example.com/a?q=1'],
  ['sorted parameters', 'https://example.com/s?q=x&a=1&b=2', 'https://example.com/s?a=1&b=2&q=x'],
  ['repeated names keep their order', 'https://example.com/s?b=1&a=2&a=1', 'https://example.com/s?a=2&a=1&b=1'],
  ['empty query and empty pairs', 'https://example.com/s?&&', 'https://example.com/s'],
  ['duplicate slashes', 'https://example.com//a///b', 'https://example.com/a/b'],
  ['trailing slash', 'https://example.com/a/', 'https://example.com/a'],
  ['root keeps its slash', 'https://example.com', 'https://example.com/'],
  ['index.html', 'https://example.com/a/index.html', 'https://example.com/a'],
  ['default.aspx, any case', 'https://example.com/Default.ASPX', 'https://example.com/'],
  ['other documents stay', 'https://example.com/a/page.html', 'https://example.com/a/page.html'],
  ['dot segments', 'https://example.com/a/./b/../c', 'https://example.com/a/c'],
  ['credentials', 'https://user:secret@example.com/a', 'https://example.com/a'],
  ['trailing host dot', 'https://example.com./a', 'https://example.com/a'],
  ['IDN host as punycode', 'https://Bücher.example/a', 'https://xn--bcher-kva.example/a'],
  ['percent-escapes', 'https://example.com/%7euser/%e4%bd%a0?q=%2f', 'https://example.com/~user/%E4%BD%A0?q=%2F'],
  ['session id in the path', 'http://cpdlab.eun.org/related-projects;jsessionid=2015C1DD1629DCBB65DCCDC2176D6850', 'http://cpdlab.eun.org/related-projects'],
  ['http and https stay apart', 'http://example.com/a', 'http://example.com/a'],
  ['surrounding space', '  https://example.com/a  ', 'https://example.com/a']
])('%s', (_, url, expected) => {
  expect(normalizeUrl(url)).toBe(expected)
})

test.each(['', 'not a url', 'example.com/a', 'http://', 'mailto:someone@example.com', 'ftp://example.com/file', 'javascript:alert(1)', 'http://[::1'])('%j is not a web URL: null, no throw', (url) => {
  expect(normalizeUrl(url)).toBeNull()
})

test('is idempotent on real crawl URLs', () => {
  const docs = zlib.gunzipSync(fs.readFileSync(`${SHARED}/dedup/dolma-documents-000.json.gz`)).toString('utf8').trim().split('\n').map(l => JSON.parse(l))
  for (const d of docs) {
    const once = normalizeUrl(d.metadata.url)
    expect(once).not.toBeNull()
    expect(normalizeUrl(once as string)).toBe(once)
  }
})

test('document ids are unchanged by the shared parse', () => {
  // the value ids had before URL dedup shared their parser: the lake's ids must not move
  expect(documentId('HTTP://Example.COM:80/a#frag', '')).toBe(documentId('http://example.com/a', 'other'))
  expect(documentId('https://example.com/a/?utm_source=x', '')).not.toBe(documentId('https://example.com/a', ''))
  expect(documentId('not a url', '')).toBe(documentId(' not a url ', ''))
})
