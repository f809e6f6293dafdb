import { describe, expect, it } from 'vitest';
import { SentenceSplitter } from '../../src/live/sentences.ts';

describe('SentenceSplitter (streamed text → sentences as soon as each is complete)', () => {
  it('emits a sentence once white space follows its end, however the text is cut', () => {
    const text = 'Hello there! How are you today? I am fine… Thanks.';
    const whole = new SentenceSplitter();
    const expected = [...whole.push(text), ...whole.end()];
    expect(expected).toEqual(['Hello there!', 'How are you today?', 'I am fine…', 'Thanks.']);
    // token by token, as an LLM streams: the same sentences, each as early as it is certain
    const s = new SentenceSplitter();
    const seen: { sentence: string; at: number }[] = [];
    const tokens = text.match(/\S+\s*/g) ?? [];
    tokens.forEach((token, i) => {
      for (const sentence of s.push(token)) seen.push({ sentence, at: i });
    });
    for (const sentence of s.end()) seen.push({ sentence, at: tokens.length });
    expect(seen.map((x) => x.sentence)).toEqual(expected);
    expect(seen[0]?.at).toBe(1); // "there! " completes the first sentence at the 2nd token
  });

  it('waits when the end is not certain yet, and does not cut numbers or abbreviations', () => {
    const s = new SentenceSplitter();
    expect(s.push('It costs 3.')).toEqual([]);
    expect(s.push('5 dollars, said Dr. Smith, e.g. today. Next')).toEqual([
      'It costs 3.5 dollars, said Dr. Smith, e.g. today.',
    ]);
    expect(s.pending.trim()).toBe('Next');
    expect(s.push(' line\nand "quoted!" more')).toEqual(['Next line', 'and "quoted!"']);
    expect(s.end()).toEqual(['more']);
  });

  it('cuts CJK sentences at their terminator, drops empty ones, and bounds a run-on text', () => {
    const s = new SentenceSplitter({ maxSentenceChars: 20 });
    expect(s.push('你好。谢谢！')).toEqual(['你好。', '谢谢！']);
    expect(s.push(' ... !! ')).toEqual([]);
    const long = s.push('one two three four five six seven');
    expect(long[0]).toBe('one two three four');
    expect(s.end()).toEqual(['five six seven']);
    s.push('dropped');
    s.clear();
    expect(s.end()).toEqual([]);
  });
});
