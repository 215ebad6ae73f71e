/** The slice of the Amazon States Language the local runner reads for itself. */
export interface AslState {
  Type: string;
  [field: string]: unknown;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
  [field: string]: unknown;
}

/** The state machines a state holds: a Map's ItemProcessor (or Iterator), a Parallel's branches. */
export function innerDefinitions(state: AslState): AslDefinition[] {
  const processor = (state.ItemProcessor ?? state.Iterator) as AslDefinition | undefined;
  return [...(processor ? [processor] : []), ...((state.Branches as AslDefinition[]) ?? [])];
}

/** Every state of a definition, nested ones included, by name (names are unique in a machine). */
export function allStates(definition: AslDefinition): Map<string, AslState> {
  const states = new Map<string, AslState>();
  const walk = (inner: AslDefinition): void => {
    for (const [name, state] of Object.entries(inner.States)) {
      states.set(name, state);
      innerDefinitions(state).forEach(walk);
    }
  };
  walk(definition);
  return states;
}

/** Errors no Retry or Catch takes (on AWS not even `States.ALL`): the execution fails. */
const TERMINAL_ERRORS = new Set(['States.Runtime', 'States.DataLimitExceeded']);

/** An error as Step Functions names it (`States.Runtime`, ...), matched by Retry and Catch. */
export function statesError(name: string, cause: string): Error {
  const terminal = TERMINAL_ERRORS.has(name);
  // The flags aws-local-stepfunctions reads before it retries or catches an error.
  return Object.assign(new Error(cause), { name, isRetryable: !terminal, isCatchable: !terminal });
}
