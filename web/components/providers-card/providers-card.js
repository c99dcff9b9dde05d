import { api } from '../../api.js';
import { announce } from '../../lib/announce.js';
import { copyable, copyFrom } from '../../lib/copy.js';
import { html, render, withCode } from '../../lib/html.js';
import { statusLabels } from '../account-editor/account-status.js';
import '../account-editor/account-editor.js';
import '../add-provider/add-provider.js';
import '../route-status/route-status.js';
import { accountState, stateClass, stateText } from '../route-status/route-words.js';
import { failureText } from '../flow-panel/flow-words.js';
import { reloadCatalog } from '../../lib/catalog-data.js';

// The providers the catalog features lead, in its order (`featured`); the rest follow by name.

// Best first: a provider's tile shows the best status among its accounts.
const statusRank = ['connected', 'untested', 'error', 'missing_credential', 'credential_unreadable', 'not_configured'];

function rank(status) {
    const i = statusRank.indexOf(status);
    return i < 0 ? statusRank.length : i;
}

// What the OAuth callback adds to /settings when it sends the browser back here.
const landingParams = ['connected', 'error', 'flow', 'account'];

/** The callback's outcome from the address (once: the address is cleaned so that a reload does not repeat it). */
function takeLanding() {
    const url = new URL(window.location.href);
    const found = Object.fromEntries(landingParams.map((p) => [p, url.searchParams.get(p)]));
    if (!found.connected && !found.error) return null;
    return clean(url, found);
}

/** `?open=<provider>` (a Connect or Add account link from elsewhere): the provider whose editor opens, once. */
function takeOpen() {
    const url = new URL(window.location.href);
    const provider = url.searchParams.get('open');
    if (!provider) return null;
    url.searchParams.delete('open');
    window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
    return provider;
}

function clean(url, found) {
    for (const p of landingParams) url.searchParams.delete(p);
    window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
    return found;
}

function ordered(providers) {
    const position = (p) => p.featured ?? Number.MAX_SAFE_INTEGER;
    return [...providers].sort((a, b) => position(a) - position(b) || a.name.localeCompare(b.name));
}

/**
 * Providers & Auth: a tile per catalog provider with the status of its accounts, and one provider's accounts
 * expanded in an <account-editor> below the tiles. Loads GET /api/catalog and GET /api/accounts itself.
 */
export class ProvidersCard extends HTMLElement {
    #providers = [];
    #accounts = [];
    #problems = [];
    #open = null;
    #landing = null;
    #openOnLoad = null;
    #route = null;

    constructor() {
        super();
        this.addEventListener('click', (event) => this.#onClick(event));
        this.addEventListener('account-changed', (event) => this.#changed(event.detail.account));
        this.addEventListener('account-removed', (event) => this.#removed(event.detail.id));
        this.addEventListener('editor-close', () => this.#close());
        this.addEventListener('provider-added', (event) => this.#added(event.detail.provider));
        this.onOpenProvider = (event) => {
            this.#openEditor(event.detail.provider);
            this.scrollIntoView?.({ block: 'start' });
        };
    }

    disconnectedCallback() {
        document.removeEventListener('open-provider', this.onOpenProvider);
    }

    connectedCallback() {
        document.addEventListener('open-provider', this.onOpenProvider);
        if (this.firstElementChild) return;
        this.#openOnLoad = takeOpen();
        this.#landing = takeLanding();
        render(this, html`
            <section class="card settings-card providers" aria-labelledby="providers-card-title">
                <h3 id="providers-card-title" tabindex="-1">Providers &amp; Auth</h3>
                <p class="muted">Connect model providers once. Agents can use them immediately.</p>
                <div class="providers__landing" data-landing-box></div>
                <div class="providers__body"><p class="loading">Loading providers…</p></div>
                <div class="providers__editor" id="providers-editor"></div>
            </section>`);
        this.#load();
    }

    async #load() {
        const body = this.querySelector('.providers__body');
        try {
            const [catalog, { accounts }] = await Promise.all([api.catalog(), api.accounts()]);
            this.#accounts = accounts ?? [];
            this.#problems = catalog.problems ?? [];
            const known = new Map((catalog.providers ?? []).map((p) => [p.id, p]));
            // An account whose provider left the catalog still gets a tile, so it can be disconnected.
            for (const account of this.#accounts) {
                if (!known.has(account.provider)) {
                    known.set(account.provider, {
                        id: account.provider, name: account.providerName || account.provider, type: '', source: 'missing', authMethods: [],
                    });
                }
            }
            this.#providers = ordered([...known.values()]);
            render(body, html`
                <ul class="provider-grid" aria-label="Providers"></ul>
                ${this.#problems.length ? html`
                    <div class="field__warning providers__catalog-problems">
                        Some custom catalog files could not be read:
                        <ul>${this.#problems.map((p) => html`<li><code>${p.file}</code>${p.pointer ? html` at <code>${p.pointer}</code>` : ''}: ${p.message}</li>`)}</ul>
                    </div>` : ''}`);
            this.#renderTiles();
            this.#loadRoute();
            if (this.#landing) this.#showLanding(this.#landing);
            if (this.#openOnLoad) {
                const provider = this.#openOnLoad;
                this.#openOnLoad = null;
                this.#openEditor(provider);
            }
        } catch (error) {
            render(body, html`
                <div class="error" role="alert">
                    <p class="error__title">The providers could not be loaded: ${error.title}</p>
                    ${error.detail ? html`<p>${withCode(error.detail)}</p>` : ''}
                    <p><button type="button" class="button button--small" data-op="load">Try again</button></p>
                </div>`);
        }
    }

    /** Routing's view (GET /api/route/status): shown on the tiles and in the open provider's routing panel. */
    async #loadRoute() {
        const panel = () => this.querySelector('route-status');
        try {
            this.#route = await api.routeStatus();
            if (panel()) panel().status = this.#route;
        } catch (error) {
            this.#route = null;
            if (panel()) panel().problem = error;
        }
        this.#renderTiles();
    }

    async #added(provider) {
        reloadCatalog();
        this.#open = null;
        this.querySelector('.providers__editor').replaceChildren();
        await this.#load();
        this.#openEditor(provider.id);
    }

    #openAdd() {
        const form = document.createElement('add-provider');
        this.querySelector('.providers__editor').replaceChildren(form);
        this.#open = '+add';
        this.#renderTiles();
        form.focusHeading();
    }

    #accountsOf(provider) {
        return this.#accounts.filter((a) => a.provider === provider);
    }

    #renderTiles() {
        const grid = this.querySelector('.provider-grid');
        if (!grid) return;
        render(grid, html`${this.#providers.map((provider) => {
            const accounts = this.#accountsOf(provider.id);
            const status = accounts.map((a) => a.status).sort((a, b) => rank(a) - rank(b))[0] ?? 'not_configured';
            const id = `provider-tile-${provider.id}`;
            const open = this.#open === provider.id;
            return html`
                <li class="provider-tile" data-provider="${provider.id}" data-status="${status}" ${open ? html`data-open` : ''}>
                    <h4 class="provider-tile__name" id="${id}-name">
                        ${provider.name}
                        ${provider.source === 'custom' ? html`<span class="badge">Custom</span>` : ''}
                        ${provider.source === 'missing' ? html`<span class="badge">Not in the catalog</span>` : ''}
                    </h4>
                    <p class="provider-tile__status" id="${id}-status">
                        <span class="status-dot" aria-hidden="true"></span>
                        <span data-status-text>${statusLabels[status] ?? status}</span>
                    </p>
                    ${accounts.length ? html`
                        <ul class="provider-tile__accounts" aria-label="${provider.name} accounts">
                            ${accounts.map((a) => {
                                const route = this.#route ? accountState(this.#route, a.id) : null;
                                return html`<li title="${a.id}" data-tile-account="${a.id}">${a.displayName}
                                    ${route ? html`<span class="route-pill route-pill--${stateClass(route.state)}" data-route-summary="${route.state}">${stateText(route)}</span>` : ''}</li>`;
                            })}
                        </ul>` : ''}
                    <button type="button" class="button button--small provider-tile__open" data-op="open" data-provider="${provider.id}"
                            aria-expanded="${open ? 'true' : 'false'}" aria-controls="providers-editor"
                            aria-describedby="${id}-name ${id}-status">${accounts.length ? 'Edit' : 'Connect'}</button>
                </li>`;
        })}
            <li class="provider-add" ${this.#open === '+add' ? html`data-open` : ''}>
                <h4 class="provider-tile__name" id="provider-tile-add-name">Custom provider</h4>
                <p class="provider-tile__status muted">OpenAI-compatible, Anthropic-compatible, Ollama or a Catwalk file.</p>
                <button type="button" class="button button--small provider-tile__open" data-op="add-provider"
                        aria-expanded="${this.#open === '+add' ? 'true' : 'false'}" aria-controls="providers-editor">+ Add Provider</button>
            </li>`);
    }

    #tileButton(provider) {
        return this.querySelector(`.provider-tile__open[data-provider="${CSS.escape(provider)}"]`);
    }

    #openEditor(providerId) {
        if (this.#open === providerId) {
            this.querySelector('account-editor')?.focusHeading();
            return;
        }
        const provider = this.#providers.find((p) => p.id === providerId);
        if (!provider) return;
        const editor = document.createElement('account-editor');
        editor.provider = provider;
        editor.accounts = this.#accountsOf(providerId);
        const route = document.createElement('route-status');
        this.querySelector('.providers__editor').replaceChildren(editor, route);
        route.provider = provider;
        route.accounts = this.#accountsOf(providerId);
        if (this.#route) route.status = this.#route;
        this.#open = providerId;
        this.#renderTiles();
        editor.focusHeading();
    }

    #close() {
        const provider = this.#open;
        this.querySelector('.providers__editor').replaceChildren();
        this.#open = null;
        this.#renderTiles();
        if (provider === '+add') this.querySelector('[data-op="add-provider"]')?.focus();
        else if (provider) this.#tileButton(provider)?.focus();
    }

    #changed(account) {
        const i = this.#accounts.findIndex((a) => a.id === account.id);
        if (i < 0) this.#accounts.push(account);
        else this.#accounts[i] = account;
        this.#renderTiles();
        this.#routePanelAccounts();
        reloadCatalog();
    }

    #removed(id) {
        this.#accounts = this.#accounts.filter((a) => a.id !== id);
        this.#renderTiles();
        this.#routePanelAccounts();
        reloadCatalog();
    }

    #routePanelAccounts() {
        const panel = this.querySelector('route-status');
        if (panel && this.#open) panel.accounts = this.#accountsOf(this.#open);
    }

    // MARK: Back from the provider's sign-in page

    /** Says how the sign-in the provider sent the browser back from ended, above the tiles. */
    async #showLanding({ connected, error, flow: flowId, account: accountId }) {
        this.#landing = null;
        const box = this.querySelector('[data-landing-box]');
        if (connected) {
            const account = this.#accounts.find((a) => a.id === connected);
            const name = account ? `${account.displayName} (${account.id})` : connected;
            render(box, html`
                <div class="notice notice--ok" data-landing="connected" role="status">
                    <p><span aria-hidden="true">✓</span> Connected <strong>${name}</strong>.</p>
                    <p class="notice__actions">
                        ${account ? html`<button type="button" class="button button--small" data-op="landing-open" data-account="${account.id}">Show the account</button>` : ''}
                        <button type="button" class="button button--small button--quiet" data-op="landing-dismiss">Dismiss</button>
                    </p>
                </div>`);
            announce(`Connected ${name}`);
            return;
        }
        let flow = null;
        if (flowId) {
            try {
                flow = await api.oauthFlow(flowId);
            } catch {
                // An unknown or finished flow: the category alone says enough.
            }
        }
        const account = this.#accounts.find((a) => a.id === (accountId ?? flow?.account));
        const provider = this.#providers.find((p) => p.id === (account?.provider ?? flow?.provider ?? accountId?.split(':')[0]));
        const scope = error === 'insufficient_scope';
        const redirectUri = flow?.redirectUri ?? null;
        render(box, html`
            <div class="error" role="alert" data-landing="error" data-category="${error}">
                <p class="error__title">${scope ? 'Signed in, but a permission is missing' : `The sign-in${provider ? ` at ${provider.name}` : ''} did not finish`}</p>
                <p>${failureText(error, { missingScopes: flow?.missingScopes ?? [], message: flow?.message ?? '' })}</p>
                ${error === 'redirect_uri_mismatch' && redirectUri ? html`<p>${copyable('landing-redirect', redirectUri, 'Copy the redirect URI')}</p>` : ''}
                <p class="notice__actions">
                    ${account && provider ? html`
                        <button type="button" class="button button--small" data-op="landing-sign-in-again" data-account="${account.id}">${scope ? 'Sign in again' : 'Start again'}</button>`
                        : provider ? html`
                        <button type="button" class="button button--small" data-op="open" data-provider="${provider.id}">Open ${provider.name}</button>` : ''}
                    <button type="button" class="button button--small button--quiet" data-op="landing-dismiss">Dismiss</button>
                </p>
            </div>`);
    }

    #onClick(event) {
        const button = event.target.closest('button[data-op]');
        if (!button || button.closest('account-editor, add-provider')) return;
        if (button.dataset.op === 'open') this.#openEditor(button.dataset.provider);
        else if (button.dataset.op === 'add-provider') this.#openAdd();
        else if (button.dataset.op === 'route-refresh') this.#loadRoute();
        else if (button.dataset.op === 'landing-dismiss') {
            this.querySelector('[data-landing-box]').replaceChildren();
            this.querySelector('#providers-card-title')?.focus();
        } else if (button.dataset.op === 'landing-open' || button.dataset.op === 'landing-sign-in-again') {
            const account = this.#accounts.find((a) => a.id === button.dataset.account);
            if (!account) return;
            this.#openEditor(account.provider);
            const editor = this.querySelector('account-editor');
            if (button.dataset.op === 'landing-sign-in-again') editor?.signInAgain(account.id);
            else editor?.showAccount(account.id);
        } else if (button.dataset.op === 'copy-value') {
            copyFrom(button);
        } else if (button.dataset.op === 'load') {
            render(this.querySelector('.providers__body'), html`<p class="loading">Loading providers…</p>`);
            this.#load();
        }
    }
}

customElements.define('providers-card', ProvidersCard);
