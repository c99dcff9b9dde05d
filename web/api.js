// The only file that calls fetch. Every call stays on this origin and carries the session cookie;
// every write carries the CSRF header. Failures become an ApiError built from the RFC 9457 problem.
// A 401 means the session ended: this file says so once, as `signed-out` on the document (the app shows the
// sign-in view), and the call never settles, so the view that made it (gone now) shows no problem for it.

export class ApiError extends Error {
    constructor({ status = 0, type = 'about:blank', title, detail = '', errors = [], retryAfter = null,
        category = null, redirectUri = null, missingScopes = [] }) {
        super(detail ? `${title}: ${detail}` : title);
        this.name = 'ApiError';
        this.status = status;
        this.type = type;
        this.title = title;
        this.detail = detail;
        this.errors = errors;
        this.retryAfter = retryAfter;
        // OAuth and pairing problems name what went wrong (`state_mismatch`) and, for a redirect URI the
        // provider refused, the URI to register.
        this.category = category;
        this.redirectUri = redirectUri;
        this.missingScopes = missingScopes;
    }
}

// For answers that are not problem+json (nginx's own error pages, a stopped responder).
const fallbackTitles = {
    401: 'Sign-in required',
    403: 'Not allowed',
    404: 'Not found',
    413: 'Too large',
    429: 'Too many requests',
    502: 'Switchboard is not responding',
    503: 'Switchboard is not available',
    504: 'Switchboard did not answer in time',
};

async function problemFrom(response) {
    const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
    const base = { status: response.status, retryAfter: Number.isFinite(retryAfter) ? retryAfter : null };
    const contentType = response.headers.get('Content-Type') ?? '';
    if (contentType.includes('json')) {
        try {
            const p = await response.json();
            return new ApiError({
                ...base,
                type: typeof p.type === 'string' ? p.type : undefined,
                title: typeof p.title === 'string' && p.title ? p.title : fallbackTitles[response.status] ?? 'Request failed',
                detail: typeof p.detail === 'string' ? p.detail : '',
                errors: Array.isArray(p.errors) ? p.errors : [],
                category: typeof p.category === 'string' ? p.category : null,
                redirectUri: typeof p.redirectUri === 'string' ? p.redirectUri : null,
                missingScopes: Array.isArray(p.missingScopes) ? p.missingScopes : [],
            });
        } catch {
            // Not JSON after all: fall through to the generic problem.
        }
    }
    const wait = base.retryAfter ? `Wait ${base.retryAfter} seconds and try again.` : 'Wait a moment and try again.';
    return new ApiError({
        ...base,
        title: fallbackTitles[response.status] ?? 'Request failed',
        detail: response.status === 429 || response.status >= 500 ? wait : `The server answered ${response.status}.`,
    });
}

// Set once `signed-out` was said, so that the other calls the ended session refuses say nothing more; a
// session call that succeeds clears it.
let sessionEnded = false;

function signedOut() {
    if (sessionEnded) return;
    sessionEnded = true;
    document.dispatchEvent(new CustomEvent('signed-out'));
}

/** The session calls' own 401 is their answer (not signed in, a wrong token), not the end of a session. */
async function sessionRequest(method, path, body) {
    const answer = await request(method, path, body, { session: true });
    sessionEnded = false;
    return answer;
}

async function request(method, path, body, { contentType = 'application/json', ifMatch, withETag = false, session = false } = {}) {
    const headers = { Accept: 'application/json, application/problem+json' };
    if (method !== 'GET' && method !== 'HEAD') headers['X-Switchboard-CSRF'] = '1';
    if (body !== undefined) headers['Content-Type'] = contentType;
    if (ifMatch !== undefined) headers['If-Match'] = ifMatch;
    let response;
    try {
        response = await fetch(path, {
            method,
            headers,
            credentials: 'same-origin',
            cache: 'no-store',
            body: body === undefined ? undefined : JSON.stringify(body),
        });
    } catch {
        throw new ApiError({
            title: 'Cannot reach Switchboard',
            detail: 'The request did not get through. Check the connection and try again.',
        });
    }
    if (response.status === 401 && !session) {
        signedOut();
        return new Promise(() => {});
    }
    if (!response.ok) throw await problemFrom(response);
    if (response.status === 204) return null;
    const type = response.headers.get('Content-Type') ?? '';
    const result = type.includes('json') ? await response.json() : await response.text();
    return withETag ? { body: result, etag: response.headers.get('ETag') } : result;
}

/** `/api/accounts/anthropic:work`: the id's `:` stays as it is (a path segment may hold it). */
function accountPath(id, rest = '') {
    return `/api/accounts/${encodeURIComponent(id).replace(/%3A/gi, ':')}${rest}`;
}

function oauthPath(provider) {
    return `/api/oauth/clients/${encodeURIComponent(provider)}`;
}

/** An account answer with its version's ETag: `{...account, etag}`. */
async function accountView(method, path, body, options) {
    const { body: account, etag } = await request(method, path, body, { ...options, withETag: true });
    return { ...account, etag: etag ?? `"${account.version}"` };
}

/** The settings document answers carry their revision's ETag: `{...view, etag}`. */
async function configView(method, path, body, options) {
    const { body: view, etag } = await request(method, path, body, { ...options, withETag: true });
    return { ...view, etag: etag ?? `"${view.revision}"` };
}

export const api = {
    health: () => request('GET', '/api/health'),
    /** The signed-in session, or an ApiError with status 401. */
    currentSession: () => sessionRequest('GET', '/api/session'),
    /** A session for an admin token; an ApiError with status 401 when the token is refused. */
    signIn: (token) => sessionRequest('POST', '/api/session', { token }),
    /** Ends the session (one that had ended already is fine too) and says `signed-out`. */
    signOut: async () => {
        try {
            await request('DELETE', '/api/session', undefined, { session: true });
        } catch (error) {
            if (error.status !== 401) throw error;
        }
        signedOut();
    },

    /** The settings document with `etag`, `effective` values and `warnings`. */
    config: () => configView('GET', '/api/config'),
    /** The document's JSON Schema and the UI hints (labels, help, options) keyed by JSON pointer. */
    configSchema: () => request('GET', '/api/config/schema'),
    /** An RFC 7396 merge patch against the revision `etag` names; 412 when it is no longer current. */
    patchConfig: (patch, etag) =>
        configView('PATCH', '/api/config', patch, { contentType: 'application/merge-patch+json', ifMatch: etag }),
    /** Makes `revision`'s document current again as a new revision (Undo). */
    revertConfig: (revision, etag) => configView('POST', '/api/config/revert', { revision }, { ifMatch: etag }),

    /** The provider catalog: `{providers, problems}`, each provider with its `authMethods`. */
    catalog: () => request('GET', '/api/catalog'),
    /** One provider and its `models`. */
    catalogProvider: (provider) => request('GET', `/api/catalog/${encodeURIComponent(provider)}`),

    /** Every provider account with its status and credential metadata (never a secret): `{accounts}`. */
    accounts: () => request('GET', '/api/accounts'),
    /** One account with `etag`. */
    account: (id) => accountView('GET', accountPath(id)),
    /** Connects an account, its credential in the same request; the answer carries `etag`. */
    createAccount: (input) => accountView('POST', '/api/accounts', input),
    /** An RFC 7396 merge patch of the account's settings; with `etag`, 412 when the account changed since. */
    patchAccount: (id, patch, etag) =>
        accountView('PATCH', accountPath(id), patch, { contentType: 'application/merge-patch+json', ifMatch: etag }),
    /** Disconnects the account (its credential goes too). */
    deleteAccount: (id) => request('DELETE', accountPath(id)),
    /** What a disconnect would affect: `{references, takeover, otherAccounts, summary}`. */
    accountImpact: (id) => request('GET', accountPath(id, '/impact')),
    /** Stores or replaces the credential; the answer is the account (metadata only). */
    putCredential: (id, credential) => request('PUT', accountPath(id, '/credential'), credential),
    deleteCredential: (id) => request('DELETE', accountPath(id, '/credential')),
    /** The stored secret, audited as `credential.revealed` before it is sent: `{kind, field, value}`. */
    revealCredential: (id) => request('POST', accountPath(id, '/credential/reveal')),
    /** The stored secret for the clipboard, audited as `credential.copied` before it is sent. */
    copyCredential: (id) => request('POST', accountPath(id, '/credential/copy')),

    /**
     * Tests the stored credential against the provider (the outcome is stored on the account too):
     * `{ok, category, httpStatus, latencyMs, summary, modelCount, quota, testedAt}`.
     */
    testAccount: (id) => request('POST', accountPath(id, '/test')),
    /** Tests a credential that is not stored: `{credential, baseUrl?, authMethod?, account?}`; nothing is kept. */
    testDraftCredential: (provider, draft) =>
        request('POST', `/api/providers/${encodeURIComponent(provider)}/test`, draft),
    /** The account's models, catalog and discovered, each with its `source`: `{account, models, fetchedAt}`. */
    accountModels: (id) => request('GET', accountPath(id, '/models')),
    /** Fetches the provider's model list now: the list as `accountModels` gives it, and `refresh` ({ok, category, summary}). */
    refreshAccountModels: (id) => request('POST', accountPath(id, '/models/refresh')),

    /** The OAuth client of each provider, built in or the operator's: `{clients}`. */
    oauthClients: () => request('GET', '/api/oauth/clients'),
    /** Registers the operator's own OAuth client for `provider` (422 with pointers into `client`). */
    putOAuthClient: (provider, client) => request('PUT', oauthPath(provider), client),
    /** Goes back to the built-in client. */
    deleteOAuthClient: (provider) => request('DELETE', oauthPath(provider)),
    /**
     * Starts a browser sign-in (authorization code + PKCE); with `account`, it signs that account in again:
     * `{flowId, account, authorizeUrl, redirectUri, redirectMode, expiresAt, deviceCode}`.
     */
    startOAuth: (provider, account = null) => request('POST', `/api/oauth/${encodeURIComponent(provider)}/start`, account ? { account } : {}),
    /** Finishes a flow with the code the provider showed (or the whole address it sent the browser to): `{flow}`. */
    pasteOAuthCode: (provider, flowId, code) =>
        request('POST', `/api/oauth/${encodeURIComponent(provider)}/paste`, { flowId, code }),
    /** A sign-in flow's state: `{status, category, message, account, missingScopes, …}`. */
    oauthFlow: (flowId) => request('GET', `/api/oauth/flows/${encodeURIComponent(flowId)}`),
    /** Starts a device-code sign-in: the flow with `userCode`, `verificationUri` and `interval`. */
    startDeviceCode: (provider, account = null) =>
        request('POST', `/api/oauth/${encodeURIComponent(provider)}/device`, account ? { account } : {}),
    /** Has the server ask the provider whether the device code was entered (at most once per `interval`): the flow. */
    pollDeviceCode: (flowId) => request('POST', `/api/oauth/flows/${encodeURIComponent(flowId)}/poll`),

    /** A pairing code for `provider` (and `account` when it replaces that account's credential): `{id, code, command, expiresAt}`. */
    createPairing: (provider, account = null) => request('POST', '/api/pairing', account ? { provider, account } : { provider }),
    /** A pairing's state, without its code: `{status, account, expiresAt, …}`. */
    pairing: (id) => request('GET', `/api/pairing/${encodeURIComponent(id)}`),
    /** A new code for the pairing; the old one stops working. */
    refreshPairing: (id) => request('POST', `/api/pairing/${encodeURIComponent(id)}/refresh`),

    /** The audit log, newest first: `{events, nextBefore}`; `type`, `since`, `until` (ISO times), `limit`, `before` narrow it. */
    audit: ({ type, since, until, limit, before } = {}) => {
        const query = new URLSearchParams();
        if (type) query.set('type', type);
        if (since) query.set('since', since);
        if (until) query.set('until', until);
        if (limit) query.set('limit', String(limit));
        if (before) query.set('before', String(before));
        return request('GET', `/api/audit${query.size ? `?${query}` : ''}`);
    },
    /** Whether the audit chain verifies: `{ok, events, problem, legacyEvents, keysUsed, headFileSeq, reanchoredAt}`. */
    auditVerify: () => request('GET', '/api/audit/verify'),

    /** Config revisions, newest first: `{revisions: [{revision, createdAt, actor, changedPaths, restoredFrom}], nextBefore}`. */
    configHistory: ({ limit, before } = {}) => {
        const query = new URLSearchParams();
        if (limit) query.set('limit', String(limit));
        if (before) query.set('before', String(before));
        return request('GET', `/api/config/history${query.size ? `?${query}` : ''}`);
    },
    /** One revision with its whole `config`. */
    configRevision: (revision) => request('GET', `/api/config/history/${encodeURIComponent(revision)}`),

    /** Adds or replaces a custom provider (Catwalk's provider JSON); 422 with pointers into `provider`. */
    putCustomProvider: (id, provider) => request('PUT', `/api/catalog/custom/${encodeURIComponent(id)}`, provider),
    deleteCustomProvider: (id) => request('DELETE', `/api/catalog/custom/${encodeURIComponent(id)}`),

    /** Routing as the responder sees it: `{generatedAt, models, accounts, decisions}`; `model` narrows it to one model. */
    routeStatus: (model) => request('GET', `/api/route/status${model ? `?model=${encodeURIComponent(model)}` : ''}`),

    /** The provider CLIs as the last scan found them, with notices and accounts: `{tools, searchPaths}`. */
    clis: () => request('GET', '/api/cli'),
    /** Looks for the CLIs now (versions, models, each account's sign-in); the answer is `clis()`'s. */
    scanCLIs: () => request('POST', '/api/cli/scan'),
    /** Reads a CLI's models again and clears its stale mark: the CLI as `clis()` lists it. */
    syncCLI: (name) => request('POST', `/api/cli/${encodeURIComponent(name)}/sync`),
    /** A CLI's models with their typed parameters: `{tool, version, source, writtenFor, stale, models}`. */
    cliModels: (name) => request('GET', `/api/cli/${encodeURIComponent(name)}/models`),
    /** Adds an account of a CLI: `{id, displayName?, home?}`; 422 with pointers. */
    createCLIAccount: (name, input) => request('POST', `/api/cli/${encodeURIComponent(name)}/accounts`, input),
    deleteCLIAccount: (name, id) => request('DELETE', cliAccountPath(name, id)),
    /** Asks the CLI whether the account is signed in; the account. */
    checkCLIAccount: (name, id) => request('POST', cliAccountPath(name, id, '/check')),
    /** Starts the CLI's own sign-in in a terminal: `{status, url, code, prompt, output, expiresAt, …}`. */
    startCLILogin: (name, id) => request('POST', cliAccountPath(name, id, '/login')),
    cliLogin: (name, id) => request('GET', cliAccountPath(name, id, '/login')),
    /** Types a line into the running sign-in (the code the sign-in page showed). */
    sendCLILogin: (name, id, text) => request('POST', cliAccountPath(name, id, '/login/input'), { text }),
    cancelCLILogin: (name, id) => request('DELETE', cliAccountPath(name, id, '/login')),
    /** Named model selections: `{selections, groups}`. */
    cliSelections: () => request('GET', '/api/cli/selections'),
    /** Creates (no `name` argument) or replaces a selection; 422 with pointers into the input. */
    saveCLISelection: (input, name = null) => (name
        ? request('PUT', `/api/cli/selections/${encodeURIComponent(name)}`, input)
        : request('POST', '/api/cli/selections', input)),
    deleteCLISelection: (name) => request('DELETE', `/api/cli/selections/${encodeURIComponent(name)}`),
    /** The command a selection gives an account (its first when none is named): `{selection, account, command}`. */
    previewCLISelection: (name, account = null) =>
        request('GET', `/api/cli/selections/${encodeURIComponent(name)}/command${account ? `?account=${encodeURIComponent(account)}` : ''}`),
};

/** `/api/cli/codex/accounts/codex:work…`: the id's `:` stays as it is. */
function cliAccountPath(name, id, rest = '') {
    return `/api/cli/${encodeURIComponent(name)}/accounts/${encodeURIComponent(id).replace(/%3A/gi, ':')}${rest}`;
}
