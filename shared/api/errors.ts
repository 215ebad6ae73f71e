import { ERROR_TABLE, ExportError, errorName } from '../errors';

/** The one error shape of the API (DESIGN §12). */
export interface ErrorBody {
  error: { code: string; message: string; details: string[] | { requestId: string } };
}

export interface ErrorResponse {
  statusCode: number;
  body: ErrorBody;
}

/** A method the route does not have. */
export class MethodNotAllowedError extends ExportError {
  readonly allowed: string[];
  constructor(method: string, allowed: string[]) {
    super(`${method} is not allowed here; use ${allowed.join(', ')}`);
    this.name = 'MethodNotAllowedError';
    this.allowed = allowed;
  }
}

/** Client errors the API answers with their own status and message; everything else is a 500. */
const CLIENT_STATUSES: Record<string, number> = {
  ...Object.fromEntries(
    Object.entries(ERROR_TABLE)
      .filter(([, { status }]) => status >= 400 && status < 500)
      .map(([name, { status }]) => [name, status]),
  ),
  MethodNotAllowedError: 405,
};

/**
 * The response for an error. Our client errors keep their message and list their problems; any
 * other failure (S3, Step Functions, a bug, and also TransientError, whose message names the
 * failing dependency) is a 500 that says only which request failed, so that it can be found in
 * the logs and nothing about the internals reaches the caller.
 */
export function errorResponse(error: unknown, requestId: string): ErrorResponse {
  const name = errorName(error);
  const status = CLIENT_STATUSES[name];
  if (status !== undefined && error instanceof Error) {
    const details = error instanceof ExportError ? error.details : [];
    return {
      statusCode: status,
      body: { error: { code: name, message: error.message, details } },
    };
  }
  return {
    statusCode: 500,
    body: {
      error: {
        code: 'InternalError',
        message: `the request failed; quote request id ${requestId} when reporting it`,
        details: { requestId },
      },
    },
  };
}
