// A real OpenID Connect provider on loopback for Tocsin's browser tests
// (https://github.com/panva/node-oidc-provider with its development login screens).
//
//   node provider.mjs '<json config>'
//   config: {"client_id", "client_secret", "redirect_uris": [...],
//            "accounts": {"login": {"email", "name", "groups": [...]}}}
//
// Binds 127.0.0.1 on a free port and prints "READY <issuer>" once it serves requests.
import http from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2] || '{}');
const accounts = config.accounts || {};

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: config.client_id,
      client_secret: config.client_secret,
      redirect_uris: config.redirect_uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
      groups: ['groups'],
    },
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
    pkce: { required: () => true },
    cookies: { keys: ['tocsin-test-only-cookie-key'] },
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, id) {
      const known = accounts[id] || {};
      const [given, ...family] = (known.name || id).split(' ');
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            email: known.email || `${id}@example.com`,
            email_verified: true,
            name: known.name || id,
            given_name: given,
            family_name: family.join(' '),
            preferred_username: id,
            groups: known.groups || [],
          };
        },
      };
    },
  });
  provider.proxy = false;
  server.on('request', provider.callback());
  process.stdout.write(`READY ${issuer}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
