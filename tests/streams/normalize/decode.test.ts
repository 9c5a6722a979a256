import { expect, test } from 'vitest'
import { charsetCases, realPages } from '../../../ops/bench/clean.ts'
import { decodeBody } from '../../../streams/normalize/decode.ts'
import { detectCharset } from '../../../streams/normalize/decode-detect.ts'
import { encodeText } from '../../../streams/normalize/decode-encoder.ts'
import { decodeAs } from '../../../streams/normalize/decode-text.ts'

const cases = charsetCases(400)
const ZH = '北京市是中华人民共和国的首都，也是全国的政治、文化中心。'
const gbk = (text: string): Uint8Array => encodeText(text, 'gb18030')!

function nonAscii (text: string): number {
  return text.replace(/[\x00-\x7f]/g, '').length
}

test.each(['gb18030', 'big5', 'shift_jis', 'euc-jp', 'euc-kr', 'windows-1252', 'utf-8'])('%s text without any declaration comes back exactly', charset => {
  const mine = cases.filter(c => c.charset === charset)
  expect(mine.length).toBeGreaterThan(5)
  const wrong = mine.filter(c => decodeBody(c.bytes, null).text !== c.text)
  // texts with a dozen or more non-ASCII characters carry enough evidence: none may fail
  expect(wrong.filter(c => nonAscii(c.text) >= 12).map(c => c.text.slice(0, 40))).toEqual([])
  expect(wrong.length / mine.length).toBeLessThan(0.02)
})

test('a declaration that the bytes contradict is overruled, and the label is kept as a signal', () => {
  const latin1Said = decodeBody(gbk(ZH), 'text/html; charset=iso-8859-1')
  expect(latin1Said).toMatchObject({ text: ZH, charset: 'gb18030', from: 'detected' })
  expect(latin1Said.signals.decode_declared).toBe('iso-8859-1')
  const big5Said = decodeBody(gbk(ZH), 'text/html; charset=big5')
  expect(big5Said).toMatchObject({ text: ZH, charset: 'gb18030', from: 'detected' })
  const utf8Bytes = new TextEncoder().encode('Café “crème” — 北京')
  expect(decodeBody(utf8Bytes, 'text/html; charset=ISO-8859-1')).toMatchObject({ text: 'Café “crème” — 北京', charset: 'utf-8', from: 'detected' })
  const said8 = decodeBody(gbk(ZH), 'text/html; charset=utf-8')
  expect(said8).toMatchObject({ text: ZH, charset: 'gb18030', from: 'detected' })
})

test('gb2312 is read as GB18030, so GBK-only characters survive', () => {
  const text = '朱镕基总理和王喆、李堃在会上发言。'
  const out = decodeBody(gbk(text), 'text/html; charset=gb2312')
  expect(out).toMatchObject({ text, charset: 'gb18030', from: 'http', confidence: 1 })
})

test('iso-8859-1 and us-ascii mean windows-1252: 0x92 is a right quote, not a C1 control', () => {
  const bytes = Uint8Array.from([...Buffer.from('It'), 0x92, ...Buffer.from('s 5 '), 0x80, 0x20, 0x93, ...Buffer.from('ok'), 0x94])
  for (const label of ['iso-8859-1', 'us-ascii', 'windows-1252']) {
    expect(decodeBody(bytes, `text/html; charset=${label}`)).toMatchObject({ text: 'It’s 5 € “ok”', charset: 'windows-1252', from: 'http' })
  }
  expect(decodeBody(bytes, null)).toMatchObject({ text: 'It’s 5 € “ok”', charset: 'windows-1252', from: 'detected' })
})

test('meta declarations are found when HTTP says nothing; HTTP wins when both fit', () => {
  const page = (meta: string): Uint8Array => Uint8Array.from([...Buffer.from(`<html><head>${meta}<title>`), ...gbk(ZH), ...Buffer.from('</title>')])
  expect(decodeBody(page('<meta charset="gbk">'), 'text/html')).toMatchObject({ charset: 'gb18030', from: 'meta' })
  expect(decodeBody(page('<meta http-equiv="Content-Type" content="text/html; charset=GB2312">'), null)).toMatchObject({ charset: 'gb18030', from: 'meta' })
  expect(decodeBody(page('<meta charset="gbk">'), 'text/html; charset=GB18030').from).toBe('http')
  expect(decodeBody(page('<meta charset="no-such-charset">'), null)).toMatchObject({ charset: 'gb18030', from: 'detected' })
})

test('a declared charset detection does not model is kept when it decodes cleanly', () => {
  const russian = 'Москва — столица России.'
  const bytes = encodeText(russian, 'windows-1251')!
  expect(decodeBody(bytes, 'text/html; charset=windows-1251')).toMatchObject({ text: russian, charset: 'windows-1251', from: 'http' })
})

test('a byte-order mark beats every declaration and is not part of the text', () => {
  const utf8 = Uint8Array.from([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(ZH)])
  expect(decodeBody(utf8, 'text/html; charset=gbk')).toMatchObject({ text: ZH, charset: 'utf-8', from: 'bom', confidence: 1 })
  const le = Uint8Array.from([0xff, 0xfe, ...Buffer.from(ZH, 'utf16le')])
  expect(decodeBody(le, null)).toMatchObject({ text: ZH, charset: 'utf-16le', from: 'bom' })
  const be = Uint8Array.from([0xfe, 0xff, ...Buffer.from(ZH, 'utf16le').swap16()])
  expect(decodeBody(be, 'text/html; charset=iso-8859-1')).toMatchObject({ text: ZH, charset: 'utf-16be', from: 'bom' })
})

test('ASCII needs no detection; signals say what was decided', () => {
  expect(decodeBody(Buffer.from('<p>plain</p>'), null)).toMatchObject({ text: '<p>plain</p>', charset: 'utf-8', from: 'default' })
  const out = decodeBody(Uint8Array.from([...gbk(ZH), 0xff]), null)
  expect(out.signals).toMatchObject({ decode_charset: 'gb18030', decode_from: 'detected', decode_replacement_chars: 1 })
  expect(out.signals.decode_confidence).toBeGreaterThan(0.3)
})

test('real pages: decodeBody agrees with the reference charset on every one, detection alone on 99%', async () => {
  const pages = await realPages()
  const labelled = pages.filter(p => p.reference !== null)
  expect(labelled.length).toBeGreaterThan(1000)
  const same = (body: Uint8Array, a: string, b: string): boolean => decodeAs(body, a) === decodeAs(body, b)
  expect(labelled.filter(p => !same(p.body, decodeBody(p.body, p.contentType).charset, p.reference!)).map(p => p.name)).toEqual([])
  const blind = labelled.filter(p => same(p.body, detectCharset(p.body).charset, p.reference!))
  expect(blind.length / labelled.length).toBeGreaterThan(0.99)
  // the GBK and GB2312 pages of the Common Crawl sample, with and without their declarations
  const chinese = labelled.filter(p => p.reference === 'gb18030')
  expect(chinese.length).toBeGreaterThanOrEqual(6)
  for (const p of chinese) {
    expect(detectCharset(p.body).charset).toBe('gb18030')
    expect(decodeBody(p.body, p.contentType).text).not.toContain('\ufffd')
  }
  // pages that say ISO-8859-1 but are UTF-8 (page-signal has dozens) are read as UTF-8
  const misdeclared = pages.filter(p => p.reference === 'utf-8' && /charset=["']?iso-8859-1/i.test(Buffer.from(p.body.subarray(0, 4096)).toString('latin1')))
  expect(misdeclared.length).toBeGreaterThan(20)
  for (const p of misdeclared) expect(decodeBody(p.body, p.contentType).charset).toBe('utf-8')
}, 120_000)
