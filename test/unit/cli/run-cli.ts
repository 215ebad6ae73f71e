import { Readable, Writable } from 'node:stream';
import { run, type CliIo } from '../../../cli/program';

/** What a run printed, and its exit code. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(): Writable & { text: string } {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      stream.text += String(chunk);
      done();
    },
  }) as Writable & { text: string };
  stream.text = '';
  return stream;
}

/** Runs the CLI in this process on `args`, with nothing on standard input unless given. */
export async function cli(args: string[], stdin: CliIo['stdin'] = Readable.from([])): Promise<Ran> {
  const stdout = sink();
  const stderr = sink();
  const code = await run(args, {
    stdout,
    stderr: stderr as unknown as NodeJS.WriteStream,
    stdin,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
