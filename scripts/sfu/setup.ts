/**
 * `npm run setup:sfu`: builds mediasoup's worker binary from the worker source inside the
 * installed `mediasoup` npm package, against Debian's packages only (no download), into
 * `.sfu/mediasoup-<version>/mediasoup-worker` (see src/live/sfu-worker.ts for how the server
 * finds it). Idempotent: a second run reuses the prepared source and the meson build folder.
 *
 * mediasoup is pinned to 3.13.16, the newest release whose worker calls the libsrtp 2.x API
 * that Debian ships (2.5.0; from 3.13.18 on the worker needs versatica's libsrtp 3.0 fork),
 * so no crypto code is patched. What is changed
 * on the copied source: each `subproject()` resolves to a stand-in in scripts/sfu/subprojects
 * that returns the system `dependency()`; the libraries mediasoup would link "whole" from
 * those subprojects are dropped from `link_whole` (the system ones come through the
 * dependencies); the meson requirement goes from 1.1.0 to Debian's 1.0; liburing is off
 * (Debian's 2.3 lacks calls the worker makes).
 *
 * One source change, outside the crypto: the DTLS transport's callback on its outgoing memory
 * BIO answers `1` to every `BIO_ctrl` instead of passing the BIO's own answer through.
 * mediasoup's bundled OpenSSL is built without kernel TLS, so nobody noticed; Debian's is
 * built with it, and there `BIO_get_ktls_send()` on that BIO reads "yes", the DTLS record
 * layer never allocates its write buffer, and the worker dies (SIGSEGV in `SSL_read`) on the
 * first ClientHello of any browser. The patch returns the BIO's answer for every
 * `BIO_CB_RETURN` call, as OpenSSL's BIO_set_callback_ex(3) asks of a callback.
 *
 *   nice -n 10 npm run setup:sfu            # SFU_BUILD_JOBS=<n> to set ninja's -j
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtWorkerPath, installedMediasoup, PROJECT_ROOT } from '../../src/live/index.ts';

const DEBIAN_PACKAGES = [
  'meson',
  'ninja-build',
  'g++',
  'pkg-config',
  'python3',
  'libuv1-dev',
  'libssl-dev',
  'libsrtp2-dev',
  'libusrsctp-dev',
  'libabsl-dev',
  'libflatbuffers-dev',
  'flatbuffers-compiler',
];
/** Libraries mediasoup links "whole" from its subprojects; the system ones are shared libraries. */
const WHOLE_LINKED = [
  'absl_container_lib',
  'libcrypto_lib',
  'libssl_lib',
  'libuv',
  'libsrtp2',
  'usrsctp',
  'flatbuffers_lib',
];
const SHIMS = join(dirname(fileURLToPath(import.meta.url)), 'subprojects');

function fail(message: string): never {
  console.error(`setup:sfu: ${message}`);
  process.exit(1);
}

function run(command: string, args: string[], cwd = PROJECT_ROOT): void {
  console.log(`setup:sfu: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0) fail(`${command} failed (exit ${result.status ?? result.signal})`);
}

function missingPackages(): string[] {
  return DEBIAN_PACKAGES.filter((name) => {
    const result = spawnSync('dpkg', ['--status', name], { encoding: 'utf8' });
    return result.status !== 0 || !result.stdout.includes('Status: install ok installed');
  });
}

function ensurePackages(): void {
  const missing = missingPackages();
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    fail(`missing Debian packages; install them as root: apt-get install ${missing.join(' ')}`);
  }
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing]);
}

/** Copies the npm package's worker source and points its build at the system libraries. */
function prepareSource(packageDir: string, sourceDir: string): void {
  const stamp = join(sourceDir, '.facecast-prepared');
  if (existsSync(stamp)) return;
  rmSync(sourceDir, { recursive: true, force: true });
  cpSync(join(packageDir, 'worker'), sourceDir, { recursive: true });
  const subprojects = join(sourceDir, 'subprojects');
  for (const wrap of readdirSync(subprojects)) rmSync(join(subprojects, wrap));
  cpSync(SHIMS, subprojects, { recursive: true });
  const mesonFile = join(sourceDir, 'meson.build');
  writeFileSync(mesonFile, patchMesonBuild(readFileSync(mesonFile, 'utf8')));
  writeFileSync(stamp, 'prepared by scripts/sfu/setup.ts\n');
}

/** Source edits made on the copy; each is idempotent and fails loudly if mediasoup moved the code. */
const SOURCE_PATCHES = [
  {
    file: join('src', 'RTC', 'DtlsTransport.cpp'),
    from: '(operationType == BIO_CB_RETURN) ? static_cast<long>(ret) : 1',
    to: '(operationType & BIO_CB_RETURN) ? static_cast<long>(ret) : 1',
  },
];

/** Applies {@link SOURCE_PATCHES}; rewrites a file only when it changes (ninja rebuilds just it). */
function patchSources(sourceDir: string): void {
  for (const { file, from, to } of SOURCE_PATCHES) {
    const path = join(sourceDir, file);
    const text = readFileSync(path, 'utf8');
    if (text.includes(to)) continue;
    if (!text.includes(from)) fail(`worker/${file} no longer has \`${from}\``);
    writeFileSync(path, text.replace(from, to));
    console.log(`setup:sfu: patched worker/${file}`);
  }
}

function patchMesonBuild(text: string): string {
  const required = "meson_version: '>= 1.1.0'";
  if (!text.includes(required)) fail(`worker/meson.build no longer says ${required}`);
  let patched = text.replace(required, "meson_version: '>= 1.0.0'");
  for (const name of WHOLE_LINKED) {
    const line = new RegExp(`^\\s*\\w+_proj\\.get_variable\\('${name}'\\),\\n`, 'm');
    if (!line.test(patched)) fail(`worker/meson.build no longer links '${name}' whole`);
    patched = patched.replace(line, '');
  }
  return patched;
}

function configure(sourceDir: string, buildDir: string): void {
  if (existsSync(join(buildDir, 'build.ninja'))) return;
  rmSync(buildDir, { recursive: true, force: true });
  run('meson', [
    'setup',
    buildDir,
    sourceDir,
    '--wrap-mode=nodownload',
    '--buildtype=release',
    '-Dms_disable_liburing=true',
  ]);
}

/** Run without MEDIASOUP_VERSION, a working worker exits with 41 (mediasoup's own check). */
function checkRuns(binary: string): void {
  const result = spawnSync(binary, [], { env: {}, stdio: 'ignore' });
  if (result.status !== 41)
    fail(`${binary} does not run here (exit ${result.status ?? result.signal})`);
}

function main(): void {
  const mediasoup = installedMediasoup();
  if (!mediasoup) fail('the mediasoup package is not installed (npm install first)');
  ensurePackages();
  const started = Date.now();
  const target = builtWorkerPath(mediasoup.version);
  const folder = dirname(target);
  const sourceDir = join(folder, 'worker');
  const buildDir = join(folder, 'build');
  mkdirSync(folder, { recursive: true });
  prepareSource(mediasoup.dir, sourceDir);
  patchSources(sourceDir);
  configure(sourceDir, buildDir);
  const jobs = process.env.SFU_BUILD_JOBS ?? String(availableParallelism());
  // The FlatBuffers headers first: the worker's sources include them.
  run('ninja', ['-C', buildDir, '-j', jobs, 'fbs/FBS']);
  run('ninja', ['-C', buildDir, '-j', jobs, 'mediasoup-worker']);
  cpSync(join(buildDir, 'mediasoup-worker'), target);
  checkRuns(target);
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`setup:sfu: built mediasoup-worker ${mediasoup.version} in ${seconds} s`);
  console.log(`setup:sfu: worker at ${resolve(target)}`);
}

main();
