import { api } from '../../api.js';
import { announce } from '../../lib/announce.js';
import { placeProblems } from '../../lib/fields.js';
import { html, render, withCode } from '../../lib/html.js';
import { segments } from '../../lib/pointer.js';
import { confirmDialog } from '../account-dialog/account-dialog.js';
import { credentialKind, secretNouns } from '../account-credential/account-credential.js';
import { accountTestResult, refreshRelativeTimes, refusedTest, relativeTimeTag } from './connection-test.js';
import '../oauth-sign-in/oauth-sign-in.js';
import '../pairing-panel/pairing-panel.js';

export const statusLabels = {
    connected: 'Connected',
    untested: 'Untested',
    error: 'Error',
    missing_credential: 'Missing credential',
    credential_unreadable: 'Credential unreadable',
    not_configured: 'Not configured',
};

const methodLabels = {
    api_key: 'API key',
    cloud_credentials: 'Cloud credentials',
    service_account: 'Service account key',
    oauth_browser: 'OAuth sign-in in the browser',
    oauth_device_code: 'OAuth sign-in with a device code',
    pairing: 'Pair from your local machine',
};

const methodDescriptions = {
    api_key: 'Paste a key from the provider’s console.',
    cloud_credentials: 'Access keys of your cloud account.',
    service_account: 'The JSON key file of a Google Cloud service account.',
    oauth_browser: 'Sign in at the provider in a new tab; Switchboard keeps the tokens.',
    oauth_device_code: 'Type a short code at the provider, on this or any other device.',
    pairing: 'Run a command on a machine that has a browser and type the code shown here.',
};

// Methods that connect through a flow (a sign-in, a pairing) instead of fields typed here, and the panel of each.
const flowPanels = { oauth_browser: 'oauth-sign-in', oauth_device_code: 'oauth-sign-in', pairing: 'pairing-panel' };

const roleLabels = {
    primary: 'Default model',
    fallback: 'Fallback model',
    system_brain: 'System Brain model',
    heartbeat: 'Heartbeat model',
    image: 'Default image model',
    agent_primary: 'Agent model',
    agent_fallback: 'Agent fallback model',
    other: 'Setting',
};

const accountName = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Why `option` cannot be chosen, or '' when it can. */
function unavailable(provider, option) {
    if (option.status === 'phased') return 'Coming soon';
    if (flowPanels[option.method]) return '';
    return credentialKind(provider, option.method) ? '' : 'Coming soon';
}

/** PUT …/credential answers with pointers into the credential (`/apiKey`): the form names it `/credential/apiKey`. */
function underCredential(error) {
    error.errors = (error.errors ?? []).map((e) => ({
        ...e, pointer: e.pointer?.startsWith('/credential') ? e.pointer : `/credential${e.pointer ?? ''}`,
    }));
}

const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

// The account's own settings: when a re-read after a test shows them changed, the page keeps the version it
// has, so that a save still finds out (412) instead of overwriting what changed elsewhere.
const settingsFields = ['displayName', 'authMethod', 'baseUrl', 'headers', 'maxConcurrent', 'timeoutSeconds', 'defaultModel', 'credential'];

const sourceLabels = { catalog: 'In the catalog, not listed by the provider', discovered: 'Discovered from the provider' };

/**
 * One provider's accounts, expanded: pick or add an account, choose how it authenticates, store or replace
 * its credential (never shown again after saving; Reveal and Copy ask first and are audited), its default
 * model and advanced settings, and Disconnect after showing what depends on it. Set `provider` (the catalog
 * entry) and `accounts` (this provider's) before it connects. Fires `account-changed` (detail: {account}),
 * `account-removed` (detail: {id}) and `editor-close`.
 */
export class AccountEditor extends HTMLElement {
    provider = null;
    accounts = [];
    #current = null;
    // The catalog's models of the provider (a new account) and each saved account's list (GET …/models).
    #catalogModels = null;
    #accountModels = new Map();
    // A failed model refresh per account: {category, summary}, shown until a refresh succeeds.
    #refreshFailures = new Map();
    #modelsProblem = null;
    #modelsBusy = false;
    #testing = null;
    #busy = false;
    #headerRows = 0;
    #clock = 0;

    constructor() {
        super();
        this.addEventListener('click', (event) => this.#onClick(event));
        this.addEventListener('change', (event) => this.#onChange(event));
        this.addEventListener('input', (event) => this.#onInput(event));
        this.addEventListener('submit', (event) => {
            event.preventDefault();
            this.#save();
        });
        this.addEventListener('confirm-key', () => this.#confirmKey());
        this.addEventListener('credential-problem', (event) => this.#requestProblem(event.detail.error));
        this.addEventListener('sign-in-request', (event) => {
            event.stopPropagation();
            this.#beginFlow(event.detail.kind);
        });
        this.addEventListener('signed-in', (event) => {
            event.stopPropagation();
            this.#signedIn(event.detail);
        });
        this.addEventListener('pairing-request', (event) => {
            event.stopPropagation();
            if (this.#choose('pairing')) {
                this.querySelector('pairing-panel')?.begin();
                this.querySelector('[data-flow-panel]')?.scrollIntoView({ block: 'nearest' });
            }
        });
    }

    connectedCallback() {
        // "Last tested 2 minutes ago" stays true while the editor is open.
        clearInterval(this.#clock);
        this.#clock = setInterval(() => refreshRelativeTimes(this), 30_000);
        if (this.firstElementChild) return;
        if (this.#current === null && this.accounts.length) this.#current = this.accounts[0];
        render(this, html`
            <section class="card account-editor" aria-labelledby="account-editor-title">
                <div class="account-editor__header">
                    <h4 class="account-editor__title" id="account-editor-title" tabindex="-1">${this.provider.name}</h4>
                    <button type="button" class="button button--small" data-op="close"
                            aria-describedby="account-editor-title">Close</button>
                </div>
                <div class="account-editor__accounts"></div>
                <div class="error account-editor__banner" role="alert"></div>
                <form class="account-editor__form" novalidate></form>
            </section>`);
        this.#renderAll();
    }

    disconnectedCallback() {
        clearInterval(this.#clock);
    }

    focusHeading() {
        this.querySelector('.account-editor__title')?.focus();
    }

    // MARK: Rendering

    #renderAll(overlay = null) {
        this.#renderPicker();
        this.#renderForm(overlay);
    }

    #renderPicker() {
        const box = this.querySelector('.account-editor__accounts');
        const isNew = this.#current === null;
        const choices = this.accounts.length + (isNew ? 1 : 0);
        render(box, html`
            ${choices > 1 ? html`
                <div class="field account-editor__picker">
                    <label for="acct-picker">Account</label>
                    <select id="acct-picker" data-op="pick">
                        ${this.accounts.map((a) => html`
                            <option value="${a.id}" ${a === this.#current ? html`selected` : ''}>${a.displayName} (${a.id})</option>`)}
                        ${isNew ? html`<option value="" selected>New account</option>` : ''}
                    </select>
                </div>` : ''}
            ${!isNew ? html`
                <button type="button" class="button button--small" data-op="add-account">Add another account</button>` : ''}`);
    }

    #renderForm(overlay) {
        const account = this.#current;
        const form = this.querySelector('form');
        const methods = this.provider.authMethods ?? [];
        const method = overlay?.authMethod ?? account?.authMethod ?? methods.find((o) => !unavailable(this.provider, o))?.method ?? null;
        render(form, html`
            ${account ? this.#statusLine(account) : this.#newAccountFields()}
            ${account ? html`
                <div class="field">
                    <label for="acct-display-name">Display name</label>
                    <input id="acct-display-name" type="text" data-field="displayName" autocomplete="off"
                           spellcheck="false" maxlength="100" aria-describedby="acct-display-name-messages">
                    <div class="field__messages" id="acct-display-name-messages" data-messages="/displayName"></div>
                </div>` : ''}
            ${this.#methodChoices(methods, method)}
            <account-credential class="account-credential"></account-credential>
            <div class="account-flow" data-flow-panel></div>
            <div class="account-oauth-use" data-oauth-use></div>
            <div class="field account-models">
                <label for="acct-default-model">Default model for this provider</label>
                <div class="account-models__row">
                    <select id="acct-default-model" data-field="defaultModel"
                            aria-describedby="acct-models-updated acct-models-problem acct-default-model-messages"></select>
                    ${account ? html`
                        <button type="button" class="button button--small" data-op="models-refresh"
                                aria-describedby="acct-models-updated">Refresh models</button>` : ''}
                </div>
                <p class="field__note" id="acct-models-updated" data-models-updated></p>
                <div class="field__messages" id="acct-models-problem" data-models-problem></div>
                <div class="account-models__manual" data-models-manual hidden>
                    <label for="acct-manual-model">Model id (manual)</label>
                    <p class="field__help" id="acct-manual-model-help">When filled in, this id is saved as the default model
                        instead of the choice above. Type it exactly as ${this.provider.name} names it.</p>
                    <input id="acct-manual-model" type="text" data-field="manualModel" autocomplete="off" spellcheck="false"
                           aria-describedby="acct-manual-model-help acct-default-model-messages">
                </div>
                <div class="field__messages" id="acct-default-model-messages" data-messages="/defaultModel"></div>
            </div>
            <details class="disclosure" data-advanced>
                <summary>Advanced</summary>
                <div class="field">
                    <label for="acct-base-url">Base URL</label>
                    <p class="field__help" id="acct-base-url-help">Leave empty to use ${this.provider.apiEndpoint ? html`<code>${this.provider.apiEndpoint}</code>` : 'the provider’s address'}.</p>
                    <input id="acct-base-url" type="text" inputmode="url" data-field="baseUrl" autocomplete="off" spellcheck="false"
                           placeholder="${this.provider.apiEndpoint ?? ''}" aria-describedby="acct-base-url-help acct-base-url-messages">
                    <div class="field__messages" id="acct-base-url-messages" data-messages="/baseUrl"></div>
                </div>
                <fieldset class="group account-headers" aria-describedby="acct-headers-help acct-headers-messages">
                    <legend>Custom headers</legend>
                    <p class="field__help" id="acct-headers-help">Sent with every request to this provider. Keys and tokens belong in the credential, not here.</p>
                    <ul class="account-headers__rows"></ul>
                    <button type="button" class="button button--small" data-op="add-header">Add header</button>
                    <div class="field__messages" id="acct-headers-messages" data-messages="/headers"></div>
                </fieldset>
                <div class="field-row">
                    <div class="field">
                        <label for="acct-max-concurrent">Max concurrent requests</label>
                        <input id="acct-max-concurrent" type="number" inputmode="numeric" min="1" max="1000" step="1"
                               data-field="maxConcurrent" aria-describedby="acct-max-concurrent-messages">
                        <div class="field__messages" id="acct-max-concurrent-messages" data-messages="/maxConcurrent"></div>
                    </div>
                    <div class="field">
                        <label for="acct-timeout">Timeout</label>
                        <span class="field__with-unit">
                            <input id="acct-timeout" type="number" inputmode="numeric" min="1" max="600" step="1"
                                   data-field="timeoutSeconds" aria-describedby="acct-timeout-messages">
                            <span class="field__unit">seconds</span>
                        </span>
                        <div class="field__messages" id="acct-timeout-messages" data-messages="/timeoutSeconds"></div>
                    </div>
                </div>
            </details>
            <div class="account-editor__actions">
                <button type="submit" class="button button--primary" data-op="save">${account ? 'Save' : 'Connect'}</button>
                ${account ? html`<button type="button" class="button button--danger" data-op="disconnect">Disconnect</button>` : ''}
            </div>`);
        const value = (field) => (overlay && field in overlay ? overlay[field] : account?.[field]);
        if (account) this.querySelector('[data-field="displayName"]').value = value('displayName') ?? '';
        this.querySelector('[data-field="baseUrl"]').value = value('baseUrl') ?? '';
        this.querySelector('[data-field="maxConcurrent"]').value = value('maxConcurrent') ?? '';
        this.querySelector('[data-field="timeoutSeconds"]').value = value('timeoutSeconds') ?? '';
        const headers = value('headers') ?? {};
        for (const [name, text] of Object.entries(headers)) this.#addHeader(name, text, false);
        this.#modelsProblem = null;
        this.#renderModels(value('defaultModel') ?? '');
        this.#loadModels();
        const credential = this.querySelector('account-credential');
        credential.provider = this.provider;
        credential.account = account;
        credential.draftContext = () => ({
            baseUrl: this.querySelector('[data-field="baseUrl"]')?.value.trim() || null,
            authMethod: this.querySelector('[data-field="authMethod"]:checked')?.value ?? null,
        });
        this.#showCredential(method);
        this.#renderOAuthUse(account);
        if (overlay?.credentialInputs) credential.restore(overlay.credentialInputs);
        if (overlay?.advancedOpen) this.querySelector('[data-advanced]').open = true;
    }

    /** The account's status, its last test, and the Test button with the outcome of the latest press. */
    #statusLine(account) {
        return html`
            <div class="account-status" data-status="${account.status}" data-account-status>
                <div class="account-status__body" data-status-body>${this.#statusBody(account)}</div>
                <div class="account-test">
                    <button type="button" class="button button--small" data-op="test"
                            aria-describedby="acct-test-help">Test connection</button>
                    <span class="account-test__help muted" id="acct-test-help">Uses the saved ${secretNouns[account.credential?.kind] ?? 'credential'} and address.</span>
                </div>
                <div class="account-test__result" id="acct-test-result" data-test-result role="status" aria-live="polite"></div>
            </div>`;
    }

    #statusBody(account) {
        const test = account.lastTest;
        return html`
            <p class="account-status__line">
                <span class="status-dot" aria-hidden="true"></span>
                <strong data-status-text>${statusLabels[account.status] ?? account.status}</strong>
                ${account.statusDetail ? html`<span> — ${account.statusDetail}</span>` : ''}
            </p>
            ${test?.at ? html`
                <p class="account-status__test muted" data-last-test data-ok="${test.ok ? 'true' : 'false'}">
                    <span aria-hidden="true">${test.ok ? '✓' : '✗'}</span>
                    Last tested ${relativeTimeTag(test.at)}${test.summary && test.summary !== account.statusDetail ? html` — ${test.summary}` : ''}
                </p>` : html`<p class="account-status__test muted" data-last-test>Not tested yet.</p>`}
            <p class="account-status__id muted">Account id <code>${account.id}</code></p>
            ${this.#needsSignIn(account) ? html`
                <p class="account-status__sign-in field__warning" data-sign-in-again>
                    <span id="acct-sign-in-again-why">${this.provider.name} no longer accepts this sign-in.</span>
                    <button type="button" class="button button--small" data-op="sign-in-again"
                            aria-describedby="acct-sign-in-again-why">Sign in again</button>
                </p>` : ''}`;
    }

    /** An OAuth account whose tokens the provider refused (the last test, or a failed refresh, says `auth`). */
    #needsSignIn(account) {
        const oauth = account.credential?.kind === 'oauth' || Boolean(account.oauth);
        const offered = (this.provider.authMethods ?? []).some((o) => o.method === 'oauth_browser' && !unavailable(this.provider, o));
        return oauth && offered && account.lastTest?.ok === false && account.lastTest?.category === 'auth';
    }

    /** Shows `account`'s status in place (the rest of the form, and what is typed in it, stays). */
    #refreshStatus(account) {
        const box = this.querySelector('[data-account-status]');
        if (!box) return;
        box.dataset.status = account.status;
        render(box.querySelector('[data-status-body]'), this.#statusBody(account));
    }

    #newAccountFields() {
        const taken = new Set(this.accounts.map((a) => a.id));
        const suggested = taken.has(`${this.provider.id}:default`) ? '' : 'default';
        return html`
            <p class="account-editor__intro">${this.accounts.length ? 'Add another account for this provider.' : `Connect ${this.provider.name}.`}</p>
            <div class="field-row">
                <div class="field">
                    <label for="acct-display-name">Display name</label>
                    <input id="acct-display-name" type="text" data-field="displayName" autocomplete="off" spellcheck="false"
                           maxlength="100" placeholder="${this.provider.name}" aria-describedby="acct-display-name-messages">
                    <div class="field__messages" id="acct-display-name-messages" data-messages="/displayName"></div>
                </div>
                <div class="field">
                    <label for="acct-name">Account name</label>
                    <input id="acct-name" type="text" data-field="name" autocomplete="off" spellcheck="false" value="${suggested}"
                           placeholder="work" aria-describedby="acct-name-help acct-name-messages">
                    <p class="field__help" id="acct-name-help">Lower-case letters, digits, - and _. The account’s id will be
                        <code data-id-preview>${this.provider.id}:${suggested || 'name'}</code>.</p>
                    <div class="field__messages" id="acct-name-messages" data-messages="/id"></div>
                </div>
            </div>`;
    }

    #methodChoices(methods, chosen) {
        if (!methods.length) {
            return html`
                <p class="muted">${this.provider.name} needs no credential.</p>
                <div class="field__messages" id="acct-auth-messages" data-messages="/authMethod"></div>`;
        }
        return html`
            <fieldset class="field choices account-methods" aria-describedby="acct-auth-messages">
                <legend>Authentication</legend>
                ${methods.map((option) => {
                    const note = unavailable(this.provider, option);
                    const id = `acct-auth-${option.method}`;
                    return html`
                        <label class="choice" for="${id}">
                            <input type="radio" id="${id}" name="acct-auth" value="${option.method}" data-field="authMethod"
                                   ${option.method === chosen ? html`checked` : ''} ${note ? html`disabled` : ''}
                                   aria-describedby="${id}-description">
                            <span class="choice__text">
                                <span class="choice__label">${methodLabels[option.method] ?? option.method}</span>
                                <span class="choice__description" id="${id}-description">${note || methodDescriptions[option.method] || ''}</span>
                            </span>
                        </label>`;
                })}
                <div class="field__messages" id="acct-auth-messages" data-messages="/authMethod"></div>
            </fieldset>`;
    }

    #showCredential(method) {
        const option = (this.provider.authMethods ?? []).find((o) => o.method === method);
        const flow = flowPanels[method] && option && !unavailable(this.provider, option) ? flowPanels[method] : null;
        this.querySelector('account-credential').show(method, flow ? '' : option ? unavailable(this.provider, option) || 'Coming soon' : '');
        this.#showFlowPanel(flow);
        const signIn = this.querySelector('[data-flow-panel] > oauth-sign-in');
        if (signIn) signIn.mode = method === 'oauth_device_code' ? 'device' : 'browser';
    }

    /** The sign-in or pairing panel of the chosen method (a running one stays while its method stays chosen). */
    #showFlowPanel(element) {
        const box = this.querySelector('[data-flow-panel]');
        if (!box) return;
        const shown = box.firstElementChild;
        if (!element) box.replaceChildren();
        else if (shown?.localName !== element || shown.account?.id !== this.#current?.id) {
            const panel = document.createElement(element);
            panel.provider = this.provider;
            panel.account = this.#current;
            box.replaceChildren(panel);
        }
        // A new account in a flow is created by the panel's button (the sign-in needs the account first).
        const save = this.querySelector('[data-op="save"]');
        if (save) save.hidden = Boolean(element) && !this.#current;
    }

    /** How an OAuth account's tokens may be used: the direct-API switch (saved at once) and who may use it. */
    #renderOAuthUse(account, note = '') {
        const box = this.querySelector('[data-oauth-use]');
        if (!box) return;
        const oauth = account?.oauth;
        if (!oauth) {
            box.replaceChildren();
            return;
        }
        const cli = `runtimes that go through ${this.provider.name}’s own CLI`;
        render(box, html`
            <fieldset class="group account-oauth" aria-describedby="acct-oauth-help">
                <legend>How this sign-in may be used</legend>
                <div class="field field--switch account-oauth__switch">
                    <input type="checkbox" id="acct-allow-direct" data-op="allow-direct"
                           ${oauth.directApiAllowed ? html`checked` : ''} aria-describedby="acct-oauth-help acct-oauth-status">
                    <label for="acct-allow-direct">Allow direct API calls with this sign-in</label>
                </div>
                <p class="field__help" id="acct-oauth-help">Tokens obtained through a provider’s own CLI sign-in may break its terms
                    when used for direct API calls. Without this, the account is offered only to ${cli}.</p>
                <p class="account-oauth__usable" data-usable-by="${oauth.usableBy}">Used by: ${oauth.usableBy === 'direct_api'
                    ? 'any runtime, with direct API calls' : `only ${cli}`}</p>
                ${oauth.providerCliClient ? html`
                    <p class="muted">This sign-in went through ${this.provider.name}’s own CLI client.</p>` : ''}
                ${oauth.scopes?.length ? html`
                    <p class="muted">Granted: ${oauth.scopes.map((s, i) => html`${i ? ' ' : ''}<code>${s}</code>`)}</p>` : ''}
                ${oauth.expiresAt ? html`
                    <p class="muted">The access token expires ${relativeTimeTag(oauth.expiresAt)}; Switchboard renews it before then.</p>` : ''}
                <p class="field__note" id="acct-oauth-status" data-oauth-use-status role="status">${note}</p>
            </fieldset>`);
    }

    /** Saves the direct-API switch at once (a merge patch with the account's ETag); on failure it flips back. */
    async #allowDirect(checkbox) {
        const account = this.#current;
        if (!account) return;
        const wanted = checkbox.checked;
        const status = this.querySelector('[data-oauth-use-status]');
        checkbox.disabled = true;
        status.textContent = 'Saving…';
        let updated;
        try {
            updated = await api.patchAccount(account.id, { allowDirectApi: wanted }, account.etag ?? `"${account.version}"`);
        } catch (error) {
            checkbox.disabled = false;
            checkbox.checked = !wanted;
            status.textContent = '';
            render(status, html`<span class="field__error" data-oauth-use-error>${error.status === 412
                ? 'This account was changed elsewhere: close the editor and open it again, then change this.'
                : html`Not saved: ${error.title}${error.detail ? html`. ${withCode(error.detail)}` : ''}`}</span>`);
            return;
        }
        if (!this.isConnected || this.#current?.id !== account.id) return;
        this.#replace(updated);
        this.querySelector('account-credential').account = updated;
        const said = wanted ? 'Saved: direct API calls are allowed with this sign-in.' : 'Saved: only runtimes that go through the CLI may use this sign-in.';
        this.#renderOAuthUse(updated, said);
        this.querySelector('#acct-allow-direct')?.focus();
        announce(said);
        this.dispatchEvent(new CustomEvent('account-changed', { bubbles: true, detail: { account: updated } }));
    }

    // MARK: Sign-in and pairing

    /** Starts the panel's flow; a new account is created first (the flow signs in an account that exists). */
    async #beginFlow(kind) {
        if (!this.#current) {
            if (this.#busy) return;
            const draft = this.#read();
            this.#showProblem(null);
            const local = this.#checkNew(draft);
            if (local.length) {
                this.#showProblem({ title: 'Not connected yet', detail: 'Fix the marked fields and try again.', errors: local, status: 422 });
                return;
            }
            this.#setBusy(true);
            try {
                await this.#create(draft, (account) => `Created ${account.displayName}; now ${kind === 'pairing' ? 'pair it' : 'sign in'}`);
            } catch (error) {
                if (error.status === 409 && !error.errors?.length) {
                    error.errors = [{ pointer: '/id', code: 'duplicate', message: error.detail || 'An account with this id exists.' }];
                }
                this.#showProblem(error, { retry: false });
                return;
            } finally {
                this.#setBusy(false);
            }
        }
        const method = kind === 'pairing' ? 'pairing' : this.querySelector('[data-field="authMethod"]:checked')?.value;
        if (!flowPanels[method] || (kind === 'pairing') !== (method === 'pairing')) {
            if (!this.#choose(kind === 'pairing' ? 'pairing' : kind === 'device' ? 'oauth_device_code' : 'oauth_browser')) this.#choose('oauth_browser');
        }
        const panel = this.querySelector(kind === 'pairing' ? 'pairing-panel' : 'oauth-sign-in');
        panel?.begin(kind);
    }

    /** Checks the radio of `method` and shows its panel (when the provider offers it). */
    #choose(method) {
        const radio = this.querySelector(`[data-field="authMethod"][value="${CSS.escape(method)}"]`);
        if (!radio || radio.disabled) return false;
        radio.checked = true;
        this.#showCredential(method);
        return true;
    }

    /**
     * A sign-in or pairing finished: the account as it is now, in place; what is typed in the form stays. A new
     * sign-in is tested at once (a pairing was tested by the server; a missing scope is the test's outcome already).
     */
    async #signedIn({ account, id, category = null, tested = false }) {
        let fresh = account;
        if (!fresh) {
            try {
                fresh = await api.account(id);
            } catch {
                return;
            }
        }
        if (!this.isConnected) return;
        this.#replace(fresh);
        this.#renderPicker();
        this.#refreshStatus(fresh);
        const credential = this.querySelector('account-credential');
        credential.account = fresh;
        const method = this.querySelector('[data-field="authMethod"]:checked')?.value ?? null;
        const option = (this.provider.authMethods ?? []).find((o) => o.method === method);
        credential.show(method, flowPanels[method] || !option ? '' : unavailable(this.provider, option));
        for (const panel of this.querySelectorAll('[data-flow-panel] > *')) panel.account = fresh;
        this.#renderOAuthUse(fresh);
        announce(category === 'insufficient_scope'
            ? `Signed in ${fresh.displayName}, but a permission is missing` : `Connected ${fresh.displayName}`);
        this.dispatchEvent(new CustomEvent('account-changed', { bubbles: true, detail: { account: fresh } }));
        if (!tested && category !== 'insufficient_scope') this.#test();
        else this.#loadModels();
    }

    /** Shows `accountId` (one of this provider's accounts) in the editor. */
    showAccount(accountId) {
        const account = this.accounts.find((a) => a.id === accountId);
        if (!account) return;
        if (account !== this.#current) {
            this.#current = account;
            this.#showProblem(null);
            this.#renderAll();
        }
        this.querySelector('[data-account-status]')?.scrollIntoView({ block: 'nearest' });
    }

    /**
     * Shows `accountId` and starts its sign-in again at once (the page's "Sign in again" after a callback said
     * a scope was missing). Call it from a click: the sign-in opens a new tab.
     */
    signInAgain(accountId) {
        const account = this.accounts.find((a) => a.id === accountId);
        if (account && account !== this.#current) {
            this.#current = account;
            this.#showProblem(null);
            this.#renderAll();
        }
        this.#choose('oauth_browser');
        this.querySelector('oauth-sign-in')?.begin('browser');
    }

    /** The models list of what the editor shows: the saved account's (catalog and discovered), or the catalog's. */
    #modelList() {
        return this.#current ? this.#accountModels.get(this.#current.id) ?? null : this.#catalogModels;
    }

    #renderModels(selected) {
        const select = this.querySelector('[data-field="defaultModel"]');
        if (!select) return;
        const account = this.#current;
        const list = this.#modelList();
        const models = list?.models ?? [];
        const known = models.some((m) => m.id === selected);
        const option = (m) => html`<option value="${m.id}" data-source="${m.source ?? 'catalog'}">${m.name || m.id}</option>`;
        // Once the provider was asked, what it offers leads, and the catalog's other models follow apart.
        const discovered = account && list?.fetchedAt;
        render(select, html`
            <option value="">(none)</option>
            ${selected && !known ? html`<option value="${selected}">${selected}</option>` : ''}
            ${discovered ? html`
                ${models.some((m) => m.source !== 'catalog') ? html`
                    <optgroup label="${sourceLabels.discovered}" data-group="discovered">
                        ${models.filter((m) => m.source !== 'catalog').map(option)}
                    </optgroup>` : ''}
                ${models.some((m) => m.source === 'catalog') ? html`
                    <optgroup label="${sourceLabels.catalog}" data-group="catalog">
                        ${models.filter((m) => m.source === 'catalog').map(option)}
                    </optgroup>` : ''}` : models.map(option)}`);
        select.value = selected ?? '';

        const updated = this.querySelector('[data-models-updated]');
        if (!account) updated.replaceChildren();
        else if (list?.fetchedAt) render(updated, html`Updated ${relativeTimeTag(list.fetchedAt)} from ${this.provider.name}.`);
        else if (list) render(updated, html`The list is the catalog’s; Refresh models asks ${this.provider.name} what this account can use.`);
        else updated.replaceChildren();

        const failure = account ? this.#refreshFailures.get(account.id) : null;
        const problem = this.querySelector('[data-models-problem]');
        // Rendering replaces the block: a Retry that had the focus (another load may land while it is shown)
        // keeps it, as the same button in the new block.
        const focusedOp = problem.contains(document.activeElement) ? document.activeElement.dataset?.op : null;
        if (failure) {
            render(problem, html`
                <div class="field__error account-models__problem" data-category="${failure.category ?? ''}">
                    <p id="acct-models-problem-text">The models could not be fetched from ${this.provider.name}: ${withCode(failure.summary)}</p>
                    <p><button type="button" class="button button--small" data-op="models-refresh"
                               aria-describedby="acct-models-problem-text">Retry</button>
                        <span class="muted">Or type the model id below.</span></p>
                </div>`);
        } else if (this.#modelsProblem) {
            render(problem, html`
                <div class="field__error account-models__problem">
                    <p id="acct-models-problem-text">The models of ${this.provider.name} could not be loaded: ${this.#modelsProblem.title}.</p>
                    <p><button type="button" class="button button--small" data-op="models-retry"
                               aria-describedby="acct-models-problem-text">Retry</button>
                        <span class="muted">Or type the model id below.</span></p>
                </div>`);
        } else {
            problem.replaceChildren();
        }
        if (focusedOp) {
            (problem.querySelector(`[data-op="${focusedOp}"]`) ?? this.querySelector('[data-field="defaultModel"]'))?.focus();
        }
        // Without a list to choose from, a model id can be typed; a typed one stays until it is cleared.
        const manual = this.querySelector('[data-models-manual]');
        manual.hidden = !(failure || this.#modelsProblem) && !manual.querySelector('input').value.trim();
    }

    /** The current list: the saved account's from GET …/models, a new account's from the catalog. */
    async #loadModels() {
        const account = this.#current;
        // Still the account shown (a re-read after a test replaces the object, not the account)?
        const shown = () => this.isConnected && (this.#current?.id ?? null) === (account?.id ?? null);
        if (!account && this.#catalogModels) return;
        try {
            if (account) {
                const list = await api.accountModels(account.id);
                this.#accountModels.set(account.id, list);
            } else {
                const { models } = await api.catalogProvider(this.provider.id);
                this.#catalogModels = { models: (models ?? []).map((m) => ({ ...m, source: 'catalog' })), fetchedAt: null };
            }
            if (shown()) this.#modelsProblem = null;
        } catch (error) {
            if (!shown()) return;
            this.#modelsProblem = error;
            // The catalog's list is better than none.
            if (account && !this.#accountModels.has(account.id)) {
                try {
                    const { models } = await api.catalogProvider(this.provider.id);
                    this.#accountModels.set(account.id, { models: (models ?? []).map((m) => ({ ...m, source: 'catalog' })), fetchedAt: null });
                } catch {
                    // The problem above is shown already.
                }
            }
        }
        if (shown()) this.#renderModels(this.querySelector('[data-field="defaultModel"]')?.value ?? '');
    }

    /** Asks the provider for its models now; when that fails, says why next to Retry and offers a typed id. */
    async #refreshModels(button) {
        const account = this.#current;
        if (!account || this.#modelsBusy) return;
        // Which button was pressed decides where the focus goes after (the pressed one is disabled meanwhile).
        const retrying = button.closest('[data-models-problem]') != null;
        const refreshing = !retrying;
        this.#modelsBusy = true;
        this.#setModelsBusy(true);
        let failure = null;
        let list = null;
        try {
            list = await api.refreshAccountModels(account.id);
            this.#accountModels.set(account.id, list);
            if (list.refresh && list.refresh.ok === false) {
                failure = { category: list.refresh.category, summary: list.refresh.summary || 'the provider did not give its list.' };
            }
        } catch (error) {
            failure = { category: 'refused', summary: error.detail ? `${error.title}. ${error.detail}` : error.title };
        } finally {
            this.#modelsBusy = false;
            this.#setModelsBusy(false);
        }
        if (failure) this.#refreshFailures.set(account.id, failure);
        else this.#refreshFailures.delete(account.id);
        // A refresh is a connection test too: the account's status follows.
        if (list) await this.#reread(account);
        if (!this.isConnected || this.#current?.id !== account.id) return;
        this.#modelsProblem = null;
        this.#renderModels(this.querySelector('[data-field="defaultModel"]')?.value ?? '');
        // A disabled button loses the focus: give it back.
        if (refreshing && (document.activeElement === document.body || document.activeElement === null)) {
            this.querySelector('.account-models__row [data-op="models-refresh"]')?.focus();
        }
        if (failure) {
            announce(`The models could not be fetched: ${failure.summary}`);
            if (retrying) this.querySelector('[data-models-problem] [data-op="models-refresh"]')?.focus();
        } else {
            const count = list?.models?.filter((m) => m.source !== 'catalog').length ?? 0;
            announce(`${this.provider.name} offers ${count} ${count === 1 ? 'model' : 'models'}; the list is updated`);
            if (retrying) this.querySelector('[data-field="defaultModel"]')?.focus();
        }
    }

    #setModelsBusy(busy) {
        for (const button of this.querySelectorAll('[data-op="models-refresh"]')) {
            button.disabled = busy;
            if (!button.closest('[data-models-problem]')) button.textContent = busy ? 'Refreshing…' : 'Refresh models';
        }
        this.querySelector('.account-models')?.setAttribute('aria-busy', String(busy));
    }

    // MARK: Testing the saved account

    /** Tests the stored credential, then reads the account again for its status; drafts in the form stay. */
    async #test() {
        const account = this.#current;
        if (!account || this.#testing) return;
        this.#testing = account.id;
        const focused = document.activeElement === this.querySelector('[data-op="test"]');
        this.#setTesting(true);
        const box = this.querySelector('[data-test-result]');
        let view = null;
        try {
            view = accountTestResult(await api.testAccount(account.id));
        } catch (error) {
            view = refusedTest(error);
        } finally {
            this.#testing = null;
            this.#setTesting(false);
            // A disabled button loses the focus: give it back.
            const button = this.querySelector('[data-op="test"]');
            if (focused && button && (document.activeElement === document.body || document.activeElement === null)) button.focus();
        }
        await this.#reread(account);
        if (!this.isConnected || this.#current?.id !== account.id || !box.isConnected) return;
        // The box is a status region: what it shows now is announced.
        render(box, view);
        // A test lists the provider's models too: the default-model list follows.
        this.#loadModels();
    }

    /**
     * Reads `account` again after a test (which stores its outcome on it) and shows its status in place; the
     * tile follows. What is typed in the form stays. If its settings changed elsewhere meanwhile, only the
     * status is taken, so that a save still finds out (412) instead of overwriting them.
     */
    async #reread(account) {
        let fresh;
        try {
            fresh = await api.account(account.id);
        } catch {
            return; // The outcome shown still stands; the status shows again on the next load.
        }
        const shown = this.isConnected && this.#current?.id === account.id;
        const latest = shown ? this.#current : this.accounts.find((a) => a.id === account.id) ?? account;
        const changed = settingsFields.some((f) => !same(fresh[f], latest[f]));
        const updated = changed ? { ...latest, status: fresh.status, statusDetail: fresh.statusDetail, lastTest: fresh.lastTest } : fresh;
        this.accounts = this.accounts.map((a) => (a.id === updated.id ? updated : a));
        if (shown) {
            this.#current = updated;
            const credential = this.querySelector('account-credential');
            if (credential) credential.account = updated;
            this.#refreshStatus(updated);
        }
        this.dispatchEvent(new CustomEvent('account-changed', { bubbles: true, detail: { account: updated } }));
    }

    #setTesting(testing) {
        const button = this.querySelector('[data-op="test"]');
        if (button) {
            button.disabled = testing;
            button.textContent = testing ? 'Testing…' : 'Test connection';
            button.setAttribute('aria-busy', String(testing));
        }
        this.querySelector('[data-test-result]')?.setAttribute('aria-busy', String(testing));
    }

    #addHeader(name = '', value = '', focus = true) {
        const list = this.querySelector('.account-headers__rows');
        const n = ++this.#headerRows;
        const row = document.createElement('li');
        row.className = 'account-headers__row';
        row.dataset.headerRow = '';
        render(row, html`
            <div class="field">
                <label for="acct-header-${n}-name">Name</label>
                <input id="acct-header-${n}-name" type="text" data-header="name" autocomplete="off" spellcheck="false"
                       placeholder="X-Team" aria-describedby="acct-header-${n}-messages">
            </div>
            <div class="field">
                <label for="acct-header-${n}-value">Value</label>
                <input id="acct-header-${n}-value" type="text" data-header="value" autocomplete="off" spellcheck="false"
                       aria-describedby="acct-header-${n}-messages">
            </div>
            <button type="button" class="button button--small" data-op="remove-header"
                    aria-describedby="acct-header-${n}-name">Remove</button>
            <div class="field__messages" id="acct-header-${n}-messages" data-header-messages></div>`);
        row.querySelector('[data-header="name"]').value = name;
        row.querySelector('[data-header="value"]').value = value;
        list.append(row);
        if (focus) row.querySelector('input').focus();
    }

    // MARK: Reading the form

    #headers() {
        const headers = {};
        for (const row of this.querySelectorAll('[data-header-row]')) {
            const name = row.querySelector('[data-header="name"]').value.trim();
            if (name) headers[name] = row.querySelector('[data-header="value"]').value;
        }
        return headers;
    }

    /** The form as account fields (empty optional fields are null) and the typed credential, if any. */
    #read() {
        const text = (field) => this.querySelector(`[data-field="${field}"]`)?.value.trim() ?? '';
        const number = (field) => {
            const value = this.querySelector(`[data-field="${field}"]`)?.value ?? '';
            return value === '' ? null : Number(value);
        };
        return {
            displayName: text('displayName'),
            name: text('name'),
            authMethod: this.querySelector('[data-field="authMethod"]:checked')?.value ?? null,
            baseUrl: text('baseUrl') || null,
            headers: this.#headers(),
            maxConcurrent: number('maxConcurrent'),
            timeoutSeconds: number('timeoutSeconds'),
            defaultModel: this.#manualModel() || text('defaultModel') || null,
            credential: this.querySelector('account-credential').read(),
        };
    }

    /** A model id typed into the manual field (shown when the list could not be fetched), or ''. */
    #manualModel() {
        const box = this.querySelector('[data-models-manual]');
        return box && !box.hidden ? box.querySelector('input').value.trim() : '';
    }

    // MARK: Saving

    /** Saves what the form holds; on failure everything typed stays where it is (Try again saves it again). */
    async #save() {
        if (this.#busy) return;
        const method = this.querySelector('[data-field="authMethod"]:checked')?.value;
        if (!this.#current && flowPanels[method] && this.querySelector('[data-flow-panel] > *')) {
            this.#beginFlow(method === 'pairing' ? 'pairing' : method === 'oauth_device_code' ? 'device' : 'browser');
            return;
        }
        const draft = this.#read();
        this.#showProblem(null);
        const local = this.#current ? [] : this.#checkNew(draft);
        if (local.length) {
            this.#showProblem({ title: 'Not connected yet', detail: 'Fix the marked fields and try again.', errors: local, status: 422 });
            return;
        }
        this.#setBusy(true);
        try {
            if (this.#current) await this.#update(draft);
            else await this.#create(draft);
        } catch (error) {
            if (error.status === 409 && !this.#current && !error.errors?.length) {
                error.errors = [{ pointer: '/id', code: 'duplicate', message: error.detail || 'An account with this id exists.' }];
            }
            this.#showProblem(error, { retry: true });
        } finally {
            this.#setBusy(false);
        }
    }

    #checkNew(draft) {
        const errors = [];
        if (!draft.name) errors.push({ pointer: '/id', code: 'required', message: 'Give the account a name, such as default or work.' });
        else if (!accountName.test(draft.name)) {
            errors.push({ pointer: '/id', code: 'invalid_name', message: 'Use lower-case letters, digits, - and _ (at most 64), starting with a letter or digit.' });
        } else if (this.accounts.some((a) => a.id === `${this.provider.id}:${draft.name}`)) {
            errors.push({ pointer: '/id', code: 'duplicate', message: 'This provider already has an account with that name.' });
        }
        return errors;
    }

    async #create(draft, message = (account) => `Connected ${account.displayName}`) {
        const input = {
            id: `${this.provider.id}:${draft.name}`,
            provider: this.provider.id,
            displayName: draft.displayName || this.provider.name,
        };
        if (draft.authMethod) input.authMethod = draft.authMethod;
        if (draft.baseUrl) input.baseUrl = draft.baseUrl;
        if (Object.keys(draft.headers).length) input.headers = draft.headers;
        if (draft.maxConcurrent !== null) input.maxConcurrent = draft.maxConcurrent;
        if (draft.timeoutSeconds !== null) input.timeoutSeconds = draft.timeoutSeconds;
        if (draft.defaultModel) input.defaultModel = draft.defaultModel;
        if (draft.credential) input.credential = draft.credential;
        const account = await api.createAccount(input);
        this.#accepted(account, message(account));
    }

    /** PATCH the changed fields (with the account's ETag), then PUT the credential if one was typed. */
    async #update(draft) {
        let account = this.#current;
        const patch = this.#patch(account, draft);
        if (Object.keys(patch).length) {
            try {
                account = await api.patchAccount(account.id, patch, account.etag ?? `"${account.version}"`);
            } catch (error) {
                if (error.status === 412) await this.#changedElsewhere();
                throw error;
            }
            this.#replace(account);
        }
        if (draft.credential) {
            try {
                account = await api.putCredential(account.id, draft.credential);
            } catch (error) {
                underCredential(error);
                if (Object.keys(patch).length) {
                    this.dispatchEvent(new CustomEvent('account-changed', { bubbles: true, detail: { account: this.#current } }));
                }
                throw error;
            }
        }
        const what = draft.credential ? `Saved ${account.displayName}; the new ${secretNouns[draft.credential.kind]} is stored` : `Saved ${account.displayName}`;
        this.#accepted(account, what);
    }

    #patch(account, draft) {
        const patch = {};
        if (draft.displayName && draft.displayName !== account.displayName) patch.displayName = draft.displayName;
        for (const field of ['authMethod', 'baseUrl', 'maxConcurrent', 'timeoutSeconds', 'defaultModel']) {
            if (!same(draft[field], account[field])) patch[field] = draft[field];
        }
        const before = account.headers ?? {};
        if (!same(draft.headers, before)) {
            const headers = {};
            for (const name of Object.keys(before)) if (!(name in draft.headers)) headers[name] = null;
            for (const [name, value] of Object.entries(draft.headers)) if (before[name] !== value) headers[name] = value;
            patch.headers = headers;
        }
        return patch;
    }

    /** After a 412: read the account again and show it, keeping what the user changed. */
    async #changedElsewhere() {
        const before = this.#current;
        const draft = this.#read();
        const fresh = await api.account(before.id);
        const overlay = { credentialInputs: this.querySelector('account-credential').values(), advancedOpen: this.querySelector('[data-advanced]').open };
        for (const field of ['displayName', 'authMethod', 'baseUrl', 'headers', 'maxConcurrent', 'timeoutSeconds', 'defaultModel']) {
            const was = field === 'headers' ? before.headers ?? {} : before[field];
            if (!same(draft[field], was)) overlay[field] = draft[field];
        }
        this.#replace(fresh);
        this.#renderAll(overlay);
        this.querySelector('[data-op="save"]')?.focus();
        this.dispatchEvent(new CustomEvent('account-changed', { bubbles: true, detail: { account: fresh } }));
    }

    #replace(account) {
        this.accounts = this.accounts.some((a) => a.id === account.id)
            ? this.accounts.map((a) => (a.id === account.id ? account : a))
            : [...this.accounts, account];
        this.#current = account;
    }

    #accepted(account, message) {
        this.#replace(account);
        const advancedOpen = this.querySelector('[data-advanced]')?.open;
        this.#renderAll(advancedOpen ? { advancedOpen } : null);
        this.querySelector('[data-op="save"]')?.focus();
        announce(message);
        this.dispatchEvent(new CustomEvent('account-changed', { bubbles: true, detail: { account } }));
    }

    #setBusy(busy) {
        this.#busy = busy;
        const save = this.querySelector('[data-op="save"]');
        if (save) {
            save.disabled = busy;
            save.textContent = busy ? 'Saving…' : this.#current ? 'Save' : 'Connect';
        }
        this.querySelector('form')?.setAttribute('aria-busy', String(busy));
    }

    // MARK: Problems

    /** The messages box and controls of the field at `pointer`, or null when no field has it. */
    #field(pointer) {
        const keys = segments(pointer);
        if (keys[0] === 'headers' && keys.length === 2) {
            const row = [...this.querySelectorAll('[data-header-row]')].find(
                (r) => r.querySelector('[data-header="name"]').value.trim().toLowerCase() === keys[1].toLowerCase());
            return row ? { box: row.querySelector('[data-header-messages]'), controls: [...row.querySelectorAll('input')] } : null;
        }
        const box = this.querySelector(`[data-messages="${CSS.escape(pointer)}"]`);
        if (!box) return null;
        const controls = keys[0] === 'credential' && keys.length === 2
            ? [...this.querySelectorAll(`[data-cred="${CSS.escape(keys[1])}"]`)]
            : pointer === '/defaultModel' && this.#manualModel() ? [this.querySelector('[data-field="manualModel"]')]
            : pointer === '/id' ? [...this.querySelectorAll('[data-field="name"]')]
                : keys.length === 1 ? [...this.querySelectorAll(`[data-field="${CSS.escape(keys[0])}"]:not([type="radio"])`)] : [];
        return { box, controls };
    }

    /** Each error at its field (the banner lists the rest); null clears them. `retry` offers Try again. */
    #showProblem(problem, { retry = false } = {}) {
        const { unplaced, boxes, first } = placeProblems(this, problem?.errors ?? [], {
            boxes: '.field__messages[data-messages], [data-header-messages]',
            invalid: 'form [aria-invalid]',
            field: (pointer) => this.#field(pointer),
            path: true,
        });
        const banner = this.querySelector('.account-editor__banner');
        if (!problem) {
            banner.replaceChildren();
            return;
        }
        // A field in the closed Advanced section opens it, so that its message is seen.
        for (const box of boxes) {
            const advanced = box.closest('details');
            if (advanced) advanced.open = true;
        }
        const conflict = problem.status === 412;
        const fieldErrors = (problem.errors ?? []).length > unplaced.length;
        render(banner, html`
            <p class="error__title">${conflict ? 'This account was changed elsewhere' : problem.title}</p>
            ${conflict
                ? html`<p>The editor now shows the saved account. What you changed is still here: check it and save again.</p>`
                : problem.detail ? html`<p>${withCode(problem.detail)}</p>` : ''}
            ${fieldErrors && !conflict ? html`<p>The marked fields say what to fix. Nothing you typed was lost.</p>` : ''}
            ${unplaced.length ? html`<ul class="save-banner__list">
                ${unplaced.map((e) => html`<li>${e.pointer ? html`<code>${e.pointer}</code>: ` : ''}${withCode(e.message)}</li>`)}</ul>` : ''}
            ${retry && problem.status !== 422 && !conflict && !fieldErrors ? html`
                <p><button type="button" class="button button--small" data-op="retry-save">Try again</button></p>` : ''}`);
        first?.focus();
    }

    /** A refused reveal, copy or impact read: in the banner (nothing to retry by itself). */
    #requestProblem(error) {
        this.#showProblem({ title: error.title, detail: error.detail, status: error.status, errors: [] });
    }

    // MARK: Confirm key and Disconnect

    /** Sends the stored credential's placeholder back: the server keeps the key and trusts the new base URL. */
    async #confirmKey() {
        const account = this.#current;
        const stored = account.credential;
        const credential = this.querySelector('account-credential').confirmation();
        if (!stored || !credential) return;
        this.#setBusy(true);
        this.#showProblem(null);
        try {
            const confirmed = await api.putCredential(account.id, credential);
            this.#accepted(confirmed, `The ${secretNouns[stored.kind] ?? 'key'} is confirmed for the new address`);
        } catch (error) {
            underCredential(error);
            this.#showProblem(error);
        } finally {
            this.#setBusy(false);
        }
    }

    async #disconnect() {
        const account = this.#current;
        this.#showProblem(null);
        let impact;
        try {
            impact = await api.accountImpact(account.id);
        } catch (error) {
            this.#requestProblem(error);
            return;
        }
        const references = impact.references ?? [];
        const takeover = impact.takeover;
        const confirmed = await confirmDialog({
            title: `Disconnect ${account.displayName}?`,
            body: html`
                <p data-takeover>${impact.summary || (takeover
                    ? html`<strong>${takeover.displayName}</strong> (${takeover.id}) takes over${references.length ? ' these settings' : ''}.`
                    : references.length
                        ? html`No other ${this.provider.name} account is left, so nothing takes over: these settings stop working until you connect one.`
                        : html`No other ${this.provider.name} account is left.`)}</p>
                ${references.length ? html`
                    <p>Settings that use ${this.provider.name}:</p>
                    <ul class="account-dialog__list">
                        ${references.map((r) => html`<li>${roleLabels[r.role] ?? r.role}: <code>${r.reference}</code></li>`)}
                    </ul>` : ''}
                <p>The stored credential is deleted. This is recorded in the audit log.</p>`,
            confirm: 'Disconnect',
            danger: true,
        });
        if (!confirmed) return;
        try {
            await api.deleteAccount(account.id);
        } catch (error) {
            this.#requestProblem(error);
            return;
        }
        this.accounts = this.accounts.filter((a) => a.id !== account.id);
        announce(`Disconnected ${account.displayName}`);
        this.dispatchEvent(new CustomEvent('account-removed', { bubbles: true, detail: { id: account.id } }));
        if (!this.accounts.length) {
            this.dispatchEvent(new CustomEvent('editor-close', { bubbles: true }));
            return;
        }
        this.#current = this.accounts.find((a) => a.id === takeover?.id) ?? this.accounts[0];
        this.#showProblem(null);
        this.#renderAll();
        this.focusHeading();
    }

    // MARK: Events

    #onClick(event) {
        const button = event.target.closest('button[data-op]');
        if (!button || !this.contains(button)) return;
        switch (button.dataset.op) {
        case 'close':
            this.dispatchEvent(new CustomEvent('editor-close', { bubbles: true }));
            break;
        case 'add-account':
            this.#current = null;
            this.#showProblem(null);
            this.#renderAll();
            this.querySelector('[data-field="displayName"]')?.focus();
            break;
        case 'add-header':
            this.#addHeader();
            break;
        case 'remove-header': {
            const row = button.closest('[data-header-row]');
            const next = row.nextElementSibling ?? row.previousElementSibling;
            row.remove();
            (next?.querySelector('input') ?? this.querySelector('[data-op="add-header"]')).focus();
            announce('Header removed');
            break;
        }
        case 'models-retry':
            this.#loadModels();
            break;
        case 'models-refresh':
            this.#refreshModels(button);
            break;
        case 'test':
            this.#test();
            break;
        case 'retry-save':
            this.#save();
            break;
        case 'disconnect':
            this.#disconnect();
            break;
        case 'sign-in-again':
            if (this.#current) this.signInAgain(this.#current.id);
            break;
        default:
        }
    }

    #onChange(event) {
        const target = event.target;
        if (target.matches('[data-op="pick"]')) {
            this.#current = this.accounts.find((a) => a.id === target.value) ?? null;
            this.#showProblem(null);
            this.#renderAll();
            this.querySelector('[data-op="pick"]')?.focus();
        } else if (target.matches('[data-field="authMethod"]') && target.checked) {
            this.#showCredential(target.value);
        } else if (target.matches('[data-op="allow-direct"]')) {
            this.#allowDirect(target);
        }
    }

    #onInput(event) {
        if (event.target.matches('[data-field="name"]')) {
            const preview = this.querySelector('[data-id-preview]');
            if (preview) preview.textContent = `${this.provider.id}:${event.target.value.trim() || 'name'}`;
        }
    }
}

customElements.define('account-editor', AccountEditor);
