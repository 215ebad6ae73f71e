import { randomUUID } from 'node:crypto';
import {
  ExecutionAbortedError,
  ExecutionError,
  StateMachine,
  type RunOptions,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { innerDefinitions, statesError, type AslDefinition, type AslState } from './asl';

/*
 * aws-local-stepfunctions runs every Map state inline: it reads no ItemReader and knows nothing
 * of child executions. The local runner therefore hands each Distributed Map to the code below,
 * which does what Step Functions does: reads the items from S3 through the S3 endpoint when the
 * state runs, starts one child execution of the ItemProcessor per item (each run by the library,
 * with the same Task handlers), at most MaxConcurrency at a time, and fails the state with
 * States.ExceedToleratedFailureThreshold as soon as a child fails (no failure tolerated).
 */

/** Where the library runs a Distributed Map: a Task state whose handler is runDistributedMap. */
const MAP_RUN_RESOURCE = 'arn:aws:states:::local:distributedMap';
/** A Map state has no timeout of its own; a library Task's default would be 60 s. */
const LONGEST_TIMER_SECONDS = 2_147_483;
/** MaxConcurrency 0 (or none): Step Functions runs up to 10,000 child executions at once. */
const UNBOUNDED_CONCURRENCY = 10_000;
const THRESHOLD_EXCEEDED = 'The specified tolerated failure threshold was exceeded';
/** Step Functions' limit on a state's input or output, the Map's gathered results included. */
const PAYLOAD_LIMIT_BYTES = 256 * 1024;

const MAP_FIELDS = new Set([
  ...[
    'Type',
    'QueryLanguage',
    'Comment',
    'ItemProcessor',
    'ItemReader',
    'ItemSelector',
    'ItemsPath',
    'Label',
  ],
  ...[
    'MaxConcurrency',
    'MaxConcurrencyPath',
    'ToleratedFailurePercentage',
    'ToleratedFailureCount',
  ],
  ...['InputPath', 'OutputPath', 'ResultPath', 'ResultSelector', 'Retry', 'Catch', 'Next', 'End'],
]);
const READER_FIELDS = new Set(['InputType', 'MaxItems', 'MaxItemsPath']);
const READER_PARAMETERS = new Set(['Bucket', 'Bucket.$', 'Key', 'Key.$']);

interface ItemReaderField {
  Resource?: string;
  ReaderConfig?: { InputType?: string; MaxItems?: number; MaxItemsPath?: string };
  Parameters?: Record<string, unknown>;
}

/** A Distributed Map as the local runner runs it. */
export interface DistributedMap {
  name: string;
  label: string;
  /** The ItemProcessor, each item's child execution. */
  processor: StateMachine;
  /** A one-state machine that evaluates ItemSelector (with `$$.Map.Item`) the library's way. */
  selector?: StateMachine;
  /** How the ItemReader's object is parsed; undefined when the items come from the input. */
  inputType?: 'JSON' | 'JSONL';
  maxItems?: number;
  maxConcurrency: number;
}

/** What one run of a Distributed Map did (a Map Run), kept on the execution for inspection. */
export interface MapRunRecord {
  state: string;
  mapRunArn: string;
  items: number;
  succeeded: number;
  failed: Array<{ index: number; executionArn: string; error: string; cause: string }>;
  aborted: number;
}

/** What the Task standing for a Distributed Map is given: its Parameters, resolved by the library. */
interface MapRunRequest {
  input: unknown;
  context: Record<string, unknown>;
  reader?: { Bucket?: unknown; Key?: unknown };
  items?: unknown;
  maxConcurrency?: unknown;
  maxItems?: unknown;
}

/** What a Map Run needs from the execution it runs in. */
export interface MapRunEnvironment {
  stateMachineArn: string;
  /** The execution's run options: the same Task handlers, retry intervals and Map handlers. */
  runOptions: RunOptions;
  /** Aborted when the execution stops or ends: the Map Run stops its child executions. */
  signal: AbortSignal;
  readObject(bucket: string, key: string): Promise<string>;
  onMapRun(run: MapRunRecord): void;
  onEvents?(events: AsyncIterable<unknown>, origin: { mapRunArn: string; index: number }): void;
}

function unsupported(name: string, what: string): Error {
  return new Error(`Map state ${name}: ${what} is not supported by the local state machine runner`);
}

function checkSupported(name: string, state: AslState): void {
  const config = (state.ItemProcessor as { ProcessorConfig?: Record<string, unknown> })
    .ProcessorConfig;
  if (config?.ExecutionType !== 'STANDARD')
    throw unsupported(name, 'ExecutionType other than STANDARD');
  for (const field of Object.keys(state))
    if (!MAP_FIELDS.has(field)) throw unsupported(name, field);
  if ((state.QueryLanguage ?? 'JSONPath') !== 'JSONPath') throw unsupported(name, 'JSONata');
  for (const field of ['ToleratedFailurePercentage', 'ToleratedFailureCount'])
    if ((state[field] ?? 0) !== 0) throw unsupported(name, `${field} other than 0`);
  const reader = state.ItemReader as ItemReaderField | undefined;
  if (!reader) return;
  if (state.ItemsPath !== undefined) throw unsupported(name, 'ItemsPath beside an ItemReader');
  if (reader.Resource !== 'arn:aws:states:::s3:getObject')
    throw unsupported(name, `ItemReader Resource ${reader.Resource}`);
  if (!['JSON', 'JSONL'].includes(reader.ReaderConfig?.InputType ?? ''))
    throw unsupported(name, `ItemReader InputType ${reader.ReaderConfig?.InputType}`);
  for (const field of Object.keys(reader.ReaderConfig ?? {}))
    if (!READER_FIELDS.has(field)) throw unsupported(name, `ItemReader ReaderConfig.${field}`);
  for (const field of Object.keys(reader.Parameters ?? {}))
    if (!READER_PARAMETERS.has(field)) throw unsupported(name, `ItemReader Parameters.${field}`);
}

const isDistributed = (state: AslState) =>
  state.Type === 'Map' &&
  (state.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined)?.ProcessorConfig
    ?.Mode === 'DISTRIBUTED';

const unvalidated = (definition: AslDefinition) =>
  new StateMachine(definition as unknown as StateMachineDefinition, {
    validationOptions: { noValidate: true },
  });

function distributedMapOf(
  name: string,
  state: AslState,
  maps: Map<string, DistributedMap>,
  timeoutSeconds: number,
): DistributedMap {
  checkSupported(name, state);
  const reader = state.ItemReader as ItemReaderField | undefined;
  const processor = prepareDefinition(state.ItemProcessor as AslDefinition, maps, timeoutSeconds);
  const selector = state.ItemSelector as Record<string, unknown> | undefined;
  return {
    name,
    label: (state.Label as string | undefined) ?? name,
    processor: unvalidated(processor.definition),
    selector: selector
      ? unvalidated({
          StartAt: 'ItemSelector',
          States: { ItemSelector: { Type: 'Pass', Parameters: selector, End: true } },
        })
      : undefined,
    inputType: reader?.ReaderConfig?.InputType as DistributedMap['inputType'],
    maxItems: reader?.ReaderConfig?.MaxItems,
    maxConcurrency: (state.MaxConcurrency as number | undefined) ?? 0,
  };
}

/**
 * The Task state the library runs in a Distributed Map's place: the same input and output
 * processing, Retry, Catch and transition, and Parameters that hand runDistributedMap the state's
 * effective input, the context object and the ItemReader's parameters, resolved by the library.
 */
function mapRunTask(state: AslState, timeoutSeconds: number): AslState {
  const kept = Object.fromEntries(
    ['Comment', 'InputPath', 'OutputPath', 'ResultPath', 'ResultSelector', 'Retry', 'Catch']
      .concat(['Next', 'End'])
      .filter((field) => field in state)
      .map((field) => [field, state[field]]),
  );
  const reader = state.ItemReader as ItemReaderField | undefined;
  const parameters: Record<string, unknown> = { 'input.$': '$', 'context.$': '$$' };
  if (reader?.Parameters) parameters.reader = reader.Parameters;
  if (typeof state.ItemsPath === 'string') parameters['items.$'] = state.ItemsPath;
  if (typeof state.MaxConcurrencyPath === 'string')
    parameters['maxConcurrency.$'] = state.MaxConcurrencyPath;
  if (reader?.ReaderConfig?.MaxItemsPath)
    parameters['maxItems.$'] = reader.ReaderConfig.MaxItemsPath;
  return {
    ...kept,
    Type: 'Task',
    Resource: MAP_RUN_RESOURCE,
    TimeoutSeconds: timeoutSeconds,
    Parameters: parameters,
  };
}

/**
 * The definition the library runs: each Distributed Map, at any depth, replaced by a Task state
 * named as the Map (its handler is runDistributedMap with `maps.get(name)`). The definition
 * given is not changed.
 */
export function prepareDefinition(
  definition: AslDefinition,
  maps = new Map<string, DistributedMap>(),
  timeoutSeconds = Math.min(
    definition.TimeoutSeconds ?? LONGEST_TIMER_SECONDS,
    LONGEST_TIMER_SECONDS,
  ),
): { definition: AslDefinition; maps: Map<string, DistributedMap> } {
  const prepare = (inner: AslDefinition) =>
    prepareDefinition(inner, maps, timeoutSeconds).definition;
  const states = Object.entries(definition.States).map(([name, state]): [string, AslState] => {
    if (isDistributed(state)) {
      maps.set(name, distributedMapOf(name, state, maps, timeoutSeconds));
      return [name, mapRunTask(state, timeoutSeconds)];
    }
    if (innerDefinitions(state).length === 0) return [name, state];
    if (state.Type === 'Parallel')
      return [name, { ...state, Branches: (state.Branches as AslDefinition[]).map(prepare) }];
    const field = state.ItemProcessor ? 'ItemProcessor' : 'Iterator';
    return [name, { ...state, [field]: prepare(state[field] as AslDefinition) }];
  });
  return { definition: { ...definition, States: Object.fromEntries(states) }, maps };
}

const itemReaderFailed = (cause: string) => statesError('States.ItemReaderFailed', cause);

function parseItems(text: string, inputType: 'JSON' | 'JSONL', where: string): unknown[] {
  let items: unknown;
  try {
    items =
      inputType === 'JSONL'
        ? text
            .split('\n')
            .filter((line) => line.trim() !== '')
            .map((line) => JSON.parse(line) as unknown)
        : JSON.parse(text);
  } catch (error) {
    throw itemReaderFailed(`${where} is not ${inputType}: ${(error as Error).message}`);
  }
  if (!Array.isArray(items)) throw itemReaderFailed('Attempting to map over non-iterable node.');
  return items;
}

/** The items of a Map Run: the ItemReader's object, read now, or the array in the input. */
async function mapItems(
  map: DistributedMap,
  request: MapRunRequest,
  env: MapRunEnvironment,
): Promise<unknown[]> {
  let items: unknown = request.items ?? request.input;
  if (map.inputType) {
    const { Bucket, Key } = request.reader ?? {};
    if (typeof Bucket !== 'string' || typeof Key !== 'string')
      throw itemReaderFailed('The ItemReader needs a Bucket and a Key');
    const text = await env.readObject(Bucket, Key).catch((error: Error) => {
      throw itemReaderFailed(
        `Reading s3://${Bucket}/${Key} failed: ${error.name}: ${error.message}`,
      );
    });
    items = parseItems(text, map.inputType, `s3://${Bucket}/${Key}`);
  }
  if (!Array.isArray(items))
    throw statesError(
      'States.Runtime',
      'Input of Map state must be an array or ItemsPath property must point to an array',
    );
  const maxItems = request.maxItems ?? map.maxItems;
  if (maxItems !== undefined && (!Number.isInteger(maxItems) || (maxItems as number) < 0))
    throw itemReaderFailed(`MaxItems must be a positive integer, not ${JSON.stringify(maxItems)}`);
  return maxItems ? items.slice(0, maxItems as number) : items;
}

function concurrencyOf(map: DistributedMap, request: MapRunRequest): number {
  const limit = request.maxConcurrency ?? map.maxConcurrency;
  if (!Number.isInteger(limit) || (limit as number) < 0)
    throw statesError(
      'States.Runtime',
      `MaxConcurrency must be an integer >= 0, not ${JSON.stringify(limit)}`,
    );
  return (limit as number) === 0 ? UNBOUNDED_CONCURRENCY : (limit as number);
}

/** An ARN beside the state machine's: `arn:...:{kind}:{machine}/{label}:{id}`. */
const besideMachine = (stateMachineArn: string, kind: string, label: string, id: string) =>
  `${stateMachineArn.replace(':stateMachine:', `:${kind}:`)}/${label}:${id}`;

/** One run of a Distributed Map: its child executions, at most MaxConcurrency at a time. */
class MapRun {
  readonly record: MapRunRecord;
  /** Aborted when the run must start no more children and stop those running. */
  private readonly halted = new AbortController();

  constructor(
    private readonly map: DistributedMap,
    private readonly request: MapRunRequest,
    private readonly env: MapRunEnvironment,
    private readonly items: unknown[],
  ) {
    this.record = {
      state: map.name,
      mapRunArn: besideMachine(env.stateMachineArn, 'mapRun', map.label, randomUUID()),
      items: items.length,
      succeeded: 0,
      failed: [],
      aborted: 0,
    };
  }

  async run(): Promise<unknown[]> {
    const halt = () => this.halted.abort();
    this.env.signal.addEventListener('abort', halt, { once: true });
    this.env.onMapRun(this.record);
    try {
      const results = new Array<unknown>(this.items.length);
      let next = 0;
      const worker = async () => {
        while (next < this.items.length && !this.halted.signal.aborted) {
          const index = next++;
          results[index] = await this.runChild(index);
        }
      };
      const workers = Math.min(this.items.length, concurrencyOf(this.map, this.request));
      await Promise.all(Array.from({ length: workers }, worker));
      if (this.env.signal.aborted) throw new ExecutionAbortedError();
      if (this.record.failed.length > 0)
        throw statesError('States.ExceedToleratedFailureThreshold', THRESHOLD_EXCEEDED);
      // Without a ResultWriter the children's outputs are the Map's result, whatever ResultPath
      // then does with it.
      const bytes = Buffer.byteLength(JSON.stringify(results));
      if (bytes > PAYLOAD_LIMIT_BYTES)
        throw statesError(
          'States.DataLimitExceeded',
          `The Map's results (${bytes} bytes) exceed the maximum of ${PAYLOAD_LIMIT_BYTES} bytes`,
        );
      return results;
    } finally {
      this.halted.abort();
      this.env.signal.removeEventListener('abort', halt);
    }
  }

  /** The child's input: ItemSelector evaluated with `$$.Map.Item`, or the item itself. */
  private async childInput(index: number): Promise<unknown> {
    const item = this.items[index];
    if (!this.map.selector) return item;
    const context = { ...this.request.context, Map: { Item: { Index: index, Value: item } } };
    const selection = this.map.selector.run(this.request.input as never, { context });
    return selection.result.catch((error: Error) => {
      this.halted.abort();
      throw error instanceof ExecutionError ? error.cause : error;
    });
  }

  private async runChild(index: number): Promise<unknown> {
    const input = await this.childInput(index);
    const name = randomUUID();
    const executionArn = besideMachine(this.env.stateMachineArn, 'execution', this.map.label, name);
    const child = this.map.processor.run(input as never, {
      ...this.env.runOptions,
      context: {
        Execution: { Id: executionArn, Name: name },
        StateMachine: { Id: `${this.env.stateMachineArn}/${this.map.label}` },
      },
    });
    this.env.onEvents?.(child.eventLogs, { mapRunArn: this.record.mapRunArn, index });
    const stop = () => child.abort();
    this.halted.signal.addEventListener('abort', stop, { once: true });
    try {
      const output = await child.result;
      this.record.succeeded++;
      return output;
    } catch (error) {
      this.childFailed(index, executionArn, error as Error);
      return undefined;
    } finally {
      this.halted.signal.removeEventListener('abort', stop);
    }
  }

  private childFailed(index: number, executionArn: string, error: Error): void {
    if (error instanceof ExecutionAbortedError) {
      this.record.aborted++;
      return;
    }
    const cause = error instanceof ExecutionError ? (error.cause as Error) : error;
    this.record.failed.push({ index, executionArn, error: cause.name, cause: cause.message });
    // No failure is tolerated: the run stops at the first (Step Functions may let the children
    // already running finish first; their results are dropped either way).
    this.halted.abort();
  }
}

/** Runs one Map Run of `map` for the Task state standing for it; resolves with its results. */
export async function runDistributedMap(
  map: DistributedMap,
  request: MapRunRequest,
  env: MapRunEnvironment,
): Promise<unknown[]> {
  // A retry of the state after StopExecution would otherwise start a new Map Run.
  if (env.signal.aborted) throw new ExecutionAbortedError();
  const items = await mapItems(map, request, env);
  return new MapRun(map, request, env, items).run();
}
