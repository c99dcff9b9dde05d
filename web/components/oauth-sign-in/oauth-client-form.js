import { api } from '../../api.js';
import { announce } from '../../lib/announce.js';
import { copyable, copyFrom } from '../../lib/copy.js';
import { html, render, withCode } from '../../lib/html.js';
import { placeProblems } from '../../lib/fields.js';

let forms = 0;

const modeLabels = {
    server_callback: 'Back to this server (server callback)',
    loopback: 'A local address on the machine that signs in (loopback)',
    paste_code: 'The provider shows a code to paste (paste code)',
};

const sourceLabels = { default: 'Built in', operator: 'Your own OAuth app' };

// The form's fields, each by the pointer the server's 422 names it with.
const fields = ['authorizeUrl', 'tokenUrl', 'deviceAuthorizationUrl', 'clientId', 'clientSecret', 'scopes',
    'redirectMode', 'redirectUri', 'issuer'];

/**
 * "Use your own OAuth app" for one provider, inside the sign-in panel: the client the sign-in uses now (built in
 * or the operator's, its client id, redirect mode and the exact redirect URI to register, with Copy), and a form
 * that registers the operator's own client (PUT /api/oauth/clients/{provider}; 422 problems at their fields) or
 * goes back to the built-in one (DELETE). Set `provider` before it connects and `client` when the list is read
 * (null: the provider has none; `failed(error)` when it could not be read). Fires `oauth-client-changed` after a
 * save or a revert (the sign-in reads the list again).
 */
export class OAuthClientForm extends HTMLElement {
    provider = null;
    #client = undefined;
    #id = ++forms;
    #dirty = false;
    #busy = false;

    constructor() {
        super();
        this.addEventListener('click', (event) => this.#onClick(event));
        this.addEventListener('change', (event) => {
            if (event.target.matches('[data-client-field="redirectMode"]')) this.#showRedirectUri();
        });
        this.addEventListener('input', (event) => {
            if (event.target.matches('[data-client-field]')) this.#dirty = true;
        });
        // The form sits inside the account form: Enter in a field saves the client, not the account.
        this.addEventListener('keydown', (event) => {
            if (event.key === 'Enter' && event.target.matches('input[data-client-field]:not([type="checkbox"])')) {
                event.preventDefault();
                this.#save();
            }
        });
    }

    connectedCallback() {
        if (this.firstElementChild) return;
        const id = this.#fieldId.bind(this);
        const field = (name, label, { type = 'text', help = '', optional = false, attrs = html`inputmode="url"` } = {}) => html`
            <div class="field" data-client-row="${name}">
                <label for="${id(name)}">${label}${optional ? html` <span class="muted">(optional)</span>` : ''}</label>
                ${help ? html`<p class="field__help" id="${id(name)}-help">${help}</p>` : ''}
                <input id="${id(name)}" type="${type}" data-client-field="${name}" autocomplete="off" spellcheck="false"
                       autocapitalize="off" ${attrs} aria-describedby="${help ? `${id(name)}-help ` : ''}${id(name)}-messages">
                <div class="field__messages" id="${id(name)}-messages" data-client-messages="/${name}"></div>
            </div>`;
        render(this, html`
            <details class="disclosure oauth-client" data-oauth-client>
                <summary>Use your own OAuth app</summary>
                <div class="oauth-client__current" data-client-current aria-live="polite"></div>
                <div class="oauth-client__form" role="group" aria-labelledby="${id('legend')}">
                    <p class="oauth-client__legend" id="${id('legend')}">Register your own OAuth app at ${this.provider.name}, then enter its
                        settings here. The sign-in uses it from then on.</p>
                    ${field('authorizeUrl', 'Authorize URL')}
                    ${field('tokenUrl', 'Token URL')}
                    ${field('deviceAuthorizationUrl', 'Device authorization URL', {
                        optional: true, help: 'Only when the app may sign in with a device code (RFC 8628).' })}
                    ${field('clientId', 'Client id', { attrs: html`` })}
                    <div class="field" data-client-row="clientSecret">
                        <label for="${id('clientSecret')}">Client secret <span class="muted">(optional)</span></label>
                        <p class="field__help" id="${id('clientSecret')}-help" data-secret-help>Stored encrypted on this server; never shown again.</p>
                        <input id="${id('clientSecret')}" type="password" data-client-field="clientSecret" autocomplete="new-password"
                               spellcheck="false" aria-describedby="${id('clientSecret')}-help ${id('clientSecret')}-messages">
                        <div class="field field--switch oauth-client__remove" data-remove-secret-row hidden>
                            <input type="checkbox" id="${id('removeSecret')}" data-client-field="removeSecret">
                            <label for="${id('removeSecret')}">Remove stored secret</label>
                        </div>
                        <div class="field__messages" id="${id('clientSecret')}-messages" data-client-messages="/clientSecret"></div>
                    </div>
                    ${field('scopes', 'Scopes', { optional: true, attrs: html``, help: 'Separated by spaces, as the provider names them.' })}
                    <div class="field" data-client-row="redirectMode">
                        <label for="${id('redirectMode')}">Redirect mode</label>
                        <p class="field__help" id="${id('redirectMode')}-help">Where ${this.provider.name} sends the browser after the sign-in.</p>
                        <select id="${id('redirectMode')}" data-client-field="redirectMode"
                                aria-describedby="${id('redirectMode')}-help ${id('redirectMode')}-messages">
                            ${Object.entries(modeLabels).map(([value, label]) => html`<option value="${value}">${label}</option>`)}
                        </select>
                        <div class="field__messages" id="${id('redirectMode')}-messages" data-client-messages="/redirectMode"></div>
                    </div>
                    ${field('redirectUri', 'Redirect URI', {
                        help: 'Exactly the redirect URI registered for the app (required for loopback and paste code).' })}
                    ${field('issuer', 'Issuer', { optional: true, help: 'The authorization server’s issuer; when empty, the authorize URL’s origin.' })}
                    <div class="oauth-client__actions">
                        <button type="button" class="button button--primary" data-op="client-save">Save OAuth app</button>
                        <button type="button" class="button" data-op="client-revert" hidden>Back to the built-in client</button>
                    </div>
                    <div class="oauth-client__problem" data-client-problem role="alert"></div>
                    <p class="field__note" data-client-status role="status"></p>
                </div>
            </details>`);
        this.#renderCurrent();
        if (this.#client !== undefined) this.#fill();
        this.#showRedirectUri();
    }

    /** The provider's client from GET /api/oauth/clients (null: none). What the operator typed since stays. */
    set client(client) {
        this.#client = client ?? null;
        if (!this.firstElementChild) return;
        this.#renderCurrent();
        if (!this.#dirty) this.#fill();
    }

    get client() { return this.#client; }

    /** The list could not be read. */
    failed(error) {
        if (!this.firstElementChild) return;
        render(this.querySelector('[data-client-current]'), html`
            <p class="field__warning">The OAuth client of ${this.provider.name} could not be read: ${error.title}.</p>`);
    }

    #fieldId(name) { return `oauth-client-${this.#id}-${name}`; }

    #input(name) { return this.querySelector(`[data-client-field="${name}"]`); }

    #renderCurrent() {
        const box = this.querySelector('[data-client-current]');
        const client = this.#client;
        if (client === undefined) {
            render(box, html`<p class="muted">Reading the OAuth client…</p>`);
        } else if (!client) {
            render(box, html`<p class="muted" data-client-source="">${this.provider.name} has no OAuth client yet: register your own below.</p>`);
        } else {
            render(box, html`
                <dl class="oauth-client__facts">
                    <div><dt>Source</dt><dd data-client-source="${client.source}">${sourceLabels[client.source] ?? client.source}
                        <span class="muted">(${client.source})</span></dd></div>
                    <div><dt>Client id</dt><dd><code data-client-id>${client.clientId}</code></dd></div>
                    <div><dt>Redirect mode</dt><dd data-client-mode="${client.redirectMode}">${modeLabels[client.redirectMode] ?? client.redirectMode}</dd></div>
                    <div><dt>Redirect URI</dt><dd data-client-redirect>${copyable(this.#fieldId('current-redirect'), client.redirectUri ?? '', 'Copy the redirect URI')}</dd></div>
                </dl>
                ${client.source === 'default' ? html`
                    <p class="field__help">${client.providerCliClient ? `This is ${this.provider.name}’s own CLI client. ` : ''}Register
                        exactly the redirect URI above (or, for an app of your own, this server’s callback) at the provider.</p>` : ''}`);
        }
        const revert = this.querySelector('[data-op="client-revert"]');
        if (revert) revert.hidden = client?.source !== 'operator';
    }

    /** The fields from the client: all of the operator's own; only the endpoints of a built-in one (its id is the CLI's). */
    #fill() {
        const client = this.#client;
        const own = client?.source === 'operator';
        const set = (name, value) => { this.#input(name).value = value ?? ''; };
        set('authorizeUrl', client?.authorizeUrl);
        set('tokenUrl', client?.tokenUrl);
        set('deviceAuthorizationUrl', client?.deviceAuthorizationUrl);
        set('clientId', own ? client.clientId : '');
        set('clientSecret', '');
        set('scopes', (client?.scopes ?? []).join(' '));
        set('redirectMode', own ? client.redirectMode : 'server_callback');
        set('redirectUri', own && client.redirectMode !== 'server_callback' ? client.redirectUri : '');
        set('issuer', client?.issuer);
        const stored = own && client.hasClientSecret;
        const secret = this.#input('clientSecret');
        secret.placeholder = stored ? 'A secret is stored: leave empty to keep it' : '';
        this.#input('removeSecret').checked = false;
        this.querySelector('[data-remove-secret-row]').hidden = !stored;
        this.querySelector('[data-secret-help]').textContent = stored
            ? 'A client secret is stored. Type a new one to replace it, or leave it empty to keep it.'
            : 'Stored encrypted on this server; never shown again.';
        this.#dirty = false;
        this.#showRedirectUri();
    }

    #showRedirectUri() {
        const mode = this.#input('redirectMode')?.value;
        const row = this.querySelector('[data-client-row="redirectUri"]');
        if (!row) return;
        row.hidden = mode === 'server_callback';
        this.#input('redirectUri').setAttribute('aria-required', String(!row.hidden));
    }

    /** The body of PUT /api/oauth/clients/{provider}. */
    #draft() {
        const text = (name) => this.#input(name).value.trim();
        const draft = {
            authorizeUrl: text('authorizeUrl'),
            tokenUrl: text('tokenUrl'),
            deviceAuthorizationUrl: text('deviceAuthorizationUrl') || null,
            clientId: text('clientId'),
            scopes: text('scopes').split(/\s+/).filter(Boolean),
            redirectMode: this.#input('redirectMode').value,
            issuer: text('issuer') || null,
        };
        if (draft.redirectMode !== 'server_callback') draft.redirectUri = text('redirectUri');
        if (this.#input('removeSecret').checked) draft.clientSecret = null;
        else if (this.#input('clientSecret').value.trim()) draft.clientSecret = this.#input('clientSecret').value.trim();
        return draft;
    }

    async #save() {
        if (this.#busy) return;
        this.#setBusy('client-save', 'Saving…');
        this.#showProblem(null);
        let saved;
        try {
            saved = await api.putOAuthClient(this.provider.id, this.#draft());
        } catch (error) {
            this.#setBusy(null);
            this.#showProblem(error, 'The OAuth app was not saved');
            return;
        }
        this.#setBusy(null);
        this.#dirty = false;
        this.client = saved;
        this.#status(`Saved. Sign-ins with ${this.provider.name} use your OAuth app now.`);
        announce(`OAuth app saved for ${this.provider.name}`);
        this.dispatchEvent(new CustomEvent('oauth-client-changed', { bubbles: true, detail: { client: saved } }));
    }

    async #revert() {
        if (this.#busy) return;
        this.#setBusy('client-revert', 'Going back…');
        this.#showProblem(null);
        try {
            await api.deleteOAuthClient(this.provider.id);
        } catch (error) {
            this.#setBusy(null);
            this.#showProblem(error, 'The built-in client was not restored');
            return;
        }
        this.#setBusy(null);
        this.#dirty = false;
        this.#status(`Back to the built-in client of ${this.provider.name}.`);
        announce(`Back to the built-in OAuth client of ${this.provider.name}`);
        // The list says what the provider has now (the built-in client, or none).
        this.dispatchEvent(new CustomEvent('oauth-client-changed', { bubbles: true, detail: { client: null } }));
    }

    #setBusy(op, text) {
        this.#busy = Boolean(op);
        for (const button of this.querySelectorAll('[data-op="client-save"], [data-op="client-revert"]')) {
            button.disabled = this.#busy;
            if (!button.dataset.label) button.dataset.label = button.textContent;
            button.textContent = button.dataset.op === op ? text : button.dataset.label;
        }
        this.querySelector('.oauth-client__form')?.setAttribute('aria-busy', String(this.#busy));
        if (op) this.#status('');
    }

    #status(text) {
        const status = this.querySelector('[data-client-status]');
        if (status) status.textContent = text;
    }

    /** Each error at its field by pointer (`/authorizeUrl`); the rest, and the title, under the buttons. */
    #showProblem(problem, what = '') {
        const banner = this.querySelector('[data-client-problem]');
        const { unplaced, first } = placeProblems(this, problem?.errors ?? [], {
            boxes: '[data-client-messages]',
            invalid: '[data-client-field][aria-invalid]',
            field: (pointer) => {
                const box = fields.includes(pointer.slice(1)) && this.querySelector(`[data-client-messages="${CSS.escape(pointer)}"]`);
                return box && !box.closest('[hidden]') ? { box, controls: [this.#input(pointer.slice(1))] } : null;
            },
        });
        if (!problem) {
            banner.replaceChildren();
            return;
        }
        const placed = (problem.errors ?? []).length > unplaced.length;
        render(banner, html`
            <div class="field__error">
                <p><strong>${what}:</strong> ${problem.title}${problem.detail ? html` — ${withCode(problem.detail)}` : ''}</p>
                ${placed ? html`<p>The marked fields say what to fix.</p>` : ''}
                ${unplaced.length ? html`<ul class="save-banner__list">
                    ${unplaced.map((e) => html`<li>${e.pointer ? html`<code>${e.pointer}</code>: ` : ''}${withCode(e.message)}</li>`)}</ul>` : ''}
            </div>`);
        announce(`${what}: ${problem.title}`);
        first?.focus();
    }

    #onClick(event) {
        const button = event.target.closest('button[data-op]');
        if (!button || !this.contains(button)) return;
        // The sign-in panel and the editor around it have buttons of their own: these are handled here only.
        switch (button.dataset.op) {
        case 'client-save':
            event.stopPropagation();
            this.#save();
            break;
        case 'client-revert':
            event.stopPropagation();
            this.#revert();
            break;
        case 'copy-value':
            event.stopPropagation();
            copyFrom(button);
            break;
        default:
        }
    }
}

customElements.define('oauth-client-form', OAuthClientForm);
