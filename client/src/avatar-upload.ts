/**
 * Making an avatar from a file the user picked: a photo (JPEG/PNG/WebP) becomes a photo
 * avatar, a short clip (MP4/MOV/WebM/MKV, 5 s to 5 min of one person) a video avatar, both by
 * POST /v1/avatars (the field says which).
 */

/** The route that creates avatars. */
export const AVATARS_PATH = '/v1/avatars';

/** Types the file input accepts. */
export const AVATAR_FILE_TYPES =
  'image/jpeg,image/png,image/webp,video/mp4,video/quicktime,video/webm,video/x-matroska,.mp4,.mov,.webm,.mkv';

const VIDEO_NAME = /\.(mp4|m4v|mov|webm|mkv)$/i;

/** Whether the picked file is a clip (by its type, or its name when the browser gives none). */
export function isVideoFile(file: File): boolean {
  return file.type.startsWith('video/') || (file.type === '' && VIDEO_NAME.test(file.name));
}

/** The form POST /v1/avatars takes: the file in "video" for a clip, in "photo" otherwise. */
export function avatarForm(file: File): FormData {
  const form = new FormData();
  form.append(isVideoFile(file) ? 'video' : 'photo', file);
  return form;
}

/**
 * Creates the avatar and returns its id; throws with the server's message when refused.
 * `base`: the server's origin ('' in the page: same origin).
 */
export async function uploadAvatar(
  file: File,
  headers: Record<string, string>,
  base = '',
): Promise<string> {
  const response = await fetch(`${base}${AVATARS_PATH}`, {
    method: 'POST',
    body: avatarForm(file),
    headers,
  });
  const body = (await response.json()) as { id?: string; error?: { message: string } };
  if (!response.ok) throw new Error(body.error?.message ?? `HTTP ${response.status}`);
  if (!body.id) throw new Error('the server did not return an avatar id');
  return body.id;
}
