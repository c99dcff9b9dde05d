import { api } from '../../api.js';
import { announce } from '../../lib/announce.js';
import { html, render, withCode } from '../../lib/html.js';
import './cli-login.js';
import './cli-selections.js';

function when(iso) {
    if (!iso) return '';
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? iso : date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

function authPill(auth) {
    if (auth.status === 'signed_in') {
        return html`<span class="route-pill route-pill--ok" data-auth="signed_in">Signed in${auth.email ? ` as ${auth.email}` : ''}${auth.plan ? ` (${auth.plan})` : ''}</span>`;
    }
    if (auth.status === 'signed_out') return html`<span class="route-pill route-pill--warn" data-auth="signed_out">Not signed in</span>`;
    return html`<span class="route-pill route-pill--none" data-auth="unknown">Sign-in unknown</span>`;
}

const idPattern = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * Settings › Provider CLIs: each CLI Switchboard found (version, path, a stale notice after an update, Sync), its
 * accounts with what the CLI says about their sign-in, a sign-in relayed from the CLI, its models, and the
 * model selections.
 */
export class CLISection extends HTMLElement {
    #tools = [];
    #models = {};
    #busy = false;

    connectedCallback() {
        if (this.firstElementChild) return;
        render(this, html`
            <section class="cli" aria-labelledby="cli-title">
                <div class="model-provider__header">
                    <div>
                        <h2 id="cli-title" class="section-title" tabindex="-1">Provider CLIs</h2>
                        <p class="muted">Subscriptions that work only through the provider’s own CLI. Switchboard runs the CLI and never
                            reads its tokens: each account has its own home, and a runtime gets the exact command to run.</p>
                    </div>
                    <div class="save-bar">
                        <p class="save-status" role="status" data-cli-status></p>
                        <button type="button" class="button button--small" data-op="scan">Scan now</button>
                    </div>
                </div>
                <div data-cli-problem></div>
                <div class="cards" data-cli-tools><p class="loading">Looking for CLIs…</p></div>
                <cli-selections></cli-selections>
            </section>`);
        this.addEventListener('click', (event) => this.#onClick(event));
        this.addEventListener('submit', (event) => this.#onSubmit(event));
        this.addEventListener('cli-login-ended', () => this.#load());
        this.#load();
    }

    focusHeading() { this.querySelector('#cli-title')?.focus(); }

    async #load(answer = null) {
        try {
            const list = answer ?? await api.clis();
            this.#tools = list.tools;
            const models = await Promise.all(this.#tools.filter((t) => t.installed).map((t) => api.cliModels(t.name).catch(() => null)));
            this.#models = Object.fromEntries(models.filter(Boolean).map((m) => [m.tool, m]));
            render(this.querySelector('[data-cli-problem]'), html``);
        } catch (error) {
            render(this.querySelector('[data-cli-problem]'), html`
                <div class="card error" role="alert"><p class="error__title">The CLIs could not be loaded: ${error.title}</p>
                    ${error.detail ? html`<p>${withCode(error.detail)}</p>` : ''}
                    <p><button type="button" class="button" data-op="reload">Try again</button></p></div>`);
            return;
        }
        this.#renderTools();
        this.querySelector('cli-selections').data = { tools: this.#tools, models: this.#models };
    }

    #renderTools() {
        // Sign-ins in progress keep running while the rest is drawn again.
        const logins = new Map([...this.querySelectorAll('cli-login')].map((l) => [l.account, l]));
        const drafts = new Map([...this.querySelectorAll('[data-add-account] input')].map((i) => [i.id, i.value]));
        render(this.querySelector('[data-cli-tools]'), html`${this.#tools.map((t) => this.#tool(t))}`);
        for (const [account, element] of logins) {
            const slot = this.querySelector(`[data-login-slot="${CSS.escape(account)}"]`);
            if (slot) slot.replaceChildren(element);
        }
        for (const [id, value] of drafts) {
            const input = this.querySelector(`#${CSS.escape(id)}`);
            if (input) input.value = value;
        }
    }

    #tool(t) {
        const id = `cli-${t.name}`;
        const models = this.#models[t.name];
        const newest = t.notices[0];
        return html`
            <section class="card cli-tool" aria-labelledby="${id}-title" data-tool="${t.name}">
                <div class="cli-tool__header">
                    <h3 id="${id}-title">${t.displayName} <code>${t.name}</code></h3>
                    ${t.installed ? html`<span class="route-pill route-pill--ok" data-version>${t.version ?? 'version unknown'}</span>`
                                  : html`<span class="route-pill route-pill--none" data-version>Not installed</span>`}
                    ${t.stale ? html`<span class="badge badge--warn" data-stale>Updated: check</span>` : ''}
                    ${t.installed ? html`<button type="button" class="button button--small${t.stale ? ' button--primary' : ''}" data-op="sync" data-tool="${t.name}">Sync<span class="visually-hidden"> ${t.displayName}</span></button>` : ''}
                </div>
                <p class="muted cli-tool__facts">${t.vendor} ·
                    ${t.installed ? html`<code>${t.path}</code>` : 'not found on PATH or in the --cli-path directories'}
                    ${t.modelCount ? html` · ${t.modelCount} model${t.modelCount === 1 ? '' : 's'}
                        ${t.modelsSource === 'data' ? html` (from data written for ${t.modelsVersion})` : ' (listed by the CLI)'}` : ''}</p>
                ${t.stale && newest ? html`<div class="notice" role="note" data-stale-notice><p>${newest.message}</p>
                    <p class="muted">${when(newest.at)}. Check the models and their settings below, then press Sync.</p></div>` : ''}
                ${t.syncError ? html`<p class="field__error">${t.syncError}</p>` : ''}
                ${t.notices.length ? html`
                    <details class="disclosure"><summary>History (${t.notices.length})</summary>
                        <ul class="cli-notices">${t.notices.map((n) => html`<li><span class="muted">${when(n.at)}</span> ${n.message}</li>`)}</ul>
                    </details>` : ''}
                <h4 class="cli-tool__subtitle">Accounts</h4>
                ${t.accounts.length ? html`<ul class="cli-accounts">${t.accounts.map((a) => this.#account(t, a))}</ul>`
                                    : html`<p class="muted">No accounts yet.</p>`}
                ${this.#addForm(t)}
                ${models?.models.length ? html`
                    <details class="disclosure" data-models="${t.name}"><summary>Models (${models.models.length})</summary>
                        <div class="table-wrap" tabindex="0" role="region" aria-label="${t.displayName} models">
                            <table class="data-table">
                                <thead><tr><th scope="col">Model</th><th scope="col">Context</th><th scope="col">Settings</th></tr></thead>
                                <tbody>${models.models.map((m) => html`
                                    <tr><th scope="row">${m.name} <code>${m.reference}</code>${m.isDefault ? html` <span class="badge">Default</span>` : ''}</th>
                                        <td>${m.contextWindow ? `${Math.round(m.contextWindow / 1000)}K` : '—'}</td>
                                        <td>${m.parameters.length ? m.parameters.map((p) => p.label).join(', ') : '—'}</td></tr>`)}</tbody>
                            </table>
                        </div>
                    </details>` : ''}
            </section>`;
    }

    #account(t, a) {
        return html`
            <li class="cli-account" data-cli-account="${a.id}">
                <div class="cli-account__line">
                    ${a.displayName === a.id ? html`<strong><code>${a.id}</code></strong>` : html`<strong>${a.displayName}</strong> <code>${a.id}</code>`} ${authPill(a.auth)}
                </div>
                <p class="muted cli-account__home">Home <code>${a.home}</code>${a.managed ? ' (made by Switchboard)' : ''}${a.auth.checkedAt ? ` · checked ${when(a.auth.checkedAt)}` : ''}</p>
                <p class="cli-account__actions">
                    ${t.installed ? html`
                        <button type="button" class="button button--small${a.auth.status === 'signed_in' ? '' : ' button--primary'}" data-op="login" data-tool="${t.name}" data-account="${a.id}">${a.auth.status === 'signed_in' ? 'Sign in again' : 'Sign in'}<span class="visually-hidden"> ${a.id}</span></button>
                        <button type="button" class="button button--small" data-op="check" data-tool="${t.name}" data-account="${a.id}">Check<span class="visually-hidden"> ${a.id}</span></button>` : ''}
                    <button type="button" class="button button--small button--danger" data-op="remove" data-tool="${t.name}" data-account="${a.id}">Remove<span class="visually-hidden"> ${a.id}</span></button>
                </p>
                <div data-login-slot="${a.id}"></div>
            </li>`;
    }

    #addForm(t) {
        const id = `cli-${t.name}-new`;
        return html`
            <form class="cli-add" data-add-account="${t.name}" novalidate aria-label="Add a ${t.displayName} account">
                <div class="field" data-field="/id">
                    <label for="${id}-name">New account name</label>
                    <div class="field__with-unit"><span class="field__unit">${t.name}:</span>
                        <input id="${id}-name" type="text" autocomplete="off" spellcheck="false" placeholder="work" data-new-name
                               aria-describedby="${id}-help"></div>
                    <p class="field__help muted" id="${id}-help">Lower-case letters, digits, - and _. It gets a home of its own under the state directory.</p>
                    <div class="field__messages" data-new-messages="/id"></div>
                </div>
                <details class="cli-add__home">
                    <summary>Use an existing home instead</summary>
                    <div class="field" data-field="/home">
                        <label for="${id}-home">Existing home directory</label>
                        <input id="${id}-home" type="text" autocomplete="off" spellcheck="false" placeholder="/home/me/.${t.name === 'opencode' || t.name === 'gemini' ? '' : t.name}" data-new-home>
                        <div class="field__messages" data-new-messages="/home"></div>
                    </div>
                </details>
                <div class="field__messages" data-new-messages=""></div>
                <p><button type="submit" class="button button--small">Add account</button></p>
            </form>`;
    }

    #status(text) {
        const status = this.querySelector('[data-cli-status]');
        if (status) status.textContent = text;
    }

    async #onClick(event) {
        const button = event.target.closest('button[data-op]');
        if (!button || this.#busy && button.dataset.op !== 'copy-value') return;
        const { op, tool, account } = button.dataset;
        if (op === 'reload') return this.#load();
        if (op === 'scan') {
            this.#busy = true;
            button.disabled = true;
            this.#status('Scanning…');
            try {
                await this.#load(await api.scanCLIs());
                this.#status('Scan finished');
                announce('Scan finished');
            } catch (error) {
                this.#status(`Scan failed: ${error.title}`);
            } finally {
                this.#busy = false;
                this.querySelector('[data-op="scan"]').disabled = false;
            }
        } else if (op === 'sync') {
            this.#status(`Syncing ${tool}…`);
            try {
                await api.syncCLI(tool);
                await this.#load();
                this.#status(`${tool} synced`);
                announce(`${tool} synced`);
                this.querySelector(`[data-tool="${CSS.escape(tool)}"] h3`)?.focus?.();
            } catch (error) {
                this.#status(`${tool} was not synced: ${error.detail || error.title}`);
            }
        } else if (op === 'check') {
            button.disabled = true;
            try {
                const checked = await api.checkCLIAccount(tool, account);
                await this.#load();
                announce(`${account}: ${checked.auth.status === 'signed_in' ? 'signed in' : 'not signed in'}`);
            } catch (error) {
                announce(`${account} was not checked: ${error.title}`);
                button.disabled = false;
            }
        } else if (op === 'login') {
            const slot = this.querySelector(`[data-login-slot="${CSS.escape(account)}"]`);
            let login = slot.querySelector('cli-login');
            if (!login) {
                login = document.createElement('cli-login');
                login.setAttribute('tool', tool);
                login.setAttribute('account', account);
                slot.replaceChildren(login);
            }
            await login.start();
            login.querySelector('a, input, button')?.focus();
        } else if (op === 'remove') {
            if (!window.confirm(`Remove ${account}? ${this.#tools.find((t) => t.name === tool)?.accounts.find((a) => a.id === account)?.managed
                ? 'Its home goes too, and with it the CLI’s sign-in.' : 'Its home is left as it is.'}`)) return;
            try {
                await api.deleteCLIAccount(tool, account);
                await this.#load();
                announce(`Removed ${account}`);
            } catch (error) {
                announce(`${account} was not removed: ${error.title}`);
            }
        }
    }

    async #onSubmit(event) {
        const form = event.target.closest('[data-add-account]');
        if (!form) return;
        event.preventDefault();
        const tool = form.dataset.addAccount;
        const nameInput = form.querySelector('[data-new-name]');
        const homeInput = form.querySelector('[data-new-home]');
        const name = nameInput.value.trim();
        const home = homeInput.value.trim();
        const show = (issues) => {
            for (const box of form.querySelectorAll('[data-new-messages]')) box.replaceChildren();
            nameInput.removeAttribute('aria-invalid');
            homeInput.removeAttribute('aria-invalid');
            for (const issue of issues) {
                const key = issue.pointer === '/id' || issue.pointer === '/home' ? issue.pointer : '';
                const p = document.createElement('p');
                p.className = 'field__error';
                p.textContent = issue.message;
                form.querySelector(`[data-new-messages="${key}"]`).append(p);
                if (key === '/home') { homeInput.setAttribute('aria-invalid', 'true'); form.querySelector('details').open = true; }
                if (key === '/id') nameInput.setAttribute('aria-invalid', 'true');
            }
            (form.querySelector('[aria-invalid]') ?? nameInput).focus();
        };
        if (!idPattern.test(name)) {
            show([{ pointer: '/id', message: 'Give a name of lower-case letters, digits, - and _ (work, team-2).' }]);
            return;
        }
        try {
            await api.createCLIAccount(tool, home ? { id: `${tool}:${name}`, home } : { id: `${tool}:${name}` });
        } catch (error) {
            show(error.errors?.length ? error.errors : [{ pointer: '', message: error.detail || error.title }]);
            return;
        }
        nameInput.value = '';
        homeInput.value = '';
        await this.#load();
        announce(`Added ${tool}:${name}`);
        this.querySelector(`[data-cli-account="${CSS.escape(`${tool}:${name}`)}"] button`)?.focus();
    }
}

customElements.define('cli-section', CLISection);
