import { expect } from 'vitest';
import { ValidationError } from '../../shared/errors';

/** The problems a ValidationError lists, of a call that must throw one. */
export function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).details;
  }
  throw new Error('expected a ValidationError');
}
