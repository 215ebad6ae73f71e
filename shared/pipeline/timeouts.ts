/**
 * Task timeouts live in the ASL (`statemachines/export.asl.json`), each Task's `TimeoutSeconds`
 * beside the function it invokes. They are the one source: the CDK stack gives each pipeline
 * function exactly its Task's timeout, and the local runner honours the same numbers, so that the
 * two cannot drift and the local stack stops a step exactly when AWS would.
 */

interface StateLike {
  Type?: string;
  Resource?: string;
  TimeoutSeconds?: number;
  ItemProcessor?: { States: Record<string, StateLike> };
  Iterator?: { States: Record<string, StateLike> };
  Branches?: Array<{ States: Record<string, StateLike> }>;
}

/** Every Task state of a definition, nested Map and Parallel states included, by state name. */
export function taskStates(definition: {
  States: Record<string, StateLike>;
}): Map<string, StateLike> {
  const tasks = new Map<string, StateLike>();
  const walk = (states: Record<string, StateLike>): void => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') tasks.set(name, state);
      const inner = state.ItemProcessor ?? state.Iterator;
      if (inner) walk(inner.States);
      for (const branch of state.Branches ?? []) walk(branch.States);
    }
  };
  walk(definition.States);
  return tasks;
}

/**
 * The seconds a Task may run, by the `${...FunctionArn}` placeholder of the function it invokes.
 * Throws when a Task has no TimeoutSeconds (Step Functions' default is 99999999 s, the local
 * runner's 60 s) or when two Tasks of one function disagree.
 */
export function taskTimeouts(definitionText: string): Record<string, number> {
  const timeouts: Record<string, number> = {};
  for (const [name, state] of taskStates(
    JSON.parse(definitionText) as { States: Record<string, StateLike> },
  )) {
    const placeholder = /^\$\{(\w+)\}$/.exec(state.Resource ?? '')?.[1] ?? state.Resource ?? '';
    const seconds = state.TimeoutSeconds;
    if (!Number.isInteger(seconds) || seconds! < 1)
      throw new Error(`Task ${name} has no TimeoutSeconds`);
    if (timeouts[placeholder] !== undefined && timeouts[placeholder] !== seconds)
      throw new Error(`Tasks invoking ${placeholder} disagree on TimeoutSeconds`);
    timeouts[placeholder] = seconds!;
  }
  return timeouts;
}
