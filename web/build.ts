/**
 * Builds the exports tab (DESIGN §13): one esbuild bundle of `web/src` (Preact, TypeScript) and its
 * stylesheet, named by content hash, and the index.html that loads them. The local server serves
 * the files from memory; the CDK stack deploys them to the site bucket with a config.json of its own.
 */
import { buildSync } from 'esbuild';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WebConfig } from './src/config';

export type { WebConfig };

export const WEB_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface WebFile {
  /** URL path from the site root, `/index.html`. */
  path: string;
  contentType: string;
  body: Uint8Array;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
}

/** The page's files: index.html and the hashed script and stylesheet it names. */
export function buildWeb(): WebFile[] {
  const result = buildSync({
    entryPoints: [path.join(WEB_DIR, 'src', 'main.tsx')],
    tsconfig: path.join(WEB_DIR, 'tsconfig.json'),
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: '/site',
    entryNames: 'app-[hash]',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const files: WebFile[] = result.outputFiles.map((file) => ({
    path: `/${path.basename(file.path)}`,
    contentType: contentTypeOf(file.path),
    body: file.contents,
  }));
  const script = files.find((f) => f.path.endsWith('.js'))!.path;
  const style = files.find((f) => f.path.endsWith('.css'))!.path;
  const html = readFileSync(path.join(WEB_DIR, 'index.html'), 'utf8')
    .replace('{{script}}', script)
    .replace('{{style}}', style);
  files.push({
    path: '/index.html',
    contentType: CONTENT_TYPES['.html']!,
    body: new TextEncoder().encode(html),
  });
  return files;
}

export function configFile(config: WebConfig): WebFile {
  return {
    path: '/config.json',
    contentType: CONTENT_TYPES['.json']!,
    body: new TextEncoder().encode(JSON.stringify(config)),
  };
}

/**
 * The Content-Security-Policy of the page: its own origin only (plus the sign-in domain's token
 * endpoint where there is one). Locally the server sends it; deployed, CloudFront does.
 */
export function contentSecurityPolicy(connect: string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${["'self'", ...connect].join(' ')}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; ');
}
