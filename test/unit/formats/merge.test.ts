import { describe, expect, it } from 'vitest';
import {
  concatenate,
  csvWithHeader,
  firstPartOnly,
  jsonArrayConcatenation,
} from '../../../shared/formats/common/merge';
import type { MergeRule } from '../../../shared/formats/types';
import { CREATED_AT, EXPORT_NAME, imagesCase } from '../../fixtures/tiny/input';

async function merged(rule: MergeRule, bodies: string[]): Promise<string> {
  const tiny = imagesCase();
  const context = {
    exportName: EXPORT_NAME,
    createdAt: CREATED_AT,
    task: tiny.task,
    dataset: tiny.dataset,
  };
  const parts = async function* () {
    for (const [shard, body] of bodies.entries()) yield { shard, body };
  };
  let text = '';
  for await (const chunk of rule.merge(parts, context)) text += String(chunk);
  return text;
}

describe('merge rules', () => {
  it('match only their own path', () => {
    const rule = concatenate('darknet.labels');
    expect(rule.matches('darknet.labels')).toBe(true);
    expect(rule.matches('a/darknet.labels')).toBe(false);
    expect(rule.matches('a.txt')).toBe(false);
  });

  it('firstPartOnly keeps the first shard of a file every shard writes alike', async () => {
    expect(await merged(firstPartOnly('x'), ['a\nb\n', 'a\nb\n'])).toBe('a\nb\n');
  });

  it('concatenate joins parts in shard order', async () => {
    expect(await merged(concatenate('x'), ['1\n', '2\n3\n'])).toBe('1\n2\n3\n');
  });

  it('csvWithHeader writes the header once', async () => {
    const header = 'a,b\r\n';
    expect(
      await merged(csvWithHeader('x', header), [header + '1,2\r\n', header, header + '3,4\r\n']),
    ).toBe('a,b\r\n1,2\r\n3,4\r\n');
  });

  it('csvWithHeader refuses a part without the header rather than corrupt the file', async () => {
    await expect(merged(csvWithHeader('x', 'a,b\r\n'), ['1,2\r\n'])).rejects.toThrow(
      'x: part of shard 0 does not start with the expected header',
    );
  });

  it('jsonArrayConcatenation joins the elements of every part, empty parts included', async () => {
    const text = await merged(jsonArrayConcatenation('x'), ['[]', '[{"a":1},2]', '[]', '["3"]']);
    expect(text).toBe('[{"a":1},2,"3"]');
    expect(await merged(jsonArrayConcatenation('x'), ['[]', '[]'])).toBe('[]');
  });
});
