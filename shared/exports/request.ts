import { Ajv, type ErrorObject } from 'ajv';
import type { FromSchema } from 'json-schema-to-ts';
import { ValidationError } from '../errors';
import { FORMAT_IDS } from '../formats/index';
import { MASK_KINDS } from '../formats/types';
import { parseDateTime } from '../dates';
import { invisibleCharacter } from '../names';
import { validateSplit, type Split } from '../split/index';
import { segmentProblem } from '../store/segments';
import {
  MAX_AES_PASSWORD_LENGTH,
  MAX_FIELD_LENGTH,
  MAX_PASSWORD_LENGTH,
  PRINTABLE_PASSWORD,
} from './limits';

export { parseDateTime } from '../dates';
export { MAX_AES_PASSWORD_LENGTH } from './limits';

export const EXPORT_TYPES = ['annotations', 'datasets', 'both'] as const;
export type ExportType = (typeof EXPORT_TYPES)[number];
export const ENCRYPTIONS = ['aes256', 'zipcrypto'] as const;
export type Encryption = (typeof ENCRYPTIONS)[number];

/** JSON Schema of the request body; the format list comes from the registry. */
export const exportRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: MAX_FIELD_LENGTH },
    type: { enum: EXPORT_TYPES },
    taskId: { type: 'string', minLength: 1, maxLength: MAX_FIELD_LENGTH },
    format: { enum: FORMAT_IDS },
    maskKind: { enum: MASK_KINDS },
    datasetIds: {
      type: 'array',
      minItems: 1,
      maxItems: 1000,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: MAX_FIELD_LENGTH },
    },
    dateRange: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        from: { type: 'string', minLength: 1 },
        to: { type: 'string', minLength: 1 },
      },
    },
    // Its fields, ranges and sums are checked by validateSplit, which names each problem.
    split: { type: 'object' },
    password: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_PASSWORD_LENGTH,
      pattern: PRINTABLE_PASSWORD.source,
    },
    encryption: { enum: ENCRYPTIONS },
  },
} as const;

/**
 * An export request (DESIGN §5) as the API, the S3 trigger and the CLI take it: the schema's type,
 * so that the two cannot drift. `split` is only an object to the schema (validateSplit checks it).
 */
export type ExportRequest = Omit<FromSchema<typeof exportRequestSchema>, 'split'> & {
  split?: Split;
};

const ajv = new Ajv({ allErrors: true, strict: false });
const validateSchema = ajv.compile(exportRequestSchema);

function describe(error: ErrorObject): string {
  const field = error.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'request';
  switch (error.keyword) {
    case 'required':
      return `${field === 'request' ? '' : `${field}.`}${(error.params as { missingProperty: string }).missingProperty} is required`;
    case 'additionalProperties':
      // Quoted as JSON: a field name may hold NUL, quotes or line breaks.
      return `${field} has an unknown field ${JSON.stringify((error.params as { additionalProperty: string }).additionalProperty)}`;
    case 'enum':
      return `${field} must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    case 'pattern':
      return field === 'password'
        ? `password must be 1-${MAX_PASSWORD_LENGTH} printable ASCII characters`
        : `${field} must match ${(error.params as { pattern: string }).pattern}`;
    default:
      return `${field} ${error.message ?? 'is invalid'}`;
  }
}

/**
 * Checks a request body against the schema and the rules between fields; throws a ValidationError
 * listing every problem, the schema's and the rules' together. The store-dependent checks (task
 * exists, format allowed for its type) happen where the store is read.
 */
export function validateRequest(body: unknown): ExportRequest {
  const problems: string[] = [];
  if (!validateSchema(body)) {
    for (const error of validateSchema.errors ?? []) {
      const message = describe(error);
      if (!problems.includes(message)) problems.push(message);
    }
  }
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    problems.push(...ruleProblems(body as Record<string, unknown>));
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return body as ExportRequest;
}

/** The rules between fields, checked on whatever fields have the right type. */
function ruleProblems(request: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const type = EXPORT_TYPES.find((t) => t === request.type);
  if (type && type !== 'datasets') {
    if (request.taskId === undefined) problems.push(`taskId is required for type ${type}`);
    if (request.format === undefined) problems.push(`format is required for type ${type}`);
  } else if (type === 'datasets') {
    if (request.taskId === undefined && request.datasetIds === undefined) {
      problems.push('datasetIds is required for type datasets without taskId');
    }
    if (request.format !== undefined) problems.push('format is not allowed for type datasets');
  }
  if (request.format === 'masks' && request.maskKind === undefined) {
    problems.push('maskKind is required with the masks format');
  }
  if (request.maskKind !== undefined && request.format !== 'masks') {
    problems.push('maskKind is only allowed with the masks format');
  }
  if (request.encryption !== undefined && request.password === undefined) {
    problems.push('encryption needs a password');
  }
  const range = request.dateRange as Record<string, unknown> | undefined;
  const when = (bound: 'from' | 'to') => {
    const value = range?.[bound];
    if (typeof value !== 'string') return undefined;
    const time = parseDateTime(value);
    if (time === undefined)
      problems.push(
        `dateRange.${bound} ${JSON.stringify(value)} is not an ISO-8601 date-time with a time zone (2026-03-07T00:00:00Z, 2026-03-07T09:30:00+01:00)`,
      );
    return time;
  };
  const from = when('from');
  const to = when('to');
  if (from !== undefined && to !== undefined && from >= to) {
    problems.push('dateRange.from must be before dateRange.to');
  }
  problems.push(...idProblems(request), ...nameAndPasswordProblems(request));
  if (request.split !== undefined) problems.push(...validateSplit(request.split));
  return problems;
}

/** taskId and datasetIds become segments of S3 keys (DESIGN §15). */
function idProblems(request: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const check = (field: string, value: unknown) => {
    const problem =
      typeof value === 'string' && value.length > 0 ? segmentProblem(value) : undefined;
    if (problem) problems.push(`${field} ${JSON.stringify(value)} ${problem}`);
  };
  check('taskId', request.taskId);
  if (Array.isArray(request.datasetIds))
    request.datasetIds.forEach((id, i) => check(`datasetIds[${i}]`, id));
  return problems;
}

function nameAndPasswordProblems(request: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (typeof request.name === 'string') {
    const invisible = invisibleCharacter(request.name);
    if (invisible)
      problems.push(
        `name contains ${invisible}: control characters, bidirectional controls and other invisible characters are not allowed in names`,
      );
  }
  const password = request.password;
  if (
    typeof password === 'string' &&
    (request.encryption ?? 'aes256') === 'aes256' &&
    password.length > MAX_AES_PASSWORD_LENGTH
  )
    problems.push(
      `password is ${password.length} characters: AES-256 passwords may have at most ${MAX_AES_PASSWORD_LENGTH}, because 7-Zip cannot open archives with longer ones (zipcrypto allows ${MAX_PASSWORD_LENGTH})`,
    );
  return problems;
}

/** The request as records keep it: everything but the password. */
export function withoutPassword(request: ExportRequest): Omit<ExportRequest, 'password'> {
  const { password: _password, ...rest } = request;
  return rest;
}
