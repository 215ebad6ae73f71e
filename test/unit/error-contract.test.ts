import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ASL_PATH } from '../../local/step-functions';
import { ERROR_TABLE, retriedErrorNames } from '../../shared/errors';

interface Retrier {
  ErrorEquals: string[];
  MaxAttempts?: number;
}
interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string;
}
interface State {
  Type: string;
  Retry?: Retrier[];
  Catch?: Catcher[];
  Next?: string;
  ItemProcessor?: { States: Record<string, State> };
}

const definition = JSON.parse(readFileSync(ASL_PATH, 'utf8')) as { States: Record<string, State> };

/** A Task's failure state: RecordFailure, or inside the shards' Map the shard's own. */
const RECORDERS: Record<string, string> = { top: 'RecordFailure', shard: 'RecordShardFailure' };

/**
 * Every Task with the Catch lists that apply to it (its own, then its enclosing Map's) and the
 * state its failures must reach: a Distributed Map fails without its child's error, so a shard
 * records its own.
 */
function tasks(): Array<{ name: string; state: State; catches: Catcher[][]; recorder: string }> {
  const found: Array<{ name: string; state: State; catches: Catcher[][]; recorder: string }> = [];
  const walk = (states: Record<string, State>, outer: Catcher[][], recorder: string) => {
    for (const [name, state] of Object.entries(states)) {
      const here = state.Catch ? [state.Catch, ...outer] : outer;
      if (state.Type === 'Task') found.push({ name, state, catches: here, recorder });
      if (state.ItemProcessor) walk(state.ItemProcessor.States, here, RECORDERS.shard!);
    }
  };
  walk(definition.States, [], RECORDERS.top!);
  return found;
}

const notRetried = Object.entries(ERROR_TABLE)
  .filter(([, { retry }]) => !retry)
  .map(([name]) => name);

describe('the error contract: ERROR_TABLE and the ASL agree', () => {
  it('finds every Task of the state machine', () => {
    expect(tasks().map((t) => t.name)).toEqual([
      'Plan',
      'Render',
      'Masks',
      'RecordShardFailure',
      'Package',
      'RecordFailure',
    ]);
  });

  for (const { name, state, catches, recorder } of tasks()) {
    it(`${name} retries exactly the retried errors, never one the table says not to retry`, () => {
      const retried = (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
      expect([...retried].sort()).toEqual([...retriedErrorNames()].sort());
      for (const name of notRetried) expect(retried).not.toContain(name);
      expect(retried).not.toContain('States.ALL');
      for (const retrier of state.Retry ?? []) expect(retrier.MaxAttempts).toBeGreaterThan(1);
    });

    if (Object.values(RECORDERS).includes(name)) continue;
    it(`${name} ends in ${recorder} whatever it throws: named errors of the table first, States.ALL last`, () => {
      expect(catches.length).toBeGreaterThan(0);
      const nearest = catches[0]!;
      for (const catcher of nearest) {
        expect(catcher.Next).toBe(recorder);
        expect(catcher.ResultPath).toBe('$.error');
      }
      const last = nearest[nearest.length - 1]!;
      expect(last.ErrorEquals).toEqual(['States.ALL']);
      for (const catcher of nearest.slice(0, -1))
        for (const caught of catcher.ErrorEquals)
          expect(Object.keys(ERROR_TABLE)).toContain(caught);
    });
  }

  it('RecordFailure has no Catch (it is the catch) and goes to the Fail state', () => {
    const recordFailure = definition.States.RecordFailure!;
    expect(recordFailure.Catch).toBeUndefined();
    expect(definition.States[recordFailure.Next!]!.Type).toBe('Fail');
  });

  it("RecordShardFailure has no Catch and fails the shard, whose Map's Catch leads to RecordFailure", () => {
    const map = definition.States.ForEachShard!;
    const shard = map.ItemProcessor!.States;
    expect(shard.RecordShardFailure!.Catch).toBeUndefined();
    expect(shard[shard.RecordShardFailure!.Next!]!.Type).toBe('Fail');
    expect(map.Catch!.map((c) => c.Next)).toEqual(map.Catch!.map(() => 'RecordFailure'));
    expect(map.Catch!.at(-1)!.ErrorEquals).toEqual(['States.ALL']);
  });

  it('maps every name to a status: 4xx for the caller’s faults, 5xx for ours', () => {
    for (const [name, { retry, status }] of Object.entries(ERROR_TABLE)) {
      expect(status, name).toBeGreaterThanOrEqual(400);
      if (retry) expect(status, name).toBeGreaterThanOrEqual(500);
    }
  });
});
