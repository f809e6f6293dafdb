import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { Registry } from '../../src/server/metrics.ts';
import { parseRange } from '../../src/server/range.ts';
import { sniffMedia } from '../../src/server/sniff.ts';
import { fixture } from '../helpers/media.ts';

const head = async (path: string) => new Uint8Array((await readFile(path)).subarray(0, 16));
const bytes = (...values: number[]) => new Uint8Array([...values, ...new Array(16).fill(0)]);
const text = (s: string) => new TextEncoder().encode(s.padEnd(16, ' '));

describe('sniffMedia', () => {
  it('recognises the fixtures by content', async () => {
    expect(sniffMedia(await head(fixture('speech/jfk.wav')))?.format).toBe('wav');
    expect(sniffMedia(await head(fixture('speech/jfk.mp3')))).toMatchObject({
      kind: 'audio',
      format: 'mp3',
    });
  });

  it('recognises image, audio and container signatures', () => {
    expect(sniffMedia(bytes(0xff, 0xd8, 0xff, 0xe0))?.format).toBe('jpeg');
    expect(sniffMedia(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a))?.format).toBe('png');
    expect(sniffMedia(text('RIFF\0\0\0\0WEBPVP8 '))?.kind).toBe('image');
    expect(sniffMedia(text('OggS'))?.format).toBe('ogg');
    expect(sniffMedia(text('fLaC'))?.format).toBe('flac');
    expect(sniffMedia(bytes(0xff, 0xfb, 0x90, 0x64))?.format).toBe('mp3');
    expect(sniffMedia(bytes(0xff, 0xf1, 0x50, 0x80))?.format).toBe('aac');
    expect(sniffMedia(text('\0\0\0\x20ftypisom'))?.kind).toBe('av-container');
    expect(sniffMedia(bytes(0x1a, 0x45, 0xdf, 0xa3))?.format).toBe('matroska');
  });

  it('rejects text, HTML and almost-signatures', () => {
    expect(sniffMedia(text('hello, this is not audio'))).toBeUndefined();
    expect(sniffMedia(text('<!doctype html>'))).toBeUndefined();
    expect(sniffMedia(text('RIFF\0\0\0\0AVI LIST'))).toBeUndefined();
    // MPEG sync with a reserved layer / bad bitrate is not an MP3 frame.
    expect(sniffMedia(bytes(0xff, 0xe0, 0x00, 0x00))).toBeUndefined();
    expect(sniffMedia(bytes(0xff, 0xfb, 0xf0, 0x00))).toBeUndefined();
    expect(sniffMedia(new Uint8Array(0))).toBeUndefined();
  });
});

describe('parseRange', () => {
  it('parses the three single-range forms', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=900-', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=990-5000', 1000)).toEqual({ start: 990, end: 999 });
    expect(parseRange('bytes=-5000', 1000)).toEqual({ start: 0, end: 999 });
  });

  it('ignores what it may ignore and refuses unsatisfiable ranges', () => {
    expect(parseRange(undefined, 1000)).toBeUndefined();
    expect(parseRange('items=0-1', 1000)).toBeUndefined();
    expect(parseRange('bytes=0-1,5-6', 1000)).toBeUndefined();
    expect(parseRange('bytes=50-10', 1000)).toBeUndefined();
    expect(() => parseRange('bytes=1000-', 1000)).toThrow(
      expect.objectContaining({ code: 'RANGE_NOT_SATISFIABLE' }),
    );
    expect(() => parseRange('bytes=-0', 1000)).toThrow(
      expect.objectContaining({ code: 'RANGE_NOT_SATISFIABLE' }),
    );
  });
});

describe('Prometheus registry', () => {
  it('renders counters, gauges and cumulative histogram buckets in the text format', () => {
    const registry = new Registry();
    const counter = registry.counter('x_total', 'Things.');
    counter.inc({ kind: 'a"b' });
    counter.inc({ kind: 'a"b' }, 2);
    registry.gauge('x_level', 'Level.', () => [[{ state: 'queued' }, 3]]);
    const histogram = registry.histogram('x_seconds', 'Time.', [1, 0.1]);
    histogram.observe(0.05);
    histogram.observe(0.5);
    histogram.observe(7);
    expect(registry.render()).toBe(
      [
        '# HELP x_total Things.',
        '# TYPE x_total counter',
        'x_total{kind="a\\"b"} 3',
        '# HELP x_level Level.',
        '# TYPE x_level gauge',
        'x_level{state="queued"} 3',
        '# HELP x_seconds Time.',
        '# TYPE x_seconds histogram',
        'x_seconds_bucket{le="0.1"} 1',
        'x_seconds_bucket{le="1"} 2',
        'x_seconds_bucket{le="+Inf"} 3',
        'x_seconds_sum 7.55',
        'x_seconds_count 3',
        '',
      ].join('\n'),
    );
    expect(() => registry.counter('x_total', 'again')).toThrow();
    expect(() => registry.counter('bad-name', 'no')).toThrow();
  });
});
