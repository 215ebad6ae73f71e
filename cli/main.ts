/** The CLI's entry: `npm run cli -- ...` from source, `annotation-export ...` built (bin/). */
import { run } from './program';

process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
});
