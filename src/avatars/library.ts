import { randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  type AvatarProfile,
  createAvatar,
  FaceLandmarker,
  type FaceModel,
  loadAvatarProfile,
} from '../face/index.ts';
import {
  createReplica,
  isVideoFile,
  type ReplicaLimits,
  type ReplicaManifest,
  readReplicaManifest,
} from '../replica/index.ts';
import { AvatarError } from './errors.ts';

export const AVATAR_ID_PATTERN = /^av_[A-Za-z0-9_-]{16}$/;

/** facecast's own entry next to the faces profile: `<dir>/<id>/entry.json`. */
const ENTRY_FILE = 'entry.json';
const entrySchema = z
  .object({
    format: z.literal('facecast.avatar-entry'),
    version: z.literal(1),
    id: z.string().regex(AVATAR_ID_PATTERN),
    createdAt: z.iso.datetime(),
    /** Entries written before video avatars existed have no kind: photos. */
    kind: z.enum(['photo', 'video']).default('photo'),
  })
  .strict();

/**
 * An avatar in the library: from a photo (the faces profile: image, fit, crop, warnings) or
 * from a video (the video avatar's manifest: footage, track, mouth bank).
 */
export type AvatarRecord = {
  id: string;
  createdAt: string;
  /** The avatar folder, what the renderer reads. */
  dir: string;
} & ({ kind: 'photo'; profile: AvatarProfile } | { kind: 'video'; replica: ReplicaManifest });

/** Where an avatar sits in the list order (newest first, then by id). */
export interface AvatarPosition {
  createdAt: string;
  id: string;
}

/** A page of {@link AvatarLibrary.list}. */
export interface AvatarPage {
  avatars: AvatarRecord[];
  /** Pass as `after` for the next page; null on the last page. */
  next: AvatarPosition | null;
}

const newestFirst = (a: AvatarPosition, b: AvatarPosition) =>
  b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id);

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Options for creating one avatar. */
export interface CreateOptions {
  /** Refuse photos with several faces (FACE_MULTIPLE) instead of using the largest. Default true. */
  strict?: boolean;
  /** Photos: what renders show, `head` (a square crop around the face, default) or `whole` (the whole photo). */
  framing?: 'head' | 'whole';
  /** Limits a video must meet (src/replica `REPLICA_LIMITS` by default). */
  videoLimits?: Partial<ReplicaLimits>;
  signal?: AbortSignal;
}

/**
 * Avatars stored by id under one folder: `<root>/<id>/` is a faces avatar folder plus
 * `entry.json`. Creation builds into a hidden temporary folder renamed into place when
 * complete, so a crash never leaves a half-made avatar. The face model and the landmark
 * detector are loaded once and shared; detections run one at a time.
 *
 * @example
 * const library = await AvatarLibrary.open('data/avatars');
 * const avatar = await library.create('portrait.jpg');
 */
export class AvatarLibrary {
  readonly root: string;
  readonly #model: FaceModel;
  readonly #landmarker: FaceLandmarker;
  /** Video-mode landmarker for video avatars, loaded on the first one. */
  #videoLandmarker: Promise<FaceLandmarker> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(root: string, model: FaceModel, landmarker: FaceLandmarker) {
    this.root = root;
    this.#model = model;
    this.#landmarker = landmarker;
  }

  static async open(
    root: string,
    detector: { model: FaceModel; landmarker: FaceLandmarker },
  ): Promise<AvatarLibrary> {
    await mkdir(root, { recursive: true });
    for (const name of await readdir(root)) {
      if (name.startsWith('.tmp-')) await rm(join(root, name), { recursive: true, force: true });
    }
    return new AvatarLibrary(root, detector.model, detector.landmarker);
  }

  /**
   * Builds an avatar from a photo or a video file (ffprobe tells). A photo throws the faces
   * errors (FACE_NOT_FOUND, FACE_MULTIPLE, FACE_TOO_SMALL, FACE_POSE_EXTREME,
   * IMAGE_UNREADABLE, IMAGE_TOO_LARGE); a video the replica errors (REPLICA_TOO_SHORT,
   * REPLICA_VARIABLE_FRAME_RATE, REPLICA_MULTIPLE_PEOPLE, REPLICA_FACE_LOST …).
   */
  create(path: string, options: CreateOptions = {}): Promise<AvatarRecord> {
    const run = this.#queue.then(() => this.#create(path, options));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The avatar, or AVATAR_NOT_FOUND. */
  async get(id: string): Promise<AvatarRecord> {
    const dir = this.#dir(id);
    let entry: z.infer<typeof entrySchema>;
    try {
      entry = entrySchema.parse(JSON.parse(await readFile(join(dir, ENTRY_FILE), 'utf8')));
    } catch (cause) {
      throw notFound(id, cause);
    }
    const base = { id: entry.id, createdAt: entry.createdAt, dir };
    if (entry.kind === 'video')
      return { ...base, kind: 'video', replica: await readReplicaManifest(dir) };
    const loaded = await loadAvatarProfile(dir);
    return { ...base, kind: 'photo', profile: loaded.profile };
  }

  /** Releases the video-mode landmarker if one was loaded. Idempotent. */
  async close(): Promise<void> {
    const loading = this.#videoLandmarker;
    this.#videoLandmarker = undefined;
    await (await loading?.catch(() => undefined))?.close();
  }

  /**
   * One page of avatars, newest first. `after` is the previous page's `next` (the position
   * of its last avatar, valid even if that avatar is deleted meanwhile); `next` is null on
   * the last page.
   */
  async list(page: { limit: number; after?: AvatarPosition }): Promise<AvatarPage> {
    const entries: AvatarPosition[] = [];
    for (const name of await readdir(this.root)) {
      if (!AVATAR_ID_PATTERN.test(name)) continue;
      const raw = await readFile(join(this.root, name, ENTRY_FILE), 'utf8').catch(() => '');
      const entry = entrySchema.safeParse(safeJson(raw)).data;
      if (entry) entries.push({ createdAt: entry.createdAt, id: entry.id });
    }
    entries.sort(newestFirst);
    const { after } = page;
    const rest = after ? entries.filter((e) => newestFirst(e, after) > 0) : entries;
    const slice = rest.slice(0, page.limit);
    const avatars = (
      await Promise.all(slice.map((e) => this.get(e.id).catch(() => undefined)))
    ).filter((a): a is AvatarRecord => a !== undefined);
    const last = slice.at(-1);
    return { avatars, next: rest.length > page.limit && last ? last : null };
  }

  /** Deletes the avatar (AVATAR_NOT_FOUND if there is none). Jobs keep their own copy. */
  async remove(id: string): Promise<void> {
    await this.get(id);
    const trash = join(this.root, `.tmp-${id}-deleted`);
    await rename(this.#dir(id), trash);
    await rm(trash, { recursive: true, force: true });
  }

  /** Copies the avatar folder to `dest` (a job's own copy, immune to later deletion). */
  async copyTo(id: string, dest: string): Promise<AvatarRecord> {
    const avatar = await this.get(id);
    await cp(avatar.dir, dest, { recursive: true, errorOnExist: true, force: false });
    return avatar;
  }

  async #create(path: string, options: CreateOptions): Promise<AvatarRecord> {
    const id = `av_${randomBytes(12).toString('base64url')}`;
    const tmp = join(this.root, `.tmp-${id}`);
    const signal = options.signal ? { signal: options.signal } : {};
    try {
      const video = await isVideoFile(path, options.signal);
      let made:
        | { kind: 'photo'; profile: AvatarProfile }
        | { kind: 'video'; replica: ReplicaManifest };
      if (video) {
        this.#videoLandmarker ??= FaceLandmarker.load({ video: true, body: false });
        const landmarker = await this.#videoLandmarker;
        const summary = await createReplica(
          path,
          tmp,
          { model: this.#model, landmarker },
          { ...options.videoLimits, ...signal },
        );
        made = { kind: 'video', replica: summary.manifest };
      } else {
        const created = await createAvatar(path, tmp, {
          model: this.#model,
          landmarker: this.#landmarker,
          strict: options.strict ?? true,
          framing: options.framing ?? 'head',
          ...signal,
        });
        made = { kind: 'photo', profile: created.profile };
      }
      const entry = {
        format: 'facecast.avatar-entry' as const,
        version: 1 as const,
        id,
        createdAt: new Date().toISOString(),
        kind: made.kind,
      };
      await writeFile(join(tmp, ENTRY_FILE), `${JSON.stringify(entry)}\n`);
      await rename(tmp, this.#dir(id));
      return { id, createdAt: entry.createdAt, dir: this.#dir(id), ...made };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  #dir(id: string): string {
    if (!AVATAR_ID_PATTERN.test(id)) throw notFound(id);
    return join(this.root, id);
  }
}

function notFound(id: string, cause?: unknown): AvatarError {
  return new AvatarError('AVATAR_NOT_FOUND', `no avatar ${JSON.stringify(id)}`, { cause });
}
