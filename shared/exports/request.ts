import { Ajv, type ErrorObject } from 'ajv';
import { ValidationError } from '../errors';
import { FORMAT_IDS } from '../formats/index';
import { MASK_KINDS } from '../formats/types';

export const EXPORT_TYPES = ['annotations', 'datasets', 'both'] as const;
export type ExportType = (typeof EXPORT_TYPES)[number];
export const ENCRYPTIONS = ['aes256', 'zipcrypto'] as const;
export type Encryption = (typeof ENCRYPTIONS)[number];
export const SPLIT_MODES = ['random', 'stable'] as const;

/** An export request (DESIGN §5) as the API, the S3 trigger and the CLI take it. */
export interface ExportRequest {
  name?: string;
  type: ExportType;
  taskId?: string;
  format?: string;
  maskKind?: (typeof MASK_KINDS)[number];
  datasetIds?: string[];
  dateRange?: { from?: string; to?: string };
  split?: {
    subsets: Array<{ name: string; percent: number }>;
    seed?: number;
    mode?: (typeof SPLIT_MODES)[number];
  };
  password?: string;
  encryption?: Encryption;
}

/** JSON Schema of the request body; the format list comes from the registry. */
export const exportRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 128 },
    type: { enum: [...EXPORT_TYPES] },
    taskId: { type: 'string', minLength: 1, maxLength: 128 },
    format: { enum: [...FORMAT_IDS] },
    maskKind: { enum: [...MASK_KINDS] },
    datasetIds: {
      type: 'array',
      minItems: 1,
      maxItems: 1000,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 128 },
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
    split: {
      type: 'object',
      additionalProperties: false,
      required: ['subsets'],
      properties: {
        subsets: {
          type: 'array',
          minItems: 1,
          maxItems: 20,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'percent'],
            properties: {
              name: { type: 'string', pattern: '^[a-z0-9_-]{1,32}$' },
              percent: { type: 'integer', minimum: 0, maximum: 100 },
            },
          },
        },
        seed: { type: 'integer' },
        mode: { enum: [...SPLIT_MODES] },
      },
    },
    password: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[\\x20-\\x7e]+$' },
    encryption: { enum: [...ENCRYPTIONS] },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
const validateSchema = ajv.compile(exportRequestSchema);

function describe(error: ErrorObject): string {
  const field = error.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'request';
  switch (error.keyword) {
    case 'required':
      return `${field === 'request' ? '' : `${field}.`}${(error.params as { missingProperty: string }).missingProperty} is required`;
    case 'additionalProperties':
      return `${field} has an unknown field "${(error.params as { additionalProperty: string }).additionalProperty}"`;
    case 'enum':
      return `${field} must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    case 'pattern':
      return field === 'password'
        ? 'password must be 1-128 printable ASCII characters'
        : `${field} must match ${(error.params as { pattern: string }).pattern}`;
    default:
      return `${field} ${error.message ?? 'is invalid'}`;
  }
}

/**
 * Checks a request body against the schema and the rules between fields; throws a ValidationError
 * listing every problem. The store-dependent checks (task exists, format allowed for its type)
 * happen where the store is read.
 */
export function validateRequest(body: unknown): ExportRequest {
  const problems: string[] = [];
  if (!validateSchema(body)) {
    for (const error of validateSchema.errors ?? []) {
      const message = describe(error);
      if (!problems.includes(message)) problems.push(message);
    }
    throw new ValidationError(problems);
  }
  const request = body as ExportRequest;
  if (request.type !== 'datasets') {
    if (!request.taskId) problems.push(`taskId is required for type ${request.type}`);
    if (!request.format) problems.push(`format is required for type ${request.type}`);
  } else {
    if (!request.taskId && !request.datasetIds)
      problems.push('datasetIds is required for type datasets without taskId');
    if (request.format) problems.push('format is not allowed for type datasets');
  }
  if (request.format === 'masks' && !request.maskKind)
    problems.push('maskKind is required with the masks format');
  if (request.maskKind && request.format !== 'masks')
    problems.push('maskKind is only allowed with the masks format');
  if (request.encryption && !request.password) problems.push('encryption needs a password');
  for (const bound of ['from', 'to'] as const) {
    const value = request.dateRange?.[bound];
    if (value !== undefined && Number.isNaN(Date.parse(value)))
      problems.push(`dateRange.${bound} is not an ISO-8601 date`);
  }
  const { from, to } = request.dateRange ?? {};
  if (from && to && Date.parse(from) >= Date.parse(to))
    problems.push('dateRange.from must be before dateRange.to');
  if (request.split) {
    const names = request.split.subsets.map((s) => s.name);
    const repeated = names.filter((n, i) => names.indexOf(n) !== i);
    if (repeated.length > 0)
      problems.push(`split.subsets names repeat: ${[...new Set(repeated)].join(', ')}`);
    const total = request.split.subsets.reduce((sum, s) => sum + s.percent, 0);
    if (total !== 100) problems.push(`split.subsets percents sum to ${total}, not 100`);
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return request;
}

/** The request as records keep it: everything but the password. */
export function withoutPassword(request: ExportRequest): Omit<ExportRequest, 'password'> {
  const { password: _password, ...rest } = request;
  return rest;
}
