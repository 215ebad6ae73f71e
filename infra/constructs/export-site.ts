import {
  Aws,
  type CfnElement,
  CfnOutput,
  Duration,
  Fn,
  type RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  AllowedMethods,
  type BehaviorOptions,
  CacheCookieBehavior,
  CacheHeaderBehavior,
  CachePolicy,
  CacheQueryStringBehavior,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginRequestPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { RestApiOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import {
  CfnManagedLoginBranding,
  type IUserPool,
  ManagedLoginVersion,
  OAuthScope,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
} from 'aws-cdk-lib/aws-cognito';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROUTES } from '../../shared/api/routes';
import { buildWeb, contentSecurityPolicy, type WebConfig } from '../../web/build';
import { PrivateBucket } from './private-bucket';

export interface ExportSiteProps {
  api: RestApi;
  userPool: IUserPool;
  accessLogs: IBucket;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
}

/**
 * The first segment of every API route (`/formats`, `/projects...`): CloudFront sends these paths
 * to the API and everything else to the site bucket.
 */
export function apiPathPatterns(): string[] {
  const first = new Set(Object.values(ROUTES).map((route) => route.split('/')[1]!));
  return [...first].sort().map((segment) => `/${segment}*`);
}

/** The wildcard grants CDK gives its bucket deployment function, as cdk-nag names them. */
function deploymentWildcards(stack: Stack, site: IBucket): string[] {
  const siteId = stack.resolve(stack.getLogicalId(site.node.defaultChild as CfnElement)) as string;
  return [
    'Action::s3:GetBucket*',
    'Action::s3:GetObject*',
    'Action::s3:List*',
    'Action::s3:Abort*',
    'Action::s3:DeleteObject*',
    'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
    `Resource::<${siteId}.Arn>/*`,
  ];
}

/** The page built into a fresh folder for the deployment to upload (config.json comes apart). */
function builtSite(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'annotation-export-site-'));
  for (const file of buildWeb()) {
    const target = path.join(dir, file.path);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, file.body);
  }
  return dir;
}

/**
 * The exports tab deployed (DESIGN §12–13): the page in a private bucket that only CloudFront
 * reads (origin access control), the API behind the same distribution under its own paths, so
 * that the page calls it on its own origin with no CORS at all, and sign-in through the user
 * pool's managed login (authorization code with PKCE, a public client without a secret).
 */
export class ExportSite extends Construct {
  readonly distribution: Distribution;
  readonly bucket: IBucket;
  readonly url: string;

  constructor(scope: Construct, id: string, props: ExportSiteProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.bucket = new PrivateBucket(this, 'Site', {
      removalPolicy: props.removalPolicy,
      accessLogs: { bucket: props.accessLogs, prefix: 'site/' },
    }).bucket;
    const loginUrl = this.addLoginDomain(props.userPool);
    const securityHeaders = this.securityHeaders(loginUrl);
    this.distribution = this.createDistribution(props.api, securityHeaders);
    this.url = `https://${this.distribution.distributionDomainName}`;
    const client = this.addWebClient(props.userPool);
    const deployment = this.deployPage(props, {
      apiBase: '',
      auth: {
        domain: loginUrl,
        clientId: client.userPoolClientId,
        userPoolId: props.userPool.userPoolId,
        region: Aws.REGION,
      },
    });
    this.acknowledgeDistribution();
    this.acknowledgeDeployment(deployment);

    new CfnOutput(stack, 'SiteUrl', { value: `${this.url}/`, description: 'The exports tab' });
    new CfnOutput(stack, 'SiteBucketName', { value: this.bucket.bucketName });
    new CfnOutput(stack, 'DistributionId', { value: this.distribution.distributionId });
    new CfnOutput(stack, 'LoginDomain', { value: loginUrl });
    new CfnOutput(stack, 'WebClientId', { value: client.userPoolClientId });
  }

  /** The managed login's domain; its base URL. */
  private addLoginDomain(userPool: IUserPool): string {
    // Prefixes are global in a region; the account id keeps each account's own.
    const loginDomain = userPool.addDomain('LoginDomain', {
      cognitoDomain: {
        domainPrefix: Fn.join('-', [Stack.of(this).stackName.toLowerCase(), Aws.ACCOUNT_ID]),
      },
      managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    return loginDomain.baseUrl();
  }

  private securityHeaders(loginUrl: string): ResponseHeadersPolicy {
    return new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'annotation-export: the page runs only its own code and talks only to its origin',
      securityHeadersBehavior: {
        // The token endpoint of managed login is the one other origin the page may call.
        contentSecurityPolicy: {
          contentSecurityPolicy: contentSecurityPolicy([loginUrl]),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });
  }

  private apiBehavior(api: RestApi, securityHeaders: ResponseHeadersPolicy): BehaviorOptions {
    // The API answers `cache-control: no-store`; the token is part of the key all the same, so
    // that no answer could ever be served to another caller.
    const apiCache = new CachePolicy(this, 'ApiCache', {
      comment: 'annotation-export API: never shared between callers',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(0),
      maxTtl: Duration.seconds(1),
      headerBehavior: CacheHeaderBehavior.allowList('Authorization'),
      queryStringBehavior: CacheQueryStringBehavior.all(),
      cookieBehavior: CacheCookieBehavior.none(),
    });
    return {
      origin: new RestApiOrigin(api),
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: AllowedMethods.ALLOW_ALL,
      cachePolicy: apiCache,
      originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: securityHeaders,
    };
  }

  private createDistribution(api: RestApi, securityHeaders: ResponseHeadersPolicy): Distribution {
    const apiBehavior = this.apiBehavior(api, securityHeaders);
    return new Distribution(this, 'Distribution', {
      comment: `${Stack.of(this).stackName}: the exports tab and its API`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: securityHeaders,
      },
      additionalBehaviors: Object.fromEntries(apiPathPatterns().map((p) => [p, apiBehavior])),
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
    });
  }

  /** The page's public client, signing in through managed login back to the page. */
  private addWebClient(userPool: IUserPool): UserPoolClient {
    const client = userPool.addClient('WebClient', {
      generateSecret: false,
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [`${this.url}/`],
        logoutUrls: [`${this.url}/`],
      },
      preventUserExistenceErrors: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
    });
    new CfnManagedLoginBranding(this, 'LoginBranding', {
      userPoolId: userPool.userPoolId,
      clientId: client.userPoolClientId,
      useCognitoProvidedValues: true,
    });
    return client;
  }

  private deployPage(props: ExportSiteProps, config: WebConfig): BucketDeployment {
    return new BucketDeployment(this, 'Deploy', {
      sources: [Source.asset(builtSite()), Source.jsonData('config.json', config)],
      destinationBucket: this.bucket,
      // CloudFront revalidates every object with the bucket (no-cache), so a new deployment shows
      // at once without an invalidation, whose permission IAM grants on every distribution only.
      // Script and stylesheet are named by their content; revalidation costs a 304.
      cacheControl: [CacheControl.noCache()],
      logGroup: new LogGroup(this, 'DeployLogs', {
        retention: props.logRetention,
        removalPolicy: props.removalPolicy,
      }),
      memoryLimit: 256,
    });
  }

  private acknowledgeDistribution(): void {
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'The page serves whoever signs in to the user pool, wherever they are; no country is to be refused.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'Every API call needs a Cognito token and the API stage is throttled (and may have its own web ACL); a CloudFront web ACL costs a monthly fee, for static files of a few kilobytes.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason:
          'API calls through the distribution are logged by the API access logs (user, path, status); CloudFront standard logs would need a bucket with ACLs enabled, which this stack never makes.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          "The distribution uses CloudFront's default *.cloudfront.net certificate, whose security policy CloudFront sets; a custom domain with its ACM certificate and TLSv1.2_2021 is a deployment choice.",
      },
    );
  }

  private acknowledgeDeployment(deployment: BucketDeployment): void {
    const stack = Stack.of(this);
    const deployHandler = stack.node.children.find((c) =>
      c.node.id.startsWith('Custom::CDKBucketDeployment'),
    );
    for (const target of [deployment, ...(deployHandler ? [deployHandler] : [])]) {
      Validations.of(target).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason:
            "CDK's bucket deployment function (run at deployment only, to copy the page into the site bucket) comes with this policy for its logs.",
        },
        ...deploymentWildcards(stack, this.bucket).map((id) => ({
          id: `AwsSolutions-IAM5[${id}]`,
          reason:
            "CDK's bucket deployment (run at deployment only) reads the page's asset from the CDK asset bucket and replaces the site bucket's objects; CDK writes these grants, limited to those two buckets.",
        })),
        {
          id: 'AwsSolutions-L1',
          reason:
            "The bucket deployment function's runtime is chosen by CDK with its bundled AWS CLI layer; it runs at deployment time only.",
        },
      );
    }
  }
}
