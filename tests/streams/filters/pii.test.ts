import { expect, test } from 'vitest'
import { luhn, maskPii, validResidentId } from '../../../streams/filters/pii.ts'
import { applyFilters } from '../../../streams/filters/index.ts'
import { compileFilters } from '../../../streams/filters/config.ts'
import { doc, enC4 } from './docs.ts'

const MASK = { email: '<EMAIL>', phone: '<PHONE>', id: '<ID>' }

test('masks e-mails, Chinese and international phones, resident IDs, SSNs and card numbers', () => {
  const text = [
    '联系邮箱：zhang.san+news@mail.example.com.cn，或 info@sluice.dev。',
    '手机 13812345678，+86 139-1234-5678，0086 150 1234 5678；座机 010-12345678，(0755)87654321 转 021-5555666-12。',
    'Call +44 20 7946 0958 or +1 (415) 555-2671.',
    '身份证号 11010519491231002X，SSN 123-45-6789，card 4111 1111 1111 1111.'
  ].join('\n')
  const r = maskPii(text, MASK)
  expect(r.counts).toEqual({ email: 2, phone: 8, id: 3 })
  expect(r.text).not.toMatch(/\d{5}/)
  expect(r.text).toContain('联系邮箱：<EMAIL>，或 <EMAIL>。')
  expect(r.text).toContain('身份证号 <ID>')
})

test('leaves dates, prices, versions, ISBNs, bad checksums and long numbers alone', () => {
  const text = [
    '发布时间：2021-10-15 16:18:34，2022/03/21，2021.04.17，20211015。',
    '价格 ¥1,380.00，共 13800 元，$4,111.11，人口 45250 人，邮编 150105，区号 0471。',
    'Version 1.35.0, node v20.19.43, IP 192.168.100.200, build 2.5.10-rc.1.',
    'ISBN 978-3-16-148410-0, ISBN-13 9783161484100, ISBN 0-306-40615-2.',
    '身份证 110105194912310021 (bad check digit), order 202110151234567890123, card 4111 1111 1111 1112.',
    'tracking 13812345678901, ratio 3.1415926535, unix 1634567890123, x@y, a@b.c'
  ].join('\n')
  const r = maskPii(text, MASK)
  expect(r.counts).toEqual({ email: 0, phone: 0, id: 0 })
  expect(r.text).toBe(text)
})

test('check digits: ISO 7064 MOD 11-2 and Luhn', () => {
  expect(validResidentId('11010519491231002X')).toBe(true)
  expect(validResidentId('110105194912310021')).toBe(false)
  expect(luhn('4111111111111111')).toBe(true)
  expect(luhn('4111111111111112')).toBe(false)
})

test('the operator masks kept documents, counts per kind, and can count without masking or be off', () => {
  const text = `${enC4().find(t => t.length > 2000)!}\nWrite to press@example.org or call +1 415 555 2671.`
  const masked = applyFilters(doc(text), compileFilters({ ruleSets: ['ziya2'] }))
  expect(masked.doc.text).toContain('Write to <EMAIL> or call <PHONE>.')
  expect(masked.doc.signals).toMatchObject({ pii_email: 1, pii_phone: 1, pii_id: 0 })
  const counted = applyFilters(doc(text), compileFilters({ ruleSets: ['ziya2'], pii: { mask: { email: null, phone: '[tel]' } } }))
  expect(counted.doc.text).toContain('Write to press@example.org or call [tel].')
  expect(counted.doc.signals.pii_email).toBe(1)
  const off = applyFilters(doc(text), compileFilters({ ruleSets: ['ziya2'], pii: { enabled: false } }))
  expect(off.doc.text).toBe(text)
  expect(off.doc.signals).not.toHaveProperty('pii_email')
})
