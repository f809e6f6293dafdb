/**
 * Cuts streamed text (an LLM's tokens, arriving in pieces) into sentences as soon as each is
 * complete, so each can be spoken while the rest is still being written. A sentence ends at
 * `.`, `!`, `?`, `…` (or their CJK forms) followed by white space, or at a line break; a
 * CJK terminator ends it at once. Common abbreviations (`Mr.`, `e.g.`) and numbers (`3.5`)
 * do not end a sentence. Pure: no timers.
 *
 * @example
 * const s = new SentenceSplitter();
 * s.push('Hello there. How a'); // ['Hello there.']
 * s.push('re you?');            // [] (the end is not certain until white space follows)
 * s.end();                      // ['How are you?']
 */
export class SentenceSplitter {
  /** Longest text held without a sentence end before it is cut anyway, characters. */
  readonly maxSentenceChars: number;
  #buffer = '';

  constructor(options: { maxSentenceChars?: number } = {}) {
    this.maxSentenceChars = options.maxSentenceChars ?? 400;
  }

  /** Text held back, waiting for its sentence to end. */
  get pending(): string {
    return this.#buffer;
  }

  /** Appends a piece of text; returns the sentences it completed, in order. */
  push(text: string): string[] {
    this.#buffer += text;
    const out: string[] = [];
    for (let cut = findEnd(this.#buffer); cut > 0; cut = findEnd(this.#buffer)) {
      this.#emit(this.#buffer.slice(0, cut), out);
      this.#buffer = this.#buffer.slice(cut);
    }
    while (this.#buffer.length > this.maxSentenceChars) {
      const space = this.#buffer.lastIndexOf(' ', this.maxSentenceChars);
      const cut = space > 0 ? space : this.maxSentenceChars;
      this.#emit(this.#buffer.slice(0, cut), out);
      this.#buffer = this.#buffer.slice(cut);
    }
    return out;
  }

  /** The text is complete: returns what was left (a last sentence without terminator). */
  end(): string[] {
    const out: string[] = [];
    this.#emit(this.#buffer, out);
    this.#buffer = '';
    return out;
  }

  /** Drops what is held (the turn was interrupted). */
  clear(): void {
    this.#buffer = '';
  }

  #emit(text: string, out: string[]): void {
    const sentence = text.replace(/\s+/g, ' ').trim();
    if (/[\p{L}\p{N}]/u.test(sentence)) out.push(sentence);
  }
}

const ABBREVIATIONS = new Set([
  'mr',
  'mrs',
  'ms',
  'dr',
  'prof',
  'st',
  'vs',
  'etc',
  'e.g',
  'i.e',
  'no',
]);
const CJK_END = /[。！？]/u;

/** Index just after the first certain sentence end in `text`, or 0 when there is none yet. */
function findEnd(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\n') return i + 1;
    if (CJK_END.test(c)) return i + 1;
    if (c !== '.' && c !== '!' && c !== '?' && c !== '…') continue;
    let j = i + 1;
    while (j < text.length && /[.!?…"'”’)\]]/u.test(text[j] as string)) j++;
    if (j >= text.length) return 0; // the next piece decides (more punctuation, a digit, a space)
    if (!/\s/.test(text[j] as string)) {
      i = j - 1;
      continue;
    }
    if (c === '.' && isAbbreviation(text, i)) continue;
    return j;
  }
  return 0;
}

function isAbbreviation(text: string, dot: number): boolean {
  const word = /([\p{L}.]+)$/u.exec(text.slice(0, dot))?.[1]?.toLowerCase() ?? '';
  return ABBREVIATIONS.has(word) || /^\p{L}$/u.test(word);
}
