import { ControlsError } from './errors.ts';
import { ARKIT_BLENDSHAPES, type BlendshapeName, BODY_JOINTS } from './names.ts';
import {
  CONTROLS_FPS,
  type ControlsFrame,
  type ControlsSequence,
  controlsFrameSchema,
  neutralFrame,
} from './schema.ts';

/**
 * CSV laid out like an ARKit face-capture export (Live Link Face): `Timecode`,
 * `BlendShapeCount`, the 52 blendshapes in PascalCase, then `HeadYaw, HeadPitch, HeadRoll`
 * and the six eye rotations, all in radians. facecast appends its own columns after those
 * (head translation, neck, body joints, FaceFound); tools that read the ARKit layout by
 * column name ignore them.
 */
const pascal = (name: string): string => name[0]?.toUpperCase() + name.slice(1);

interface Column {
  name: string;
  /** Where the value lives in a frame, e.g. ['head', 'yaw']; null for ARKit columns we do not carry. */
  path: readonly string[] | null;
  /** 'weight' values must be in [0, 1]; 'angle' in [-π, π]; 'flag' is 0/1. */
  range: 'weight' | 'angle' | 'any' | 'flag';
}

type Node = Record<string, unknown>;

function getValue(frame: ControlsFrame, column: Column): number {
  if (!column.path) return 0;
  let node: unknown = frame;
  for (const key of column.path) node = (node as Node)[key];
  return typeof node === 'boolean' ? Number(node) : (node as number);
}

function setValue(frame: ControlsFrame, column: Column, value: number): void {
  if (!column.path) return;
  let node = frame as unknown as Node;
  for (const key of column.path.slice(0, -1)) node = node[key] as Node;
  const last = column.path[column.path.length - 1] as string;
  node[last] = column.range === 'flag' ? value !== 0 : value;
}

const blendshapeColumns: Column[] = ARKIT_BLENDSHAPES.map((name: BlendshapeName) => ({
  name: pascal(name),
  path: ['blendshapes', name],
  range: 'weight',
}));

const arkitRotationColumns: Column[] = [
  { name: 'HeadYaw', path: ['head', 'yaw'], range: 'angle' },
  { name: 'HeadPitch', path: ['head', 'pitch'], range: 'angle' },
  { name: 'HeadRoll', path: ['head', 'roll'], range: 'angle' },
  { name: 'LeftEyeYaw', path: ['gaze', 'leftYaw'], range: 'angle' },
  { name: 'LeftEyePitch', path: ['gaze', 'leftPitch'], range: 'angle' },
  { name: 'LeftEyeRoll', path: null, range: 'angle' },
  { name: 'RightEyeYaw', path: ['gaze', 'rightYaw'], range: 'angle' },
  { name: 'RightEyePitch', path: ['gaze', 'rightPitch'], range: 'angle' },
  { name: 'RightEyeRoll', path: null, range: 'angle' },
];

const extensionColumns: Column[] = [
  { name: 'HeadX', path: ['head', 'x'], range: 'any' },
  { name: 'HeadY', path: ['head', 'y'], range: 'any' },
  { name: 'HeadZ', path: ['head', 'z'], range: 'any' },
  { name: 'NeckPitch', path: ['body', 'neck', 'pitch'], range: 'angle' },
  { name: 'NeckYaw', path: ['body', 'neck', 'yaw'], range: 'angle' },
  { name: 'NeckRoll', path: ['body', 'neck', 'roll'], range: 'angle' },
  ...BODY_JOINTS.flatMap((joint) =>
    (['x', 'y', 'z'] as const).map(
      (axis): Column => ({
        name: `${pascal(joint)}${axis.toUpperCase()}`,
        path: ['body', joint, axis],
        range: 'any',
      }),
    ),
  ),
  { name: 'FaceFound', path: ['faceFound'], range: 'flag' },
];

const ALL_COLUMNS: Column[] = [...blendshapeColumns, ...arkitRotationColumns, ...extensionColumns];
const BY_NAME = new Map(ALL_COLUMNS.map((c) => [c.name, c]));

/** Column names written by {@link controlsToCsv}, after `Timecode` and `BlendShapeCount`. */
export const CSV_VALUE_COLUMNS: readonly string[] = Object.freeze(ALL_COLUMNS.map((c) => c.name));

/** `HH:MM:SS:FF.mmm` at 25 fps, the Live Link Face timecode form (sub-frame part always 000). */
export function frameTimecode(frameIndex: number): string {
  const totalSeconds = Math.floor(frameIndex / CONTROLS_FPS);
  const ff = frameIndex % CONTROLS_FPS;
  const hh = Math.floor(totalSeconds / 3600);
  const mm = Math.floor((totalSeconds % 3600) / 60);
  const ss = totalSeconds % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(hh)}:${two(mm)}:${two(ss)}:${two(ff)}.000`;
}

/**
 * @example
 * await writeFile('take.csv', controlsToCsv(sequence));
 */
export function controlsToCsv(sequence: ControlsSequence): string {
  const lines = [['Timecode', 'BlendShapeCount', ...CSV_VALUE_COLUMNS].join(',')];
  sequence.frames.forEach((frame, i) => {
    const cells = ALL_COLUMNS.map((c) => formatNumber(getValue(frame, c)));
    lines.push([frameTimecode(i), String(ARKIT_BLENDSHAPES.length), ...cells].join(','));
  });
  return `${lines.join('\n')}\n`;
}

function formatNumber(value: number): string {
  if (value === 0) return '0';
  return Number(value.toPrecision(7)).toString();
}

const TIMECODE = /^(\d{2}):(\d{2}):(\d{2})[:;](\d{2})(\.\d+)?$/;

/**
 * Parses an ARKit-style CSV (facecast's own, or a Live Link Face export). Rows are taken as
 * consecutive 25 fps frames. Errors name the line and column: unknown or duplicate columns,
 * missing blendshape columns, wrong cell counts, non-numbers, NaN, out-of-range values.
 */
export function controlsFromCsv(text: string): ControlsSequence {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = lines[0]?.split(',').map((h) => h.trim());
  if (!header || header.length === 0) throw bad('empty CSV: no header line');
  if (header[0] !== 'Timecode') throw bad(`first column must be "Timecode", got "${header[0]}"`);
  const columns: (Column | null)[] = [];
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (seen.has(name)) throw bad(`duplicate column "${name}"`);
    seen.add(name);
    if (i === 0 || name === 'BlendShapeCount') {
      columns.push(null);
      return;
    }
    const column = BY_NAME.get(name);
    if (!column)
      throw bad(
        `unknown column "${name}" (column ${i + 1}); expected ARKit blendshape or rotation names`,
      );
    columns.push(column);
  });
  const missing = blendshapeColumns.filter((c) => !seen.has(c.name)).map((c) => c.name);
  if (missing.length > 0) throw bad(`missing blendshape columns: ${missing.join(', ')}`);

  const frames: ControlsFrame[] = [];
  let previousTime = -1;
  for (let row = 1; row < lines.length; row++) {
    const lineNo = row + 1;
    const cells = (lines[row] as string).split(',');
    if (cells.length !== header.length) {
      throw bad(`line ${lineNo}: ${cells.length} cells, the header has ${header.length}`);
    }
    const tc = TIMECODE.exec((cells[0] as string).trim());
    if (!tc) throw bad(`line ${lineNo}: bad timecode "${cells[0]}" (expected HH:MM:SS:FF.mmm)`);
    const time =
      (Number(tc[1]) * 3600 + Number(tc[2]) * 60 + Number(tc[3])) * 1000 +
      Number(tc[4]) +
      Number(tc[5] ?? 0);
    if (time <= previousTime) throw bad(`line ${lineNo}: timecode ${cells[0]} does not increase`);
    previousTime = time;
    const frame = neutralFrame();
    columns.forEach((column, i) => {
      if (!column) return;
      const raw = (cells[i] as string).trim();
      const value = raw === '' ? Number.NaN : Number(raw);
      if (!Number.isFinite(value))
        throw bad(`line ${lineNo}, column ${column.name}: "${raw}" is not a finite number`);
      if (column.range === 'weight' && (value < 0 || value > 1)) {
        throw bad(`line ${lineNo}, column ${column.name}: ${value} is outside [0, 1]`);
      }
      if (column.range === 'angle' && Math.abs(value) > Math.PI) {
        throw bad(`line ${lineNo}, column ${column.name}: ${value} is not radians in [-π, π]`);
      }
      setValue(frame, column, value);
    });
    frames.push(controlsFrameSchema.parse(frame));
  }
  return { format: 'facecast.controls', version: 1, fps: CONTROLS_FPS, frames };
}

function bad(message: string): ControlsError {
  return new ControlsError('CONTROLS_BAD_CSV', message);
}
