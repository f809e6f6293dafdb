import { LiveClient } from './live-client.ts';
import { overlayText } from './overlay.ts';
import { startViewer } from './viewer.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const video = $<HTMLVideoElement>('video');
const client = new LiveClient(video);
const avatarSelect = $<HTMLSelectElement>('avatar');
const status = $<HTMLParagraphElement>('status');
const errorBox = $<HTMLParagraphElement>('error');
const ptt = $<HTMLButtonElement>('ptt');
const openMic = $<HTMLInputElement>('open-mic');

// For tests and debugging: the client's live counters.
(window as unknown as { facecast: LiveClient }).facecast = client;

client.on('state', (s) => {
  status.textContent = s;
});
client.on('error', (e) => {
  errorBox.textContent = e;
});

async function loadAvatars(): Promise<void> {
  try {
    const response = await fetch('/v1/avatars');
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const body = (await response.json()) as { avatars?: { id: string; name?: string }[] };
    avatarSelect.replaceChildren(
      ...(body.avatars ?? []).map((a) => new Option(a.name ?? a.id, a.id)),
    );
  } catch (error) {
    errorBox.textContent = `could not list avatars: ${(error as Error).message}`;
  }
}

async function uploadPhoto(file: File): Promise<string> {
  const form = new FormData();
  form.append('photo', file);
  const response = await fetch('/v1/avatars', { method: 'POST', body: form });
  const body = (await response.json()) as {
    id?: string;
    avatar?: { id: string };
    error?: { message: string };
  };
  if (!response.ok) throw new Error(body.error?.message ?? `HTTP ${response.status}`);
  const id = body.avatar?.id ?? body.id;
  if (!id) throw new Error('the server did not return an avatar id');
  return id;
}

$<HTMLButtonElement>('start').onclick = async () => {
  errorBox.textContent = '';
  $<HTMLButtonElement>('start').disabled = true;
  try {
    const photo = $<HTMLInputElement>('photo').files?.[0];
    const avatarId = photo ? await uploadPhoto(photo) : avatarSelect.value;
    if (!avatarId) throw new Error('choose an avatar or upload a photo');
    await client.start({
      avatarId,
      size: Number($<HTMLSelectElement>('size').value),
      mic: $<HTMLInputElement>('use-mic').checked,
    });
    $<HTMLButtonElement>('stop').disabled = false;
    $<HTMLFieldSetElement>('talk').disabled = false;
    $<HTMLFieldSetElement>('setup').disabled = true;
  } catch (error) {
    errorBox.textContent = (error as Error).message;
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
  startViewer(video, viewSession, params.get('token') ?? '').catch((error: Error) => {
    errorBox.textContent = `viewer: ${error.message}`;
  });
} else {
  void loadAvatars();
}
