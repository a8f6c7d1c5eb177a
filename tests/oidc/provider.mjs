// A real OpenID Provider for the tests: panva/oidc-provider (OpenID Certified), its stock
// development sign-in pages (any login is accepted; the login becomes the subject and the email).
// Started by tests/oidc_provider.py; binds to 127.0.0.1 only.
//
//   node provider.mjs <port> '<clients as JSON>'
import http from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const clients = JSON.parse(process.argv[3]);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients,
  // Authorization code with PKCE (S256) for every client, public or confidential.
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  features: { devInteractions: { enabled: true } },
  // The login typed into the stock page: "address" or "address|unverified" (email_verified false).
  async findAccount(ctx, id) {
    const [email, flag] = id.split('|');
    return {
      accountId: id,
      async claims() {
        return { sub: id, email, email_verified: flag !== 'unverified', name: email.split('@')[0] };
      },
    };
  },
  cookies: { keys: ['hiregraph-tests-only-cookie-key'] },
});
provider.proxy = false;

http.createServer(provider.callback()).listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
