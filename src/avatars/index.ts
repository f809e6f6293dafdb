export { AvatarError, type AvatarErrorCode } from './errors.ts';
export {
  AVATAR_ID_PATTERN,
  AvatarLibrary,
  type AvatarPage,
  type AvatarPosition,
  type AvatarRecord,
  type CreateOptions,
} from './library.ts';
