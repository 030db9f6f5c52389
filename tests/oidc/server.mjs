// Real OpenID Connect providers for tests (oidc-provider), one per configured issuer.
//
//   node tests/oidc/server.mjs CONFIG.json [--exit-on-stdin-close]
//
// CONFIG: {"issuers": [{"name", "port", "clients": [...], "accounts": {...}}]}.
// "port": 0 lets the OS pick a free port (no race); the real URLs are in the READY line:
//   READY {"us-gov": "http://127.0.0.1:47001", ...}
// Test-only extras per issuer: HTML login at /interaction/:uid, automatic consent,
// and POST /__test__/misbehave {"mode": ...} to corrupt the next token response's id_token.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const MODES = new Set(['signature', 'audience', 'nonce', 'issuer', 'expired']);
const FORM_LIMIT = 64 * 1024;

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const b64url = (buf) => Buffer.from(buf).toString('base64url');

function page(title, body) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function loginPage(issuerName, uid, error) {
  const err = error ? `<p id="login-error" role="alert">${escapeHtml(error)}</p>\n` : '';
  const describedBy = error ? ' aria-describedby="login-error" aria-invalid="true"' : '';
  return page(`Sign in – ${issuerName} (test identity provider)`, `<h1>Sign in to ${escapeHtml(issuerName)}</h1>
${err}<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label for="login">Account</label>
<input id="login" name="login" type="text" autocomplete="username" required autofocus${describedBy}>
<button type="submit">Sign in</button>
</form>`);
}

async function readBody(req) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > FORM_LIMIT) throw new Error('body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// Re-sign a JWT with RS256 using node:crypto, so tampered tokens carry a *valid* signature
// from the issuer's real key and only the chosen claim is wrong.
function signJwt(header, payload, privateKey) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const sig = crypto.sign('sha256', Buffer.from(input), privateKey);
  return `${input}.${b64url(sig)}`;
}

function tamper(idToken, mode, privateKey) {
  const [h, p, s] = idToken.split('.');
  if (mode === 'signature') {
    const sig = Buffer.from(s, 'base64url');
    for (let i = 0; i < 8; i += 1) sig[i] ^= 0xff; // still well-formed base64url, wrong bytes
    return `${h}.${p}.${b64url(sig)}`;
  }
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const payload = JSON.parse(Buffer.from(p, 'base64url'));
  const now = Math.floor(Date.now() / 1000);
  if (mode === 'audience') payload.aud = 'someone-else';
  if (mode === 'nonce') payload.nonce = 'wrong-nonce';
  if (mode === 'issuer') payload.iss = 'http://127.0.0.1:1';
  if (mode === 'expired') {
    const lifetime = payload.exp - payload.iat;
    payload.exp = now - 3600;
    payload.iat = payload.exp - lifetime;
    if (payload.auth_time) payload.auth_time = Math.min(payload.auth_time, payload.iat);
  }
  return signJwt(header, payload, privateKey);
}

function buildProvider(spec, issuerUrl) {
  // A fresh RSA key per issuer, so JWKS differ and one issuer's key can't verify another's tokens.
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = {
    ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), alg: 'RS256', use: 'sig',
  };
  const accounts = spec.accounts || {};
  // All issuers share the host 127.0.0.1 and cookies ignore ports, so cookie names are per issuer.
  const cookiePrefix = `_op_${spec.name.replace(/[^A-Za-z0-9]/g, '_')}`;

  const provider = new Provider(issuerUrl, {
    clients: (spec.clients || []).map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      redirect_uris: c.redirect_uris,
      post_logout_redirect_uris: c.post_logout_redirect_uris || [],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: c.token_endpoint_auth_method || 'client_secret_basic',
    })),
    jwks: { keys: [jwk] },
    async findAccount(ctx, sub) {
      const a = Object.hasOwn(accounts, sub) ? accounts[sub] : undefined;
      if (!a) return undefined;
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            email: a.email,
            // Accounts may set false (or a string) to test rejection; null leaves the claim out altogether.
            email_verified: Object.hasOwn(a, 'email_verified') ? (a.email_verified ?? undefined) : true,
            name: a.name,
            organisation: a.organisation,
          };
        },
      };
    },
    scopes: ['openid', 'email', 'profile'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'organisation'] },
    // Put scope-requested claims into the id_token too, not only into userinfo.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { methods: ['S256'], required: () => true },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.body = page(`Sign out – ${spec.name} (test identity provider)`, `<h1>Sign out of ${escapeHtml(spec.name)}?</h1>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<button type="submit" form="op.logoutForm">Stay signed in</button>`);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page(`Signed out – ${spec.name}`, `<h1>You are signed out of ${escapeHtml(spec.name)}</h1>`);
        },
      },
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page(`Error – ${spec.name}`, `<h1>Sign-in error</h1>
<p>${escapeHtml(out.error)}: ${escapeHtml(out.error_description || '')}</p>`);
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: {
      keys: [crypto.randomBytes(32).toString('hex')],
      names: {
        session: `${cookiePrefix}_session`,
        interaction: `${cookiePrefix}_interaction`,
        resume: `${cookiePrefix}_resume`,
      },
      // The default long cookie is SameSite=None, which browsers drop unless Secure (needs https).
      // Lax works here: app and provider are both 127.0.0.1, i.e. the same site.
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    ttl: {
      AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600,
    },
  });

  let misbehave = null; // one-shot mode for the next token response

  // Login page and automatic consent, driven by interactionDetails/interactionFinished.
  async function interaction(ctx, uid, isLoginPost) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== uid) {
      ctx.status = 400; ctx.body = 'interaction mismatch'; return;
    }
    const { prompt, params, session } = details;

    if (prompt.name === 'login' && ctx.method === 'GET' && !isLoginPost) {
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = loginPage(spec.name, uid);
      return;
    }
    if (prompt.name === 'login' && ctx.method === 'POST' && isLoginPost) {
      const login = new URLSearchParams(await readBody(ctx.req)).get('login')?.trim() || '';
      if (!Object.hasOwn(accounts, login)) {
        ctx.status = 400;
        ctx.type = 'html';
        ctx.set('Cache-Control', 'no-store');
        ctx.body = loginPage(spec.name, uid, 'Unknown account. Check the account name and try again.');
        return;
      }
      const result = { login: { accountId: login } };
      await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
      return;
    }
    if (prompt.name === 'consent') {
      // Grant whatever is missing, as the package's own example does once the user clicks "Continue".
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      const d = prompt.details;
      if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
      if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(d.missingResourceScopes || {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      const grantId = await grant.save();
      const consent = details.grantId ? {} : { grantId };
      await provider.interactionFinished(ctx.req, ctx.res, { consent }, { mergeWithLastSubmission: true });
      return;
    }
    ctx.status = 400;
    ctx.body = `unexpected interaction: ${prompt.name} ${ctx.method}`;
  }

  provider.use(async (ctx, next) => {
    // Test control endpoint.
    if (ctx.path === '/__test__/misbehave') {
      if (ctx.method !== 'POST') { ctx.status = 405; return; }
      let mode;
      try {
        ({ mode } = JSON.parse(await readBody(ctx.req)));
      } catch {
        ctx.status = 400; ctx.body = { error: 'expected JSON {"mode": ...}' }; return;
      }
      if (mode !== null && !MODES.has(mode)) {
        ctx.status = 400; ctx.body = { error: `unknown mode ${mode}` }; return;
      }
      misbehave = mode;
      ctx.body = { mode };
      return;
    }

    const m = /^\/interaction\/([^/]+)(\/login)?$/.exec(ctx.path);
    if (m) {
      try {
        await interaction(ctx, m[1], Boolean(m[2]));
      } catch (err) {
        // Our middleware runs outside oidc-provider's error handler: render its errors ourselves,
        // e.g. "interaction session id cookie not found" when cookies were not sent back.
        ctx.status = err.statusCode || 500;
        ctx.type = 'html';
        ctx.body = page(`Error – ${spec.name}`, `<h1>Sign-in error</h1>
<p>${escapeHtml(err.error || 'server_error')}: ${escapeHtml(err.error_description || '')}</p>`);
      }
      return;
    }

    await next();

    // One-shot id_token tampering after the token endpoint ran.
    if (misbehave && ctx.oidc?.route === 'token' && ctx.status === 200 && ctx.body?.id_token) {
      ctx.body = { ...ctx.body, id_token: tamper(ctx.body.id_token, misbehave, privateKey) };
      misbehave = null;
    }
  });

  // Log failures without request data (which could hold secrets or codes).
  provider.on('server_error', (ctx, err) => console.error(`[${spec.name}] server_error: ${err.message}`));
  return provider;
}

async function main() {
  const configPath = process.argv[2];
  if (!configPath) {
    console.error('usage: node server.mjs CONFIG.json [--exit-on-stdin-close]');
    process.exit(2);
  }
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  const servers = [];
  const ready = {};

  for (const spec of config.issuers) {
    // Listen first so that port 0 resolves to a real port before the issuer URL is fixed.
    const server = http.createServer();
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(spec.port ?? 0, '127.0.0.1', resolve);
    });
    const issuerUrl = `http://127.0.0.1:${server.address().port}`;
    const provider = buildProvider(spec, issuerUrl);
    // oidc-provider validates static clients lazily; load them now so bad metadata fails at start.
    for (const c of spec.clients || []) await provider.Client.find(c.client_id);
    server.on('request', provider.callback());
    servers.push(server);
    ready[spec.name] = issuerUrl;
  }

  const shutdown = () => {
    for (const s of servers) s.closeAllConnections?.();
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  if (process.argv.includes('--exit-on-stdin-close')) {
    // The harness holds our stdin open; if it dies without cleaning up, we go too.
    process.stdin.on('end', shutdown);
    process.stdin.on('close', shutdown);
    process.stdin.resume();
  }

  process.stdout.write(`READY ${JSON.stringify(ready)}\n`);
}

main().catch((err) => {
  console.error(`oidc test server failed: ${err.stack || err}${err.error_description ? ` (${err.error_description})` : ''}`);
  process.exit(1);
});
