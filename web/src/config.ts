/** What the page reads from `/config.json` at start, so that one build serves every stage. */
export interface WebConfig {
  /** Prefix of the API's paths; empty where the API answers on the page's own origin. */
  apiBase: string;
  /** Cognito managed login; null where the API lets a dev identity in without a token. */
  auth: {
    /** `https://{prefix}.auth.{region}.amazoncognito.com` */
    domain: string;
    clientId: string;
    userPoolId: string;
    region: string;
  } | null;
}
