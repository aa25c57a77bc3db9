// A real OpenID provider for the single sign-on tests: oidc-provider (certified, pinned in package.json),
// served on a free loopback port. tests/oidc_server.py starts it and reads the first line it prints.
//
// stdin: one JSON object {clients: [...oidc-provider client metadata], accounts: {sub: {email, email_verified,
// name}}, conformIdTokenClaims: true}. The provider's own settings are its defaults except what a test
// provider must set: its accounts, a sign-in page (below), PKCE required, no consent screen for our client.
//
// The sign-in page stands in for the organisation's: a person picks an account by its subject and says
// whether they completed a second factor; the session then carries amr ["pwd", "mfa"] or ["pwd"].
// POST /test-control {hang: [path prefixes]} makes those endpoints accept requests and never answer;
// GET /test-control says how many such requests the client gave up on (closed).
import crypto from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

const MFA_ACR = 'urn:due-regard:test:mfa';
const PASSWORD_ACR = 'urn:due-regard:test:pwd';

const settings = JSON.parse(await new Promise((resolve) => {
  let text = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => { text += chunk; });
  process.stdin.on('end', () => resolve(text || '{}'));
}));
const accounts = settings.accounts ?? {};
const control = { hang: [], hung: 0, abandoned: 0 };

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

function signInPage(uid, details, problem) {
  const prompt = details.prompt?.name ?? 'login';
  return page('Example Constabulary sign-in', `
${problem ? `<p role="alert" id="problem">${escape(problem)}</p>` : ''}
<p>Sign in to continue to ${escape(details.params.client_id)} (${escape(prompt)}).</p>
<form method="post" action="/interaction/${escape(uid)}/login">
  <p><label for="account">Account</label> <input id="account" name="account" autocomplete="username"></p>
  <p><input type="checkbox" id="mfa" name="mfa" value="yes"> <label for="mfa">I confirmed a second factor</label></p>
  <p><button type="submit">Sign in</button></p>
</form>
<form method="post" action="/interaction/${escape(uid)}/abort"><p><button type="submit">Cancel</button></p></form>`);
}

async function readForm(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return new URLSearchParams(text);
}

function send(res, status, body, type = 'text/html; charset=utf-8') {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function interaction(provider, req, res) {
  const [, , uid, action] = new URL(req.url, 'http://x').pathname.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, page('Wrong interaction', ''));
  if (req.method === 'GET') return send(res, 200, signInPage(uid, details));
  if (action === 'abort') {
    return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'cancelled' });
  }
  const form = await readForm(req);
  const accountId = form.get('account') ?? '';
  if (!Object.hasOwn(accounts, accountId)) return send(res, 200, signInPage(uid, details, 'No such account'));
  const mfa = form.get('mfa') === 'yes';
  return provider.interactionFinished(req, res, {
    login: { accountId, amr: mfa ? ['pwd', 'mfa'] : ['pwd'], acr: mfa ? MFA_ACR : PASSWORD_ACR },
  }, { mergeWithLastSubmission: false });
}

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-provider', use: 'sig', alg: 'RS256' };

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: settings.clients ?? [],
    async findAccount(ctx, sub) {
      if (!Object.hasOwn(accounts, sub)) return undefined;
      return { accountId: sub, async claims() { return { sub, ...accounts[sub] }; } };
    },
    // amr and acr are ID token claims (OIDC Core 2): listed with openid so that, as Entra ID and Okta do,
    // every ID token says how the person signed in. The email and profile claims stay scope claims.
    claims: { openid: ['sub', 'acr', 'amr', 'auth_time'], email: ['email', 'email_verified'], profile: ['name'] },
    // OIDC Core 5.4: with the code flow the scope's claims come from userinfo, not the ID token.
    conformIdTokenClaims: settings.conformIdTokenClaims ?? true,
    acrValues: [PASSWORD_ACR, MFA_ACR],
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    jwks: { keys: [signingKey] },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.body = page('Sign out of Example Constabulary', `${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>`);
        },
      },
    },
    interactions: { url: (ctx, details) => `/interaction/${details.uid}` },
    pkce: { required: () => true },
    // Our client is first-party: its grant is given without a consent screen, as an organisation's would be.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  });
  const callback = provider.callback();
  server.on('request', async (req, res) => {
    const path = new URL(req.url, issuer).pathname;
    try {
      if (path === '/test-control') {
        if (req.method === 'POST') control.hang = JSON.parse((await readForm(req)).get('hang') ?? '[]');
        return send(res, 200, JSON.stringify(control), 'application/json');
      }
      if (control.hang.some((prefix) => path.startsWith(prefix))) {
        control.hung += 1;
        req.socket.on('close', () => { control.abandoned += 1; });
        return undefined; // never answer
      }
      if (path.startsWith('/interaction/')) return await interaction(provider, req, res);
      return callback(req, res);
    } catch (error) {
      return send(res, 500, page('Provider error', escape(error.message)));
    }
  });
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
