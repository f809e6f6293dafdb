/**
 * `npm run bench` entry: the benchmarks measure the product as the CLI runs it, so this
 * process restarts itself under the CLI's allocator settings (src/core/allocator.mjs) first.
 */
import { relaunchWithAllocator } from '../../src/core/allocator.mjs';

if (!(await relaunchWithAllocator())) await import('./run.ts');
