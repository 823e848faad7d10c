/**
 * Text -> terms for the keyword index. One pipeline for every language:
 *
 * 1. NFKC normalisation (full-width letters and digits, ligatures and
 *    compatibility forms become their plain forms), then lowercase;
 * 2. `Intl.Segmenter(language, { granularity: 'word' })`, keeping the
 *    word-like segments: Unicode word boundaries (UAX #29, the rules of
 *    Lucene's StandardTokenizer) for alphabetic scripts, ICU's dictionaries
 *    for Chinese, Japanese and Thai. Node ships full ICU. Whitespace
 *    always separates words, so each whitespace-free chunk is segmented
 *    alone, and all-ASCII chunks (most of English text) by `scanAscii`,
 *    which applies the same rules about 20 times faster (a property test
 *    holds it to Intl.Segmenter's output);
 * 3. runs of adjacent Chinese, Japanese or Korean segments become terms as
 *    `cjk` says: dictionary words, overlapping character bigrams (Lucene's
 *    CJKAnalyzer), or both;
 * 4. the typographic apostrophe (U+2019) reads as `'`; English only: a
 *    trailing possessive `'s` is dropped (Lucene's EnglishPossessiveFilter);
 * 5. stopwords are dropped (lists from the `stopword` package, per
 *    language), then English words are Porter-stemmed (`stemmer` package).
 *    Tokens longer than MAX_TOKEN_LENGTH are dropped.
 *
 * Defaults, measured with bench/quality.bench.ts (nDCG@10; BM25 k1 1.2,
 * b 0.75; title + text in one field; one change from the defaults per row):
 *
 * | SciFact, 300 test queries  | nDCG@10 | R@100 |
 * |----------------------------|--------:|------:|
 * | stemming + stopwords (def) |  0.6826 | 0.928 |
 * | no stemming                |  0.6696 | 0.886 |
 * | no stopwords               |  0.6845 | 0.928 |
 * | neither                    |  0.6622 | 0.883 |
 *
 * | zh/ja/ko runs as | XQuAD zh | CMRC dev | CMRC titles as queries |
 * |------------------|---------:|---------:|-----------------------:|
 * | words            |   0.9608 |   0.9880 |                 0.9818 |
 * | bigrams          |   0.9634 |   0.9845 |                 0.9838 |
 * | both (default)   |   0.9646 |   0.9882 |                 0.9840 |
 *
 * Stemming is worth 1.3 points on SciFact (4 of recall@100). English
 * stopwords change nDCG by under 0.2 points either way (SciFact -0.0019,
 * XQuAD en +0.0023) and keep the longest postings out of the index, so they
 * stay on. `both` is best or tied on all three CJK sets for about twice the
 * postings of CJK text; Chinese stopwords change nothing measurable
 * (XQuAD zh -0.0006, CMRC +0.0003), so they are off for zh/ja/ko.
 *
 * The pipeline's output is part of the keyword index's snapshots: change
 * anything here and bump TOKENIZER_VERSION, so old snapshots are rebuilt.
 */
import { stemmer } from 'stemmer';
import * as stopwordLists from 'stopword';
import { createError } from '../errors.js';
import {
  CJK_MODES,
  DEFAULT_CJK_MODE,
  DEFAULT_TEXT_LANGUAGE,
  MAX_TOKEN_LENGTH,
  TEXT_LANGUAGES,
  type CjkMode,
  type TextLanguage,
} from '../options.js';

/** Version of the pipeline above; snapshots made by another version are not loaded. */
export const TOKENIZER_VERSION = 1;

export interface TextOptions {
  /** One of TEXT_LANGUAGES. Default DEFAULT_TEXT_LANGUAGE (`en`). */
  language?: TextLanguage;
  /** Porter stemming (`en` only). Default true for `en`, false otherwise. */
  stemming?: boolean;
  /** Drop the language's stopwords. Default true for `en`, false otherwise. */
  stopwords?: boolean;
  /** Chinese/Japanese/Korean runs as `words`, `bigrams` or `both`. Default DEFAULT_CJK_MODE. */
  cjk?: CjkMode;
}

export interface ResolvedTextOptions {
  readonly language: TextLanguage;
  readonly stemming: boolean;
  readonly stopwords: boolean;
  readonly cjk: CjkMode;
}

/** Text in, terms out, with repeats, in text order (in `both` mode a CJK run's bigrams follow its words). */
export type Tokenizer = (text: string) => string[];

/** Languages whose stemming is on by default, and the only ones that can stem. */
const STEMMED: ReadonlySet<TextLanguage> = new Set(['en']);
/** Languages whose stopwords are dropped by default. */
const STOPWORDS_BY_DEFAULT: ReadonlySet<TextLanguage> = new Set(['en']);

/** Our language codes (ISO 639-1) -> the `stopword` package's lists (ISO 639-3). */
const STOPWORD_LISTS: Readonly<Record<TextLanguage, readonly string[]>> = {
  en: stopwordLists.eng,
  zh: stopwordLists.zho,
  ja: stopwordLists.jpn,
  ko: stopwordLists.kor,
  de: stopwordLists.deu,
  fr: stopwordLists.fra,
  es: stopwordLists.spa,
  it: stopwordLists.ita,
  pt: stopwordLists.por,
  nl: stopwordLists.nld,
  sv: stopwordLists.swe,
  da: stopwordLists.dan,
  fi: stopwordLists.fin,
  nb: stopwordLists.nob,
  pl: stopwordLists.pol,
  ru: stopwordLists.rus,
  tr: stopwordLists.tur,
  ar: stopwordLists.ara,
  hi: stopwordLists.hin,
};

const KNOWN_KEYS = new Set(['language', 'stemming', 'stopwords', 'cjk']);

/** Merges defaults, checks every field and throws one INVALID_OPTIONS listing all problems. */
export function resolveTextOptions(input: unknown = {}): ResolvedTextOptions {
  if (input === undefined) input = {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw createError('INVALID_OPTIONS', ['text options must be an object']);
  }
  const options = input as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(options)) {
    if (!KNOWN_KEYS.has(key)) problems.push(`unknown option 'text.${key}'`);
  }
  const { language = DEFAULT_TEXT_LANGUAGE, cjk = DEFAULT_CJK_MODE } = options;
  const known = TEXT_LANGUAGES.includes(language as TextLanguage);
  if (!known) problems.push(`text.language must be one of ${TEXT_LANGUAGES.join(', ')}, got ${String(language)}`);
  const { stemming = known && STEMMED.has(language as TextLanguage), stopwords = known && STOPWORDS_BY_DEFAULT.has(language as TextLanguage) } = options;
  if (typeof stemming !== 'boolean') problems.push(`text.stemming must be a boolean, got ${String(stemming)}`);
  else if (stemming && known && !STEMMED.has(language as TextLanguage)) {
    problems.push(`text.stemming is available for ${[...STEMMED].join(', ')} only, got language ${String(language)}`);
  }
  if (typeof stopwords !== 'boolean') problems.push(`text.stopwords must be a boolean, got ${String(stopwords)}`);
  if (!CJK_MODES.includes(cjk as CjkMode)) problems.push(`text.cjk must be one of ${CJK_MODES.join(', ')}, got ${String(cjk)}`);
  if (problems.length > 0) throw createError('INVALID_OPTIONS', problems);
  return Object.freeze({
    language: language as TextLanguage,
    stemming: stemming as boolean,
    stopwords: stopwords as boolean,
    cjk: cjk as CjkMode,
  });
}

/** Whether two resolved option sets tokenize identically. */
export function sameTextOptions(a: ResolvedTextOptions, b: ResolvedTextOptions): boolean {
  return a.language === b.language && a.stemming === b.stemming && a.stopwords === b.stopwords && a.cjk === b.cjk;
}

/**
 * Characters segmented as CJK: Han, Hiragana, Katakana, Hangul, by script
 * extension so that marks shared by the scripts (the prolonged sound mark
 * U+30FC, the iteration mark U+3005) stay inside their runs.
 */
const CJK_CHAR = /[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Hangul}]/u;
const ALL_CJK = /^[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Hangul}]+$/u;
const LOWER_LATIN = /^[a-z]+$/;
/** Stems cached per tokenizer, up to this many distinct words (then the cache starts over). */
const STEM_CACHE_SIZE = 100_000;

/** The tokenizer for a collection's resolved text options. */
export function createTokenizer(options: ResolvedTextOptions = resolveTextOptions({})): Tokenizer {
  const { language, stemming, cjk } = options;
  const segmenter = new Intl.Segmenter(language, { granularity: 'word' });
  const stopwords = options.stopwords ? new Set(STOPWORD_LISTS[language]) : undefined;
  const possessive = language === 'en';
  const words = cjk !== 'bigrams';
  const bigrams = cjk !== 'words';
  const stems = new Map<string, string>();

  const stem = (word: string): string => {
    let stemmed = stems.get(word);
    if (stemmed === undefined) {
      stemmed = LOWER_LATIN.test(word) ? stemmer(word) : word;
      if (stems.size >= STEM_CACHE_SIZE) stems.clear();
      stems.set(word, stemmed);
    }
    return stemmed;
  };

  const emit = (word: string, out: string[]): void => {
    if (word.length > MAX_TOKEN_LENGTH) return;
    // U+2019 (right single quotation mark) is the typographic apostrophe: "don’t" is "don't".
    if (word.includes('\u2019')) word = word.replaceAll('\u2019', "'");
    if (possessive && word.length > 2 && word.endsWith("'s")) word = word.slice(0, -2);
    if (stopwords?.has(word)) return;
    out.push(stemming ? stem(word) : word);
  };

  /** Bigrams of the characters (code points) of one CJK run; a one-character run is its own term. */
  const emitRun = (run: string, out: string[]): void => {
    const chars = Array.from(run);
    if (chars.length === 1) {
      out.push(chars[0]!);
      return;
    }
    for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  };

  /** Word-like segments of a chunk (text without whitespace) that holds non-ASCII characters. */
  const segmentChunk = (chunk: string, out: string[]): void => {
    let run = '';
    let runEnd = -1;
    for (const { segment, index, isWordLike } of segmenter.segment(chunk)) {
      if (!isWordLike) continue;
      if (CJK_CHAR.test(segment) && ALL_CJK.test(segment)) {
        if (words && !(stopwords?.has(segment))) out.push(segment);
        if (bigrams) {
          if (index !== runEnd && run !== '') {
            emitRun(run, out);
            run = '';
          }
          run += segment;
          runEnd = index + segment.length;
        }
        continue;
      }
      if (run !== '') {
        emitRun(run, out);
        run = '';
      }
      if (!UNDERSCORES.test(segment)) emit(segment, out);
    }
    if (run !== '') emitRun(run, out);
  };

  /**
   * Word-like segments of an all-ASCII chunk by the UAX #29 rules that
   * apply to ASCII, as ICU does (the tests compare the two): letters,
   * digits and `_` join; `:` `.` `'` join two letters, `,` `;` `.` `'` join
   * two digits; everything else separates.
   */
  const scanAscii = (text: string, from: number, to: number, out: string[]): void => {
    let i = from;
    while (i < to) {
      if (!isWordChar(text.charCodeAt(i))) {
        i++;
        continue;
      }
      const start = i;
      let wordLike = false;
      for (;;) {
        let c = text.charCodeAt(i);
        while (i < to && isWordChar(c)) {
          if (c !== UNDERSCORE) wordLike = true;
          c = text.charCodeAt(++i);
        }
        if (i + 1 >= to) break;
        const before = text.charCodeAt(i - 1);
        const after = text.charCodeAt(i + 1);
        const joinsLetters = isLetter(before) && isLetter(after) && (c === COLON || c === PERIOD || c === APOSTROPHE);
        const joinsDigits = isDigit(before) && isDigit(after) && (c === COMMA || c === SEMICOLON || c === PERIOD || c === APOSTROPHE);
        if (!joinsLetters && !joinsDigits) break;
        i++;
      }
      if (wordLike) emit(text.slice(start, i), out);
    }
  };

  return (text: string): string[] => {
    const out: string[] = [];
    if (typeof text !== 'string' || text.length === 0) return out;
    const normalized = text.normalize('NFKC').toLowerCase();
    const n = normalized.length;
    // Whitespace always separates words (UAX #29), so chunks between it are segmented alone:
    // ASCII chunks by scanAscii (about 20x faster than Intl.Segmenter), others by the segmenter.
    let i = 0;
    while (i < n) {
      let c = normalized.charCodeAt(i);
      if (isSpace(c)) {
        i++;
        continue;
      }
      const start = i;
      let ascii = true;
      while (i < n && !isSpace(c)) {
        if (c >= 0x80) ascii = false;
        c = normalized.charCodeAt(++i);
      }
      if (ascii) scanAscii(normalized, start, i, out);
      else segmentChunk(normalized.slice(start, i), out);
    }
    return out;
  };
}

const UNDERSCORE = 0x5f;
const COLON = 0x3a;
const PERIOD = 0x2e;
const APOSTROPHE = 0x27;
const COMMA = 0x2c;
const SEMICOLON = 0x3b;
/** Word-like segments made of connector punctuation only (`__`) are not words. */
const UNDERSCORES = /^[_\u203f\u2040\u2054]+$/;

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isWordChar(c: number): boolean {
  return isLetter(c) || isDigit(c) || c === UNDERSCORE;
}
