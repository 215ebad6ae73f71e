import { PayloadTooLargeError, ValidationError } from '../errors';

/** Request bodies over 64 KB are refused before they are parsed (DESIGN §12, §15). */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * A request body as a value: absent → undefined, otherwise its size checked and its JSON parsed.
 * API Gateway hands binary-looking bodies over base64-encoded. The body is read as JSON whatever
 * its Content-Type claims (`curl -d` says form-urlencoded).
 */
export function parseJsonBody(body: string | null | undefined, isBase64Encoded = false): unknown {
  if (body === null || body === undefined || body === '') return undefined;
  const bytes = isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (bytes.byteLength > MAX_BODY_BYTES)
    throw new PayloadTooLargeError(
      `the request body is ${bytes.byteLength} bytes; at most ${MAX_BODY_BYTES} are accepted`,
    );
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (error) {
    throw new ValidationError(`the request body is not valid JSON (${(error as Error).message})`);
  }
}
