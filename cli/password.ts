import type { Readable, Writable } from 'node:stream';
import { UsageError } from './flags';

/** The first line of `input` (a password piped in: `--password-stdin`), without its line end. */
export async function readFirstLine(input: Readable): Promise<string> {
  let text = '';
  for await (const chunk of input) {
    text += String(chunk);
    const end = text.search(/\r?\n/);
    if (end >= 0) {
      input.destroy();
      return text.slice(0, end);
    }
  }
  return text;
}

export interface Terminal {
  input: Readable & { isTTY?: boolean; setRawMode?(raw: boolean): unknown };
  output: Writable;
}

/**
 * Asks for the password on the terminal without echoing it: the terminal is put in raw mode and
 * each key is read as typed (Backspace deletes, Ctrl-C gives up, Enter ends).
 */
export function promptPassword(question: string, terminal: Terminal): Promise<string> {
  const { input, output } = terminal;
  if (!input.isTTY || !input.setRawMode)
    return Promise.reject(
      new UsageError(
        '--password without a value asks on a terminal; pipe it with --password-stdin',
      ),
    );
  output.write(question);
  input.setRawMode(true);
  input.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (outcome: () => void) => {
      input.setRawMode!(false);
      input.pause();
      input.off('data', onData);
      output.write('\n');
      outcome();
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of String(chunk)) {
        if (char === '\r' || char === '\n') return finish(() => resolve(typed));
        if (char === '\u0003') return finish(() => reject(new UsageError('no password given')));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    input.on('data', onData);
  });
}
