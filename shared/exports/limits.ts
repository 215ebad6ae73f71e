/**
 * The limits of an export request (DESIGN §5, §9, §10), free of dependencies so that the web page
 * refuses exactly what the API refuses.
 */

/** Longest name, task id or dataset id a request may hold. */
export const MAX_FIELD_LENGTH = 128;
export const MAX_PASSWORD_LENGTH = 128;
/** 7-Zip refuses WinZip AES passwords longer than this, so an archive it cannot open is never made. */
export const MAX_AES_PASSWORD_LENGTH = 99;
export const PRINTABLE_PASSWORD = /^[\x20-\x7e]+$/;

export const MAX_SUBSETS = 20;
export const SUBSET_NAME = /^[a-z0-9_-]{1,32}$/;
