import { expect } from 'vitest';
import { ApiError } from '../../cli/client';

/** The ApiError a call of the API client fails with. */
export async function failure(call: Promise<unknown>): Promise<ApiError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

/** A JSON request to the API at `baseUrl`, answered with its status and parsed body as they are. */
export async function callApi(baseUrl: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown> & {
      error?: { code: string; message: string };
    },
  };
}

/** `{ train: 80, val: 20 }` → the subsets of a split request. */
export const subsets = (percents: Record<string, number>) =>
  Object.entries(percents).map(([name, percent]) => ({ name, percent }));
