/**
 * Encodes mono Float32 samples as a WAV file (16-bit PCM by default, or 32-bit float).
 * Used for TTS output, test material and debugging dumps.
 *
 * @example
 * await writeFile('out.wav', encodeWav(samples, 16000));
 */
export function encodeWav(
  samples: Float32Array,
  sampleRate: number,
  format: 's16' | 'f32' = 's16',
): Buffer {
  const bytesPerSample = format === 's16' ? 2 : 4;
  const dataBytes = samples.length * bytesPerSample;
  const buf = Buffer.alloc(44 + dataBytes);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + dataBytes, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(format === 's16' ? 1 : 3, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * bytesPerSample, 28);
  buf.writeUInt16LE(bytesPerSample, 32);
  buf.writeUInt16LE(bytesPerSample * 8, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i] as number;
    if (format === 's16') {
      const clamped = v > 1 ? 1 : Math.max(v, -1);
      buf.writeInt16LE(Math.round(clamped * 32767), 44 + 2 * i);
    } else buf.writeFloatLE(v, 44 + 4 * i);
  }
  return buf;
}
