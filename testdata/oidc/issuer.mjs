// A real OpenID provider for basiq-mcp's OAuth tests: oidc-provider issues
// client-credentials access tokens as JWTs for a resource (AUDIENCE),
// signed with a fresh RSA key under KID. The test restarts it with another
// KID to rotate the key. It prints "issuer <url>" once it listens.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const audience = process.env.AUDIENCE;
const kid = process.env.KID || 'k1';
const scopes = ['basiq:read', 'basiq:write', 'basiq:refresh', 'basiq:destructive'];
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: 'support-bot',
    client_secret: 'only-for-tests-0123456789abcdef0123456789',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    scope: scopes.join(' '),
  }],
  scopes,
  jwks: { keys: [jwk] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      // Tokens for another resource exist too, so a test can show they are
      // refused here (the wrong audience).
      getResourceServerInfo: (ctx, resource) => {
        if (resource !== audience && resource !== 'https://other.example.test/mcp') throw new Error(`unknown resource ${resource}`);
        return { scope: scopes.join(' '), audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'RS256' } } };
      },
    },
  },
});
provider.listen(port, '127.0.0.1', () => console.log(`issuer ${issuer}`));
