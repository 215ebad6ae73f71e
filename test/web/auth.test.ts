// @vitest-environment happy-dom
/** Sign-in through managed login: the authorization-code flow with PKCE, tokens in session storage. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { authorizeUrl, codeChallenge, startSession } from '../../web/src/auth';

const auth = {
  domain: 'https://exports-123.auth.eu-west-1.amazoncognito.com',
  clientId: 'client123',
  userPoolId: 'eu-west-1_Abc',
  region: 'eu-west-1',
};

const jwt = (claims: Record<string, unknown>) =>
  ['e30', btoa(JSON.stringify(claims)).replace(/=+$/, ''), 'sig'].join('.');

afterEach(() => {
  sessionStorage.clear();
  vi.restoreAllMocks();
});

describe('PKCE', () => {
  it('derives the S256 challenge of RFC 7636, appendix B', async () => {
    expect(await codeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('asks managed login for a code, with a fresh state and verifier each time', async () => {
    const first = await authorizeUrl(auth, 'https://site.example/');
    const second = await authorizeUrl(auth, 'https://site.example/');
    const url = new URL(first.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${auth.domain}/oauth2/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'client123',
      redirect_uri: 'https://site.example/',
      scope: 'openid email profile',
      state: first.state,
      code_challenge: await codeChallenge(first.verifier),
      code_challenge_method: 'S256',
    });
    expect(first.verifier.length).toBeGreaterThanOrEqual(43);
    expect(second.state).not.toBe(first.state);
    expect(second.verifier).not.toBe(first.verifier);
  });
});

describe('a session', () => {
  it('signs in through the code flow and keeps the ID token in session storage only', async () => {
    const assign = vi.fn();
    vi.spyOn(window.location, 'assign').mockImplementation(assign);
    window.history.replaceState(null, '', '/#/sample/tasks');
    const signedOut = await startSession(auth);
    expect(signedOut.signedIn).toBe(false);
    expect(signedOut.token()).toBeNull();
    await signedOut.signIn();
    const sent = new URL(assign.mock.calls[0]![0] as string);
    const state = sent.searchParams.get('state')!;

    // Managed login sends the browser back with a code; the page trades it for tokens.
    window.history.replaceState(null, '', `/?code=the-code&state=${state}`);
    const idToken = jwt({ email: 'alice@example.com', 'cognito:groups': ['admin'] });
    const fetch = vi.fn(async (_url: URL | string, init?: RequestInit) => {
      void init;
      return new Response(JSON.stringify({ id_token: idToken, expires_in: 3600 }), {
        status: 200,
      });
    });
    vi.stubGlobal('fetch', fetch);
    const session = await startSession(auth);
    vi.unstubAllGlobals();
    const [url, init] = fetch.mock.calls[0]!;
    expect(String(url)).toBe(`${auth.domain}/oauth2/token`);
    const form = new URLSearchParams(init!.body as URLSearchParams);
    expect(form.get('grant_type')).toBe('authorization_code');
    expect(form.get('code')).toBe('the-code');
    expect(await codeChallenge(form.get('code_verifier')!)).toBe(
      sent.searchParams.get('code_challenge'),
    );
    expect(session.signedIn).toBe(true);
    expect(session.token()).toBe(idToken);
    expect(session.user).toBe('alice@example.com');
    // The code leaves the address bar; the view the person was on comes back.
    expect(window.location.search).toBe('');
    expect(window.location.hash).toBe('#/sample/tasks');
    expect(localStorage.length).toBe(0);

    session.signOut();
    expect(sessionStorage.length).toBe(0);
    const logout = new URL(assign.mock.calls[1]![0] as string);
    expect(`${logout.origin}${logout.pathname}`).toBe(`${auth.domain}/logout`);
    expect(logout.searchParams.get('client_id')).toBe('client123');
  });

  it('refuses a code whose state it did not send', async () => {
    window.history.replaceState(null, '', '/?code=stolen&state=forged');
    const fetch = vi.fn();
    vi.stubGlobal('fetch', fetch);
    const session = await startSession(auth);
    vi.unstubAllGlobals();
    expect(fetch).not.toHaveBeenCalled();
    expect(session.signedIn).toBe(false);
  });

  it('says why when managed login sends back an error instead of a code', async () => {
    window.history.replaceState(
      null,
      '',
      '/?error=access_denied&error_description=User+is+disabled',
    );
    await expect(startSession(auth)).rejects.toThrow('signing in failed: User is disabled');
    expect(window.location.search).toBe('');
  });

  it('needs no sign-in where the configuration names no login (the local stack)', async () => {
    const session = await startSession(null);
    expect(session).toMatchObject({ signedIn: true, needsSignIn: false, user: null });
    expect(session.token()).toBeNull();
  });
});
