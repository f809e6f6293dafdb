// Types of allocator.mjs (plain JavaScript so that bin/facecast can use it before tsx loads).
export declare const MALLOC_TUNABLES: readonly string[];
export declare const MALLOC_OPT_OUT: string;
export declare function allocatorEnvironment(
  env: NodeJS.ProcessEnv,
  platform?: NodeJS.Platform,
): NodeJS.ProcessEnv | undefined;
export declare function relaunchWithAllocator(): Promise<boolean>;
export declare function hugePagesMode(): string;
