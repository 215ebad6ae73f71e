/**
 * The Content-Disposition of a download (RFC 6266): `filename*=UTF-8''...` (RFC 5987) carries the
 * name as it is, and `filename="..."` an ASCII stand-in for clients that do not read the former.
 * Header values must be ASCII: S3 (and the local S3 server, whose HTTP library throws on anything
 * else) echo this value back as the response header, so a name outside Latin-1 in a plain
 * `filename="..."` gives a broken header or a 500.
 */
export function attachmentDisposition(fileName: string): string {
  return `attachment; filename="${asciiFallback(fileName)}"; filename*=UTF-8''${encodeRfc5987(fileName)}`;
}

/**
 * The name in printable ASCII: accents dropped (`é` → `e`), invisible characters removed, and every
 * other character outside ASCII, a quote, a backslash or a control character replaced with `_`.
 */
export function asciiFallback(fileName: string): string {
  const ascii = fileName
    .normalize('NFKD')
    .replace(/[\p{Mn}\p{Cf}]/gu, '')
    .replace(/[^\x20-\x7e]|["\\]/gu, '_');
  const ext = /\.[A-Za-z0-9]{1,10}$/.exec(ascii)?.[0] ?? '';
  // Nothing but stand-ins left (a name all in CJK, say): a plain word says more than `___.zip`.
  return /^[\s_]*$/.test(ascii.slice(0, ascii.length - ext.length)) ? `download${ext}` : ascii;
}

/** RFC 5987 `value-chars`: UTF-8 bytes percent-encoded except `attr-char`s. */
export function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
