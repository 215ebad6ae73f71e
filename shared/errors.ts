/**
 * One base class, explicit names. Step Functions matches Retry and Catch on `error.name`, and the
 * API maps names to statuses, so the names are a contract: never rely on `instanceof` across
 * bundles and never on message text. Messages are user-facing: no stack traces, no internals.
 */
export class ExportError extends Error {
  // A field, so that a subclass names itself without a constructor of its own.
  override name = 'ExportError';
  /** Problems that make up this error, each a complete sentence-like message. */
  readonly details: string[];

  constructor(message: string, options: { cause?: unknown; details?: string[] } = {}) {
    super(message, { cause: options.cause });
    this.details = options.details ?? [];
  }
}

/** Bad input: a malformed store line, an unknown class, a request that breaks the schema. */
export class ValidationError extends ExportError {
  override name = 'ValidationError';

  constructor(problems: string[] | string, options: { cause?: unknown } = {}) {
    const list = Array.isArray(problems) ? problems : [problems];
    const head = list.length === 1 ? list[0]! : `${list.length} problems: ${list.join('; ')}`;
    super(head, { ...options, details: list });
  }
}

/** A store object, export or task that does not exist. */
export class NotFoundError extends ExportError {
  override name = 'NotFoundError';
}

/** The request conflicts with the export's state (deleting a running export, idempotency key reuse). */
export class ConflictError extends ExportError {
  override name = 'ConflictError';
}

/** The caller may not touch this project. */
export class ForbiddenError extends ExportError {
  override name = 'ForbiddenError';
}

/** The request body is larger than the API accepts. */
export class PayloadTooLargeError extends ExportError {
  override name = 'PayloadTooLargeError';
}

/** A dependency failed in a way that may pass on retry (S3 5xx, throttling, timeouts). */
export class TransientError extends ExportError {
  override name = 'TransientError';
}

/** How each error name behaves: retried by the state machine or not, and its HTTP status. */
export const ERROR_TABLE: Record<string, { retry: boolean; status: number }> = {
  ValidationError: { retry: false, status: 400 },
  ForbiddenError: { retry: false, status: 403 },
  NotFoundError: { retry: false, status: 404 },
  ConflictError: { retry: false, status: 409 },
  PayloadTooLargeError: { retry: false, status: 413 },
  TransientError: { retry: true, status: 503 },
  ExportError: { retry: false, status: 500 },
};

/**
 * Errors of the Lambda service itself (not of our code) that Step Functions reports for a Task:
 * each passes on retry, so every Task's Retry lists them with our retried names (a test holds the
 * ASL to this list and to ERROR_TABLE).
 */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/** What every Task's Retry matches: the Lambda service's errors and our names marked retry. */
export function retriedErrorNames(): string[] {
  return [
    ...LAMBDA_SERVICE_ERRORS,
    ...Object.entries(ERROR_TABLE)
      .filter(([, { retry }]) => retry)
      .map(([name]) => name),
  ];
}

export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

/** S3 and SDK errors that deserve a retry become TransientError; the rest pass through. */
export function classifyAwsError(error: unknown, what: string): unknown {
  const e = error as {
    name?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
  };
  const status = e?.$metadata?.httpStatusCode ?? 0;
  const transientNames = [
    'SlowDown',
    'ThrottlingException',
    'TimeoutError',
    'RequestTimeout',
    'InternalError',
    'ServiceUnavailable',
  ];
  if (status >= 500 || e?.$retryable || transientNames.includes(e?.name ?? '')) {
    return new TransientError(`${what}: temporary storage error (${e?.name ?? 'unknown'})`, {
      cause: error,
    });
  }
  return error;
}
