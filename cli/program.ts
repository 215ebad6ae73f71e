/**
 * annotation-export CLI: create, list, get, wait for, download and delete exports through the REST
 * API (the local one from `npm start` by default, or a deployed one with --endpoint and a token),
 * list formats and tasks, and import-coco to build a project store from a COCO file and an image
 * folder.
 */
import { Command, CommanderError, Option } from 'commander';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ExportRow, ExportView, UnreadableRow } from '../shared/exports/table';
import type { ImportTaskType } from '../shared/import/coco';
import { PACKAGE } from '../shared/version';
import { ApiClient, ApiError, localEndpoint } from './client';
import { LOCAL_EVENTS_FILE, tailEvents } from './events';
import { collectIds, requestFromFlags, UsageError, type RequestOptions } from './flags';
import {
  exportsTable,
  exportText,
  formatsTable,
  tasksTable,
  type FormatRow,
  type ProjectTasks,
} from './output';
import { promptPassword, readFirstLine, type Terminal } from './password';
import { waitForExport } from './progress';

/** What the CLI reads and writes; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  /** Errors and the progress bar (redrawn in place on a terminal). */
  stderr: NodeJS.WriteStream;
  stdin: Terminal['input'];
}

export const EXIT = {
  ok: 0,
  /** The API refused the request or could not be reached, or a download failed. */
  error: 1,
  /** The command line is wrong: unknown command or option, a missing or bad value. */
  usage: 2,
  /** The export ended FAILED (create --wait or --download, wait, download --wait). */
  exportFailed: 3,
} as const;

const ENVIRONMENT = `
Environment:
  ANNOTATION_EXPORT_ENDPOINT  the API (instead of --endpoint)
  ANNOTATION_EXPORT_TOKEN     a Cognito ID token (instead of --token)
  ANNOTATION_EXPORT_PROJECT   the project (instead of --project)
  ANNOTATION_EXPORT_PASSWORD  the archive password of create (instead of --password)

Exit codes:
  ${EXIT.ok}  done
  ${EXIT.error}  the API refused the request or could not be reached, or a download failed
  ${EXIT.usage}  the command line is wrong (unknown command or option, missing or bad value)
  ${EXIT.exportFailed}  the export ended FAILED (create --wait/--download, wait, download --wait)
`;

interface Connection {
  endpoint?: string;
  token?: string;
}

const projectOption = () =>
  new Option('--project <id>', 'the project')
    .env('ANNOTATION_EXPORT_PROJECT')
    .makeOptionMandatory();
const jsonOption = () => new Option('--json', 'print JSON (for scripts) instead of text');
const intervalOption = () =>
  new Option('--interval <ms>', 'how often to ask for progress')
    .default(1000)
    .argParser(wholeNumber);

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`expected a whole number, not ${value}`);
  return Number(value);
}

/** The archive's default place: exports/ and the archive's own name. */
function defaultArchivePath(view: ExportView): string {
  return join('exports', view.archive!.key.split('/').pop()!);
}

async function download(view: ExportView, file = defaultArchivePath(view)): Promise<string> {
  if (view.status !== 'SUCCEEDED' || !view.download_url)
    throw new Error(`export ${view.id} is ${view.status}; only a SUCCEEDED export has an archive`);
  const response = await fetch(view.download_url);
  if (!response.ok || !response.body)
    throw new Error(`downloading ${view.id} failed: HTTP ${response.status}`);
  await mkdir(dirname(file), { recursive: true });
  await pipeline(Readable.fromWeb(response.body as never), createWriteStream(file));
  return file;
}

/**
 * The password of `create`: piped in, asked for without echo, or given (flag or environment).
 * `--password-stdin` wins over ANNOTATION_EXPORT_PASSWORD, not over `--password` on the same line.
 */
async function passwordOf(
  options: { password?: string | true; passwordStdin?: boolean },
  command: Command,
  io: CliIo,
): Promise<string | undefined> {
  if (options.passwordStdin) {
    if (command.getOptionValueSource('password') === 'cli')
      throw new UsageError('--password-stdin and --password cannot be used together');
    return readFirstLine(io.stdin);
  }
  if (options.password === true)
    return promptPassword('archive password: ', { input: io.stdin, output: io.stderr });
  return options.password;
}

/** What the commands' actions share. */
interface Context {
  io: CliIo;
  print(text: string): void;
  printJson(value: unknown): void;
  printView(view: ExportView, json?: boolean): void;
  client(command: Command): ApiClient;
  waitFor(api: ApiClient, projectId: string, id: string, interval: number): Promise<ExportView>;
  /** Sets the exit code of the run. */
  exit(code: number): void;
}

const ended = (view: ExportView) => (view.status === 'SUCCEEDED' ? EXIT.ok : EXIT.exportFailed);

/** The command tree; `exitCode` is set by whichever command ran. */
export function buildProgram(io: CliIo): { program: Command; exitCode: () => number } {
  let code: number = EXIT.ok;
  const print = (text: string): void => void io.stdout.write(`${text}\n`);
  const printJson = (value: unknown) => print(JSON.stringify(value, null, 2));

  const program = new Command('annotation-export')
    .description(
      'Exports of computer-vision labels and images through the annotation-export REST API.',
    )
    .version(PACKAGE.version, '-V, --version')
    .addOption(
      new Option('--endpoint <url>', 'the API (default: the one `npm start` runs)').env(
        'ANNOTATION_EXPORT_ENDPOINT',
      ),
    )
    .addOption(new Option('--token <token>', 'a Cognito ID token').env('ANNOTATION_EXPORT_TOKEN'))
    .addHelpText('after', ENVIRONMENT)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });

  const context: Context = {
    io,
    print,
    printJson,
    printView: (view, json) => (json ? printJson(view) : print(exportText(view))),
    client: (command) => {
      const { endpoint, token } = command.optsWithGlobals<Connection>();
      return new ApiClient(endpoint ?? localEndpoint(), token);
    },
    waitFor: (api, projectId, id, interval) =>
      waitForExport(() => api.get(projectId, id), { intervalMs: interval, stream: io.stderr }),
    exit: (exitCode) => {
      code = exitCode;
    },
  };
  for (const define of [
    defineCreate,
    defineList,
    defineExportCommands,
    defineCatalogue,
    defineImportCoco,
    defineEvents,
  ])
    define(program, context);
  return { program, exitCode: () => code };
}

/** `create`: the request from its flags, then optionally waiting and downloading. */
function defineCreate(program: Command, context: Context): void {
  program
    .command('create')
    .description('start an export; with --wait or --download, follow it to the end')
    .addOption(projectOption())
    .addOption(
      new Option(
        '--type <type>',
        'what to export (default: both with --format, else datasets)',
      ).choices(['annotations', 'datasets', 'both']),
    )
    .option('--task <id>', 'the task whose annotations are exported')
    .option('--format <format>', 'the annotation format (see `formats`)')
    .option('--mask-kind <kind>', 'the kind of PNG masks of the masks format')
    .addOption(
      new Option('--dataset <ids>', 'a dataset to export (repeat or comma-separate)').argParser(
        collectIds,
      ),
    )
    .option('--from <iso>', 'only items created at or after this time')
    .option('--to <iso>', 'only items created before this time')
    .option('--name <name>', 'the export name')
    .option('--split <subsets>', 'split into subsets by percent, e.g. train:80,val:20')
    .option('--seed <n>', 'the seed of the split')
    .addOption(
      new Option('--split-mode <mode>', 'how items fall into subsets').choices([
        'random',
        'stable',
      ]),
    )
    .addOption(
      new Option(
        '--password [password]',
        'protect the zip with a password; without a value it is asked for (no echo)',
      ).env('ANNOTATION_EXPORT_PASSWORD'),
    )
    .option('--password-stdin', 'read the password from the first line of standard input')
    .addOption(
      new Option('--encryption <method>', 'the zip encryption').choices(['aes256', 'zipcrypto']),
    )
    .option('--idempotency-key <key>', 'the same key and request give back the same export')
    .option('--wait', 'draw the progress on stderr until the export ends')
    .option('--download [file]', 'wait, then save the archive (default: exports/<archive name>)')
    .addOption(intervalOption())
    .addOption(jsonOption())
    .action((options: CreateCommandOptions, command: Command) => create(options, command, context));
}

async function create(options: CreateCommandOptions, command: Command, context: Context) {
  const { io, print, printView, client, waitFor } = context;
  const api = client(command);
  const password = await passwordOf(options, command, io);
  const request = requestFromFlags(options, password);
  const created = await api.create(options.project, request, options.idempotencyKey);
  if (!options.wait && !options.download) {
    if (options.json) printView(created, true);
    else print(created.id);
    return;
  }
  io.stderr.write(`export ${created.id} (${created.name})\n`);
  const done = await waitFor(api, options.project, created.id, options.interval);
  printView(done, options.json);
  if (done.status === 'SUCCEEDED' && options.download) {
    const file = typeof options.download === 'string' ? options.download : undefined;
    io.stderr.write(`saved ${await download(done, file)}\n`);
  }
  context.exit(ended(done));
}

/** `list`: one page of exports, or all of them. */
function defineList(program: Command, context: Context): void {
  const { io, print, printJson, client } = context;
  program
    .command('list')
    .description('the exports of a project, newest first')
    .addOption(projectOption())
    .addOption(new Option('--limit <n>', 'exports per page').argParser(wholeNumber))
    .option('--cursor <cursor>', 'the page after the one that gave this cursor')
    .option('--all', 'every page')
    .addOption(jsonOption())
    .action(async (options: ListOptions, command: Command) => {
      const api = client(command);
      const rows: Array<ExportRow | UnreadableRow> = [];
      let cursor = options.cursor;
      do {
        const page = await api.list(options.project, {
          ...(options.limit !== undefined ? { limit: options.limit } : {}),
          ...(cursor ? { cursor } : {}),
        });
        rows.push(...page.items);
        cursor = page.next_cursor ?? undefined;
      } while (options.all && cursor);
      if (options.json) return printJson(rows);
      print(exportsTable(rows));
      if (cursor) io.stderr.write(`more: --cursor ${cursor}\n`);
    });
}

/** The commands about one export: get, wait, download, cancel, delete. */
function defineExportCommands(program: Command, context: Context): void {
  defineViewCommand(
    program,
    context,
    'get',
    'one export, with its download link once SUCCEEDED',
    (api, projectId, exportId) => api.get(projectId, exportId),
  );
  defineWait(program, context);
  defineDownload(program, context);
  defineViewCommand(
    program,
    context,
    'cancel',
    'stop a QUEUED or RUNNING export: it ends CANCELLED, with no archive',
    (api, projectId, exportId) => api.cancel(projectId, exportId),
  );
  exportCommand(program, 'delete', 'remove an export and its archive').action(
    async (exportId: string, options: ProjectOptions, command: Command) => {
      await context.client(command).delete(options.project, exportId);
      context.print(`deleted ${exportId}`);
    },
  );
}

/** A command about one export: its id as the argument, and the project. */
function exportCommand(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .argument('<exportId>')
    .addOption(projectOption());
}

/** A command that prints the export an API call answers with. */
function defineViewCommand(
  program: Command,
  context: Context,
  name: string,
  description: string,
  call: (api: ApiClient, projectId: string, exportId: string) => Promise<ExportView>,
): void {
  exportCommand(program, name, description)
    .addOption(jsonOption())
    .action(async (exportId: string, options: ProjectOptions, command: Command) => {
      context.printView(
        await call(context.client(command), options.project, exportId),
        options.json,
      );
    });
}

function defineWait(program: Command, context: Context): void {
  exportCommand(program, 'wait', 'draw the progress on stderr until the export ends')
    .addOption(intervalOption())
    .addOption(jsonOption())
    .action(async (exportId: string, options: WaitOptions, command: Command) => {
      const api = context.client(command);
      const done = await context.waitFor(api, options.project, exportId, options.interval);
      context.printView(done, options.json);
      context.exit(ended(done));
    });
}

function defineDownload(program: Command, context: Context): void {
  exportCommand(program, 'download', "save a SUCCEEDED export's archive")
    .option('--out <file>', 'where to save it (default: exports/<archive name>)')
    .option('--wait', 'wait for the export to end first')
    .addOption(intervalOption())
    .action(async (exportId: string, options: DownloadOptions, command: Command) => {
      const api = context.client(command);
      const view = options.wait
        ? await context.waitFor(api, options.project, exportId, options.interval)
        : await api.get(options.project, exportId);
      if (view.status === 'FAILED') {
        context.printView(view);
        context.exit(EXIT.exportFailed);
        return;
      }
      context.print(`saved ${await download(view, options.out)}`);
    });
}

/** What a project and the service offer: formats, tasks. */
function defineCatalogue(program: Command, context: Context): void {
  const { print, printJson, client } = context;
  program
    .command('formats')
    .description('the formats and the task types they serve')
    .addOption(jsonOption())
    .action(async (options: { json?: boolean }, command: Command) => {
      const { formats } = (await client(command).formats()) as { formats: FormatRow[] };
      if (options.json) printJson(formats);
      else print(formatsTable(formats));
    });

  program
    .command('tasks')
    .description('the tasks of a project with their datasets')
    .addOption(projectOption())
    .addOption(jsonOption())
    .action(async (options: ProjectOptions, command: Command) => {
      const tasks = (await client(command).tasks(options.project)) as ProjectTasks;
      if (options.json) printJson(tasks);
      else print(tasksTable(tasks));
    });
}

/** The local stack's completion events (EventBridge's on AWS). */
function defineEvents(program: Command, context: Context): void {
  program
    .command('events')
    .description('the Export Succeeded / Failed / Cancelled events of the local stack')
    .option('--file <path>', 'the events file of the local stack', LOCAL_EVENTS_FILE)
    .option('-f, --follow', 'keep printing events as they come, until Ctrl-C')
    .addOption(intervalOption())
    .addOption(jsonOption())
    .action(
      async (options: { file: string; follow?: boolean; json?: boolean; interval: number }) => {
        const stop = new AbortController();
        process.once('SIGINT', () => stop.abort());
        await tailEvents(
          options.file,
          {
            follow: options.follow ?? false,
            json: options.json ?? false,
            intervalMs: options.interval,
            signal: stop.signal,
          },
          context.print,
        );
      },
    );
}

/** `import-coco`: a project store from a COCO file and an image folder. */
function defineImportCoco(program: Command, context: Context): void {
  program
    .command('import-coco')
    .description('build a project store from a COCO file and an image folder')
    .requiredOption('--images <dir>', 'the image folder')
    .requiredOption('--coco <file>', 'the COCO annotation file')
    .addOption(projectOption())
    .addOption(
      new Option('--task-type <type>', 'the task type (default: from the file)').choices([
        'classification',
        'object_detection',
        'instance_segmentation',
      ]),
    )
    .option('--project-name <name>')
    .option('--dataset <id>')
    .option('--dataset-name <name>')
    .option('--task <id>')
    .option('--task-name <name>')
    .option('--bucket <bucket>', 'the data bucket on AWS (default: the local stack)')
    .option('--s3-endpoint <url>', 'an S3 endpoint (default: the local stack)')
    .addOption(jsonOption())
    .action((options: ImportOptions) => importCocoCommand(options, context));
}

async function importCocoCommand(options: ImportOptions, { print, printJson }: Context) {
  // Loaded only here: the AWS SDK is the slowest part of the CLI to start.
  const { runImportCoco } = await import('./import-coco');
  const result = await runImportCoco({
    images: options.images,
    coco: options.coco,
    projectId: options.project,
    ...(options.projectName ? { projectName: options.projectName } : {}),
    ...(options.dataset ? { datasetId: options.dataset } : {}),
    ...(options.datasetName ? { datasetName: options.datasetName } : {}),
    ...(options.task ? { taskId: options.task } : {}),
    ...(options.taskName ? { taskName: options.taskName } : {}),
    ...(options.taskType ? { taskType: options.taskType } : {}),
    ...(options.bucket ? { bucket: options.bucket } : {}),
    ...(options.s3Endpoint ? { s3Endpoint: options.s3Endpoint } : {}),
  });
  if (options.json) return printJson(result);
  print(
    `imported project ${result.project.id}: dataset ${result.dataset.id} (${result.items} images), task ${result.task.id} (${result.task.type}, ${result.task.classes.length} classes, ${result.boxes} boxes, ${result.polygons} polygons, ${result.masks} masks, ${result.tags} labels)`,
  );
  for (const warning of result.warnings) print(`  warning: ${warning}`);
}

interface ProjectOptions {
  project: string;
  json?: boolean;
}
interface WaitOptions extends ProjectOptions {
  interval: number;
}
interface CreateCommandOptions extends RequestOptions, WaitOptions {
  password?: string | true;
  passwordStdin?: boolean;
  idempotencyKey?: string;
  wait?: boolean;
  download?: string | true;
}
interface ListOptions extends ProjectOptions {
  limit?: number;
  cursor?: string;
  all?: boolean;
}
interface DownloadOptions extends WaitOptions {
  out?: string;
  wait?: boolean;
}
interface ImportOptions extends ProjectOptions {
  images: string;
  coco: string;
  taskType?: ImportTaskType;
  projectName?: string;
  dataset?: string;
  datasetName?: string;
  task?: string;
  taskName?: string;
  bucket?: string;
  s3Endpoint?: string;
}

/** Reports a failure on stderr and gives its exit code. */
function report(error: unknown, io: CliIo): number {
  const say = (line: string) => io.stderr.write(`${line}\n`);
  if (error instanceof CommanderError) {
    // Commander has written its message (or the help, or the version) already.
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version'
      ? EXIT.ok
      : EXIT.usage;
  }
  if (error instanceof UsageError) {
    say(`error: ${error.message}\n(add --help for usage)`);
    return EXIT.usage;
  }
  if (error instanceof ApiError) {
    say(`error ${error.status} ${error.code}: ${error.message}`);
    if (Array.isArray(error.details))
      for (const d of error.details) if (d !== error.message) say(`  - ${d}`);
    return EXIT.error;
  }
  const e = error as Error & { details?: string[] };
  say(`error: ${e?.message ?? e}`);
  for (const d of e?.details ?? []) if (d !== e.message) say(`  - ${d}`);
  return EXIT.error;
}

/** Runs the command line `argv` (without node and the script) and gives the exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const { program, exitCode } = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode();
  } catch (error) {
    return report(error, io);
  }
}
