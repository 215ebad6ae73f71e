import { beforeAll, describe, expect, it } from 'vitest';
import { apiPathPatterns } from '../../infra/constructs/export-site';
import { render, synthesise, type Synthesised } from './synth';

type Resource = { Type: string; Properties?: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any

let s: Synthesised;
let resources: [string, Resource][];
const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
const only = (type: string): [string, Resource] => {
  const found = ofType(type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};

beforeAll(() => {
  s = synthesise();
  resources = Object.entries(s.json.Resources) as [string, Resource][];
});

describe('the site bucket', () => {
  it('is private and readable only by the distribution, through origin access control', () => {
    const [distributionId] = only('AWS::CloudFront::Distribution');
    const [siteId] = ofType('AWS::S3::Bucket').find(([id]) => id.startsWith('Site'))!;
    const policy = ofType('AWS::S3::BucketPolicy').find(
      ([, p]) => p.Properties!.Bucket.Ref === siteId,
    )![1];
    const allows = policy.Properties!.PolicyDocument.Statement.filter(
      (st: { Effect: string }) => st.Effect === 'Allow',
    );
    expect(allows).toHaveLength(1);
    expect(allows[0]).toMatchObject({
      Action: 's3:GetObject',
      Principal: { Service: 'cloudfront.amazonaws.com' },
    });
    expect(render(allows[0].Resource)).toBe(`\${${siteId}.Arn}/*`);
    expect(render(allows[0].Condition.StringEquals['AWS:SourceArn'])).toContain(distributionId);
    const [, oac] = only('AWS::CloudFront::OriginAccessControl');
    expect(oac.Properties!.OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
  });
});

describe('the distribution', () => {
  const config = () => only('AWS::CloudFront::Distribution')[1].Properties!.DistributionConfig;

  it('serves the page over HTTPS only, index.html at the root', () => {
    expect(config().DefaultRootObject).toBe('index.html');
    expect(config().DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    const s3Origin = config().Origins.find((o: { S3OriginConfig?: unknown }) => o.S3OriginConfig);
    expect(s3Origin.OriginAccessControlId).toBeDefined();
    expect(s3Origin.S3OriginConfig.OriginAccessIdentity).toBe('');
  });

  it('sends the API routes to the API stage on the same origin, HTTPS only, every method', () => {
    expect(apiPathPatterns()).toEqual(['/formats*', '/projects*']);
    const behaviors = config().CacheBehaviors;
    expect(behaviors.map((b: { PathPattern: string }) => b.PathPattern).sort()).toEqual(
      apiPathPatterns(),
    );
    const apiOrigin = config().Origins.find(
      (o: { CustomOriginConfig?: unknown }) => o.CustomOriginConfig,
    );
    // The stage's path (`/v1`), taken from the API's URL.
    expect(JSON.stringify(apiOrigin.OriginPath)).toMatch(/"Ref":"ExportApiDeploymentStagev1\w+"/);
    expect(apiOrigin.CustomOriginConfig).toMatchObject({
      OriginProtocolPolicy: 'https-only',
      OriginSSLProtocols: ['TLSv1.2'],
    });
    for (const behavior of behaviors) {
      expect(behavior.TargetOriginId).toBe(apiOrigin.Id);
      expect(behavior.ViewerProtocolPolicy).toBe('https-only');
      expect(behavior.AllowedMethods).toEqual(
        expect.arrayContaining(['GET', 'POST', 'DELETE', 'OPTIONS']),
      );
    }
    // The token reaches the API and is part of every cache key.
    const [, cache] = ofType('AWS::CloudFront::CachePolicy')[0]!;
    const keys = cache.Properties!.CachePolicyConfig.ParametersInCacheKeyAndForwardedToOrigin;
    expect(keys.HeadersConfig).toEqual({
      HeaderBehavior: 'whitelist',
      Headers: ['Authorization'],
    });
    expect(cache.Properties!.CachePolicyConfig.DefaultTTL).toBe(0);
  });

  it('sends the security headers with every answer', () => {
    const [policyId, policy] = only('AWS::CloudFront::ResponseHeadersPolicy');
    const headers = policy.Properties!.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const csp = render(headers.ContentSecurityPolicy.ContentSecurityPolicy);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/connect-src 'self' https:\/\/\S+\.auth\.\S+\.amazoncognito\.com/);
    expect(headers.StrictTransportSecurity).toMatchObject({
      AccessControlMaxAgeSec: 31_536_000,
      IncludeSubdomains: true,
    });
    expect(headers.ContentTypeOptions).toMatchObject({ Override: true });
    expect(headers.FrameOptions).toMatchObject({ FrameOption: 'DENY' });
    expect(headers.ReferrerPolicy).toMatchObject({ ReferrerPolicy: 'no-referrer' });
    for (const behavior of [config().DefaultCacheBehavior, ...config().CacheBehaviors])
      expect(behavior.ResponseHeadersPolicyId).toEqual({ Ref: policyId });
  });
});

describe('sign-in', () => {
  const webClient = () =>
    ofType('AWS::Cognito::UserPoolClient').find(([id]) => id.includes('WebClient'))![1];

  it('is managed login with the authorization-code flow for a public client', () => {
    const client = webClient().Properties!;
    expect(client.AllowedOAuthFlows).toEqual(['code']);
    expect(client.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect(client.GenerateSecret).toBe(false);
    expect(client.AllowedOAuthScopes.sort()).toEqual(['email', 'openid', 'profile']);
    expect(client.SupportedIdentityProviders).toEqual(['COGNITO']);
    const [, domain] = only('AWS::Cognito::UserPoolDomain');
    expect(domain.Properties!.ManagedLoginVersion).toBe(2);
    expect(only('AWS::Cognito::ManagedLoginBranding')[1].Properties).toMatchObject({
      UseCognitoProvidedValues: true,
    });
  });

  it('calls back and signs out to the page on the distribution, and nowhere else', () => {
    const [distributionId] = only('AWS::CloudFront::Distribution');
    const client = webClient().Properties!;
    const page = `https://\${${distributionId}.DomainName}/`;
    expect(client.CallbackURLs.map(render)).toEqual([page]);
    expect(client.LogoutURLs.map(render)).toEqual([page]);
  });
});

describe('deployment', () => {
  it('uploads the built page and a config.json naming the login domain and client', () => {
    const [, deployment] = only('Custom::CDKBucketDeployment');
    const props = deployment.Properties!;
    expect(props.SourceObjectKeys).toHaveLength(2);
    const markers = JSON.stringify(props.SourceMarkers ?? props.SourceMarkersConfig ?? {});
    const clientId = ofType('AWS::Cognito::UserPoolClient').find(([id]) =>
      id.includes('WebClient'),
    )![0];
    expect(markers).toContain(clientId);
    expect(markers).toMatch(/"Ref":"UserPoolLoginDomain\w+"/);
    expect(props.SystemMetadata).toMatchObject({ 'cache-control': 'no-cache' });
  });

  it('names the site in the stack outputs', () => {
    const outputs = (s.template.toJSON() as { Outputs: Record<string, { Value: unknown }> })
      .Outputs;
    const [distributionId] = only('AWS::CloudFront::Distribution');
    expect(render(outputs.SiteUrl!.Value)).toBe(`https://\${${distributionId}.DomainName}/`);
    for (const key of ['SiteBucketName', 'DistributionId', 'LoginDomain', 'WebClientId'])
      expect(outputs[key], key).toBeDefined();
  });
});
