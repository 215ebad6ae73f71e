/**
 * Sign-in through the user pool's managed login: the authorization-code flow with PKCE (RFC 7636),
 * so no password is ever typed into this page and no client secret exists. Tokens live in session
 * storage: they survive a reload of the tab, not its closing, and no other tab or site sees them.
 */
import type { WebConfig } from './config';

type Auth = NonNullable<WebConfig['auth']>;

const TOKENS = 'annotation-export.tokens';
const PENDING = 'annotation-export.pending-sign-in';
const SCOPES = 'openid email profile';

export interface Session {
  /** The ID token for the API's Cognito authorizer; null when signed out or not needed. */
  token(): string | null;
  /** Who is signed in (e-mail or user name); null without sign-in. */
  user: string | null;
  /** Whether the page may call the API now. */
  signedIn: boolean;
  /** Whether this deployment signs in at all (false for the local stack). */
  needsSignIn: boolean;
  signIn(): Promise<void>;
  signOut(): void;
}

interface Tokens {
  idToken: string;
  expiresAt: number;
}

function base64Url(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomText(bytes = 32): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** The S256 code challenge of a verifier: base64url(sha256(verifier)). */
export async function codeChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

/** The claims of a JWT, unverified: the API verifies it; the page only shows who it is. */
export function claimsOf(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1] ?? '';
  const padded = part.replace(/-/g, '+').replace(/_/g, '/');
  const text = atob(padded + '='.repeat((4 - (padded.length % 4)) % 4));
  const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

export function redirectUri(location: Location | URL): string {
  return `${location.origin}/`;
}

/** The managed login URL that starts a sign-in, and what must be kept to finish it. */
export async function authorizeUrl(
  auth: Auth,
  redirect: string,
): Promise<{ url: string; state: string; verifier: string }> {
  const verifier = randomText(48);
  const state = randomText(16);
  const url = new URL('/oauth2/authorize', auth.domain);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: auth.clientId,
    redirect_uri: redirect,
    scope: SCOPES,
    state,
    code_challenge: await codeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  return { url: url.toString(), state, verifier };
}

function storedTokens(): Tokens | null {
  try {
    const tokens = JSON.parse(sessionStorage.getItem(TOKENS) ?? 'null') as Tokens | null;
    return tokens && tokens.expiresAt > Date.now() + 30_000 ? tokens : null;
  } catch {
    return null;
  }
}

/** Finishes a sign-in that managed login sent back here (`?code=&state=`), if there is one. */
async function finishSignIn(auth: Auth): Promise<void> {
  const here = new URL(window.location.href);
  const code = here.searchParams.get('code');
  const state = here.searchParams.get('state');
  if (!code && !here.searchParams.has('error')) return;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as {
    state: string;
    verifier: string;
    hash: string;
  } | null;
  sessionStorage.removeItem(PENDING);
  window.history.replaceState(null, '', `${here.pathname}${pending?.hash ?? ''}`);
  const refused = here.searchParams.get('error');
  if (refused)
    throw new Error(`signing in failed: ${here.searchParams.get('error_description') ?? refused}`);
  if (!code || !pending || pending.state !== state) return;
  const response = await fetch(new URL('/oauth2/token', auth.domain), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: auth.clientId,
      code,
      redirect_uri: redirectUri(here),
      code_verifier: pending.verifier,
    }),
  });
  if (!response.ok)
    throw new Error(`signing in failed: the login service answered ${response.status}`);
  const answer = (await response.json()) as { id_token: string; expires_in: number };
  const tokens: Tokens = {
    idToken: answer.id_token,
    expiresAt: Date.now() + answer.expires_in * 1000,
  };
  sessionStorage.setItem(TOKENS, JSON.stringify(tokens));
}

export async function startSession(auth: WebConfig['auth']): Promise<Session> {
  if (!auth) {
    return {
      token: () => null,
      user: null,
      signedIn: true,
      needsSignIn: false,
      signIn: async () => undefined,
      signOut: () => undefined,
    };
  }
  await finishSignIn(auth);
  const tokens = storedTokens();
  const claims = tokens ? claimsOf(tokens.idToken) : {};
  const user = (claims.email ?? claims['cognito:username'] ?? null) as string | null;
  return {
    token: () => storedTokens()?.idToken ?? null,
    user,
    signedIn: tokens !== null,
    needsSignIn: true,
    async signIn() {
      const { url, state, verifier } = await authorizeUrl(auth, redirectUri(window.location));
      sessionStorage.setItem(
        PENDING,
        JSON.stringify({ state, verifier, hash: window.location.hash }),
      );
      window.location.assign(url);
    },
    signOut() {
      sessionStorage.removeItem(TOKENS);
      const url = new URL('/logout', auth.domain);
      url.search = new URLSearchParams({
        client_id: auth.clientId,
        logout_uri: redirectUri(window.location),
      }).toString();
      window.location.assign(url.toString());
    },
  };
}
