import fs from 'node:fs'

/**
 * Function words: running prose is full of them, menus, link lists and captions are not (the jusText observation).
 * English words are a common-word list written for this module, joined by the function words of 22 more languages
 * that language identification keeps in ../data/stopwords.txt; for Chinese, characters that are grammatical
 * particles or very common function morphemes.
 */
const EN = `a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each even few for from further had has
have having he her here hers herself him himself his how however i if in into is it its itself just like may me might
more most much must my myself no nor not now of off on once one only or other our ours ourselves out over own same she
should since so some still such than that the their theirs them themselves then there these they this those through
to too under until up upon very was we were what when where whether which while who whom whose why will with within
without would yet you your yours yourself yourselves said says new many well two first made make back get got us
every never though around another`

function otherLanguages (): string[] {
  return fs.readFileSync(new URL('../data/stopwords.txt', import.meta.url), 'utf8').split('\n')
    .filter(line => line !== '' && !line.startsWith('#')).flatMap(line => line.split(' ').slice(1))
}

export const STOPWORDS = new Set([...EN.split(/\s+/), ...otherLanguages()])

export const ZH_FUNCTION_CHARS = new Set([...'的了是在和有我这不也就人都一个上们来到说为以对他中与而及之其等将被把从于所很还没她它你么吗呢吧着过要会能可但并或让给向由地得'])
