#!/usr/bin/env node
// The package's command: the CLI as built into dist/cli/ by `npm ci` (the `prepare` script).
try {
  await import('../dist/cli/main.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/cli/main.js'))
    throw error;
  console.error('annotation-export is not built: run `npm run build:cli` (npm ci does it)');
  process.exitCode = 1;
}
