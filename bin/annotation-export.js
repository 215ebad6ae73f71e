#!/usr/bin/env node
// The package's command: the TypeScript CLI run through tsx, so that no build step is needed.
import { register } from 'tsx/esm/api';

register();
await import('../local/cli/main.ts');
