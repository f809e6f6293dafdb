import { AVATAR_FILE_TYPES, isVideoFile, uploadAvatar } from './avatar-upload.ts';
import { LiveClient } from './live-client.ts';
import { overlayText } from './overlay.ts';
import { startViewer, type ViewerStatus } from './viewer.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const video = $<HTMLVideoElement>('video');
const client = new LiveClient(video);
const avatarSelect = $<HTMLSelectElement>('avatar');
const status = $<HTMLParagraphElement>('status');
const errorBox = $<HTMLParagraphElement>('error');
const ptt = $<HTMLButtonElement>('ptt');
const openMic = $<HTMLInputElement>('open-mic');
$<HTMLInputElement>('photo').accept = AVATAR_FILE_TYPES;

// For tests and debugging: the client's live counters.
(window as unknown as { facecast: LiveClient }).facecast = client;

client.on('state', (s) => {
  status.textContent = s;
});
client.on('error', (e) => {
  errorBox.textContent = e;
});

const KNOWN = 'facecast.avatars';
const apiKeyInput = $<HTMLInputElement>('api-key');
apiKeyInput.value = sessionStorage.getItem('facecast.apiKey') ?? '';
apiKeyInput.onchange = () => sessionStorage.setItem('facecast.apiKey', apiKeyInput.value);
const auth = (): Record<string, string> =>
  apiKeyInput.value ? { authorization: `Bearer ${apiKeyInput.value}` } : {};

/** Avatars this browser made or used (the server's own list, GET /v1/avatars, is added). */
function knownAvatars(): string[] {
  try {
    const ids = JSON.parse(localStorage.getItem(KNOWN) ?? '[]') as unknown;
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

function remember(id: string): void {
  localStorage.setItem(
    KNOWN,
    JSON.stringify([id, ...knownAvatars().filter((k) => k !== id)].slice(0, 20)),
  );
}

/** Fills the avatar list: ?avatar=<id> first (selected), then remembered and listed ones. */
async function loadAvatars(preferred: string | null): Promise<void> {
  if (preferred) remember(preferred);
  const ids = new Set(knownAvatars());
  // A server that lists avatars (GET /v1/avatars) adds its own.
  const labels = new Map<string, string>();
  const response = await fetch('/v1/avatars?limit=50', { headers: auth() }).catch(() => undefined);
  if (response?.ok) {
    const body = (await response.json()) as { avatars?: { id: string; createdAt: string }[] };
    for (const a of body.avatars ?? []) {
      ids.add(a.id);
      labels.set(a.id, `${a.id} (${new Date(a.createdAt).toLocaleString()})`);
    }
  }
  const current = avatarSelect.value;
  for (const id of ids) {
    if (![...avatarSelect.options].some((o) => o.value === id))
      avatarSelect.add(new Option(labels.get(id) ?? id, id));
  }
  avatarSelect.value = preferred ?? current ?? avatarSelect.value;
  document.body.dataset.ready = 'true';
}

$<HTMLButtonElement>('start').onclick = async () => {
  errorBox.textContent = '';
  $<HTMLButtonElement>('start').disabled = true;
  try {
    const file = $<HTMLInputElement>('photo').files?.[0];
    if (file) {
      status.textContent = isVideoFile(file)
        ? 'creating a video avatar from the clip (it is tracked once: about as long as the clip)…'
        : 'creating the avatar from the photo…';
    }
    const avatarId = file ? await uploadAvatar(file, auth()) : avatarSelect.value;
    if (!avatarId) throw new Error('choose an avatar or upload a photo or a video');
    remember(avatarId);
    if (file) {
      // The new avatar joins the list (selected), and the file input is cleared so a
      // second start does not upload it again.
      $<HTMLInputElement>('photo').value = '';
      await loadAvatars(avatarId);
    }
    await client.start({
      avatarId,
      size: Number($<HTMLSelectElement>('size').value),
      mic: $<HTMLInputElement>('use-mic').checked,
      apiKey: apiKeyInput.value,
    });
    $<HTMLButtonElement>('stop').disabled = false;
    $<HTMLFieldSetElement>('talk').disabled = false;
    $<HTMLFieldSetElement>('setup').disabled = true;
  } catch (error) {
    errorBox.textContent = (error as Error).message;
    status.textContent = 'not started';
    $<HTMLButtonElement>('start').disabled = false;
  }
};

$<HTMLButtonElement>('stop').onclick = () => {
  client.stop();
  $<HTMLButtonElement>('stop').disabled = true;
  $<HTMLButtonElement>('start').disabled = false;
  $<HTMLFieldSetElement>('talk').disabled = true;
  $<HTMLFieldSetElement>('setup').disabled = false;
};

const talk = (on: boolean) => {
  if (openMic.checked) return;
  ptt.classList.toggle('active', on);
  client.setMic(on);
};
ptt.addEventListener('pointerdown', () => talk(true));
ptt.addEventListener('pointerup', () => talk(false));
ptt.addEventListener('pointerleave', () => talk(false));
window.addEventListener('keydown', (e) => {
  if (e.code === 'Space' && !e.repeat && document.activeElement?.tagName !== 'INPUT') talk(true);
});
window.addEventListener('keyup', (e) => {
  if (e.code === 'Space' && document.activeElement?.tagName !== 'INPUT') talk(false);
});
openMic.onchange = () => {
  ptt.disabled = openMic.checked;
  client.setMic(openMic.checked);
};
$<HTMLInputElement>('mute').onchange = (e) => {
  video.muted = (e.target as HTMLInputElement).checked;
};
$<HTMLFormElement>('say').onsubmit = (e) => {
  e.preventDefault();
  const input = $<HTMLInputElement>('text');
  if (input.value.trim()) client.say(input.value.trim());
  input.value = '';
};
$<HTMLButtonElement>('interrupt').onclick = () => client.interrupt();

setInterval(() => {
  $<HTMLPreElement>('overlay').textContent = overlayText(client.stats, client.counters);
}, 250);

const params = new URLSearchParams(location.search);
const viewSession = params.get('view');
if (viewSession) {
  // Viewer mode: watch someone else's session through the mediasoup fan-out.
  $<HTMLElement>('setup').hidden = true;
  $<HTMLElement>('talk').hidden = true;
  $<HTMLButtonElement>('start').hidden = true;
  $<HTMLButtonElement>('stop').hidden = true;
  status.textContent = `viewing ${viewSession}`;
  const onStatus = (state: ViewerStatus, detail: string) => {
    status.textContent = `${state === 'watching' ? 'viewing' : state} ${viewSession}`;
    errorBox.textContent = detail ? `viewer: ${detail}` : '';
  };
  startViewer(video, viewSession, params.get('token') ?? '', onStatus)
    .then((viewer) => addEventListener('pagehide', () => viewer.close(), { once: true }))
    .catch((error: Error) => {
      errorBox.textContent = `viewer: ${error.message}`;
    });
} else {
  void loadAvatars(params.get('avatar'));
}
