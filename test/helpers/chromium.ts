import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium), or CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM_PATH);
export const chromiumSkipReason = hasChromium
  ? ''
  : `no Chromium at ${CHROMIUM_PATH} (install Debian's chromium, or set CHROMIUM_PATH)`;

/**
 * Launches headless Chromium the way these machines need it: no sandbox (root), no GPU, no
 * QUIC, no background networking (the closed network refuses it), a fresh profile (playwright
 * gives every launch a new temporary --user-data-dir and removes it on close); plus a fake
 * camera/microphone fed from `fakeAudioWav`, and autoplay allowed.
 */
export async function launchChromium(fakeAudioWav: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-audio-capture=${fakeAudioWav}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/** Debian's Firefox ESR (apt-get install firefox-esr), or FIREFOX_PATH. */
export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
export const hasFirefox = existsSync(FIREFOX_PATH);
export const firefoxSkipReason = hasFirefox
  ? ''
  : `no Firefox at ${FIREFOX_PATH} (install Debian's firefox-esr, or set FIREFOX_PATH)`;

/**
 * Launches headless Firefox ESR through puppeteer-core over WebDriver BiDi (playwright's
 * Firefox support needs its own patched build; stock Firefox speaks BiDi). Fake media
 * devices (Firefox's fake microphone is a tone; it cannot play a file) and autoplay allowed.
 */
export async function launchFirefox(): Promise<import('puppeteer-core').Browser> {
  const puppeteer = (await import('puppeteer-core')).default;
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    extraPrefsFirefox: {
      'media.navigator.streams.fake': true,
      'media.navigator.permission.disabled': true,
      'media.autoplay.default': 0,
      'media.autoplay.blocking_policy': 0,
      'network.dns.disableIPv6': true,
    },
  });
}
