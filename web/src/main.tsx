import { render } from 'preact';
import { createApi } from './api';
import { App, SignIn } from './app';
import { startSession } from './auth';
import type { WebConfig } from './config';
import { messageOf } from './format';
import './styles.css';

async function loadConfig(): Promise<WebConfig> {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json: the server answered ${response.status}`);
  return (await response.json()) as WebConfig;
}

async function start(root: HTMLElement): Promise<void> {
  const config = await loadConfig();
  let session;
  try {
    session = await startSession(config.auth);
  } catch (error) {
    session = await startSession(config.auth);
    render(<SignIn session={session} problem={(error as Error).message} />, root);
    return;
  }
  if (!session.signedIn) {
    render(<SignIn session={session} />, root);
    return;
  }
  const api = createApi({
    base: config.apiBase,
    token: session.token,
    // An expired or refused token: sign in again, coming back to the same view.
    onUnauthorised: () => {
      if (session.needsSignIn) void session.signIn();
    },
  });
  render(<App api={api} session={session} />, root);
}

const root = document.getElementById('app')!;
start(root).catch((error: unknown) => {
  root.textContent = `The page could not start: ${messageOf(error)}`;
});
