/**
 * How the package function's Node.js process is started. The stack sets these on the function and
 * the zip and package benchmarks run with them, so that what is measured is what is deployed.
 *
 * Streaming a large archive hands a fresh buffer to the next stage for every chunk, and the
 * garbage collector frees them in batches. With glibc's defaults the freed memory goes back to
 * the kernel at once and the next chunks fault it in again, page by page; with V8's default
 * helper threads the frequent collections that external memory triggers compete with the reader,
 * the cipher and the writer for the function's two cores. Measured on AES-256 of 50 files of
 * 10 MiB (see BENCHMARKS.md): about 160-220 MiB/s with the defaults, 520-580 MiB/s with these.
 */

/**
 * glibc's malloc: blocks under 32 MiB come from the heap instead of their own mapping, and up to
 * 256 MiB of freed heap is kept for reuse instead of being handed back to the kernel.
 */
export const PACKAGE_MALLOC_ENVIRONMENT: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: String(32 * 1024 * 1024),
  MALLOC_TRIM_THRESHOLD_: String(256 * 1024 * 1024),
};

/**
 * V8 flags. NODE_OPTIONS refuses them, so the function starts Node through a wrapper script
 * (AWS_LAMBDA_EXEC_WRAPPER) that passes them on the command line.
 */
export const PACKAGE_NODE_FLAGS: readonly string[] = ['--single-threaded-gc'];
