/**
 * The local service in a process of its own whose Package step never ends, for the test that
 * kills the stack mid-export: `tsx test/helpers/stalled-service.ts <data directory>`. Prints one
 * JSON line with its endpoints when ready, and `{"stalled":"Package"}` once an export reaches
 * Package (by then plan and every shard have staged their work).
 */
import { startLocalService } from '../../local/start';

const directory = process.argv[2];
if (!directory) throw new Error('usage: stalled-service.ts <data directory>');
const service = await startLocalService({
  directory,
  shardItems: 5,
  stepFunctions: {
    beforeTask: async (state) => {
      if (state !== 'Package') return;
      console.log(JSON.stringify({ stalled: state }));
      await new Promise<never>(() => undefined);
    },
  },
});
console.log(JSON.stringify({ api: service.api.url, s3: service.stack.s3Endpoint }));
