import { api } from '../../api.js';
import { announce } from '../../lib/announce.js';
import { placeProblems } from '../../lib/fields.js';
import { html, render, withCode } from '../../lib/html.js';
import { segments } from '../../lib/pointer.js';
import { secretNouns } from '../account-credential/account-credential.js';
import { AccountAdvanced } from './account-advanced.js';
import { accountPatch, changedSettings, createInput, duplicateId, settingsDiffer, underCredential } from './account-draft.js';
import { AccountModels } from './account-models.js';
import { accountPicker, checkNewAccount, displayNameField, newAccountFields, previewId } from './account-picker.js';
import { AccountStatus } from './account-status.js';
import { refreshRelativeTimes } from './connection-test.js';
import { confirmDisconnect } from './disconnect-dialog.js';
import { OAuthUse } from './oauth-use.js';
import { flowKind, SignInMethod } from './sign-in-method.js';

/**
 * One provider's accounts, expanded: pick or add an account, choose how it authenticates, store or replace
 * its credential (never shown again after saving; Reveal and Copy ask first and are audited), its default
 * model and advanced settings, and Disconnect after showing what depends on it. Set `provider` (the catalog
 * entry) and `accounts` (this provider's) before it connects. Fires `account-changed` (detail: {account}),
 * `account-removed` (detail: {id}) and `editor-close`.
 *
 * The editor holds the accounts and the one shown, saves, and places problems; each part of the form is its
 * own file: the picker, the status line and its test, the sign-in method, the OAuth use switch, the models,
 * the advanced settings.
 */
export class AccountEditor extends HTMLElement {
    provider = null;
    accounts = [];
    #current = null;
    #busy = false;
    #clock = 0;
    #method = new SignInMethod(this, () => this.#current);
    #status = new AccountStatus(this, {
        account: () => this.#current,
        reread: (account) => this.#reread(account),
        // A test lists the provider's models too: the default-model list follows.
        tested: () => this.#models.load(),
    });
    #models = new AccountModels(this, { account: () => this.#current, reread: (account) => this.#reread(account) });
    #advanced = new AccountAdvanced(this);
    #oauthUse = new OAuthUse(this, (account) => this.isConnected && this.#current?.id === account.id);

    constructor() {
        super();
        this.addEventListener('click', (event) => this.#onClick(event));
        this.addEventListener('change', (event) => this.#onChange(event));
        this.addEventListener('input', (event) => {
            if (event.target.matches('[data-field="name"]')) previewId(this, this.provider, event.target.value);
        });
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
            if (this.#method.choose('pairing')) {
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

    /** Shows `accountId` (one of this provider's accounts) in the editor. */
    showAccount(accountId) {
        const account = this.accounts.find((a) => a.id === accountId);
        if (!account) return;
        if (account !== this.#current) this.#show(account);
        this.querySelector('[data-account-status]')?.scrollIntoView({ block: 'nearest' });
    }

    /**
     * Shows `accountId` and starts its sign-in again at once (the page's "Sign in again" after a callback said
     * a scope was missing). Call it from a click: the sign-in opens a new tab.
     */
    signInAgain(accountId) {
        const account = this.accounts.find((a) => a.id === accountId);
        if (account && account !== this.#current) this.#show(account);
        this.#method.choose('oauth_browser');
        this.querySelector('oauth-sign-in')?.begin('browser');
    }

    // MARK: Rendering

    /** Shows `account` (null: a new one) in a new form. */
    #show(account) {
        this.#current = account;
        this.#showProblem(null);
        this.#renderAll();
    }

    #renderAll(overlay = null) {
        render(this.querySelector('.account-editor__accounts'), accountPicker(this.accounts, this.#current));
        this.#renderForm(overlay);
    }

    /** The form for the account shown; `overlay` holds what the user typed over it (kept after a 412). */
    #renderForm(overlay) {
        const account = this.#current;
        const method = this.#method.initial(overlay?.authMethod ?? account?.authMethod);
        render(this.querySelector('form'), html`
            ${account ? this.#status.template(account) : newAccountFields(this.provider, this.accounts)}
            ${account ? displayNameField() : ''}
            ${this.#method.template(method)}
            <account-credential class="account-credential"></account-credential>
            <div class="account-flow" data-flow-panel></div>
            <div class="account-oauth-use" data-oauth-use></div>
            ${this.#models.template(account)}
            ${this.#advanced.template(this.provider)}
            <div class="account-editor__actions">
                <button type="submit" class="button button--primary" data-op="save">${account ? 'Save' : 'Connect'}</button>
                ${account ? html`<button type="button" class="button button--danger" data-op="disconnect">Disconnect</button>` : ''}
            </div>`);
        const value = (field) => (overlay && field in overlay ? overlay[field] : account?.[field]);
        if (account) this.querySelector('[data-field="displayName"]').value = value('displayName') ?? '';
        this.#advanced.fill(value);
        this.#models.start(value('defaultModel') ?? '');
        const credential = this.querySelector('account-credential');
        credential.provider = this.provider;
        credential.account = account;
        credential.draftContext = () => ({
            baseUrl: this.querySelector('[data-field="baseUrl"]')?.value.trim() || null,
            authMethod: this.#method.chosen,
        });
        this.#method.show(method);
        this.#oauthUse.show(account);
        if (overlay?.credentialInputs) credential.restore(overlay.credentialInputs);
        if (overlay?.advancedOpen) this.#advanced.open = true;
    }

    // MARK: Accounts

    #replace(account) {
        this.accounts = this.accounts.some((a) => a.id === account.id)
            ? this.accounts.map((a) => (a.id === account.id ? account : a))
            : [...this.accounts, account];
        this.#current = account;
    }

    #changed(account) {
        this.dispatchEvent(new CustomEvent('account-changed', { bubbles: true, detail: { account } }));
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
        const updated = settingsDiffer(fresh, latest)
            ? { ...latest, status: fresh.status, statusDetail: fresh.statusDetail, lastTest: fresh.lastTest } : fresh;
        this.accounts = this.accounts.map((a) => (a.id === updated.id ? updated : a));
        if (shown) {
            this.#current = updated;
            const credential = this.querySelector('account-credential');
            if (credential) credential.account = updated;
            this.#status.show(updated);
        }
        this.#changed(updated);
    }

    /** Saves the direct-API switch of the account shown. */
    async #allowDirect(checkbox) {
        if (!this.#current) return;
        const updated = await this.#oauthUse.save(this.#current, checkbox);
        if (!updated) return;
        this.#replace(updated);
        this.querySelector('account-credential').account = updated;
        this.#changed(updated);
    }

    // MARK: Sign-in and pairing

    /** Starts the panel's flow; a new account is created first (the flow signs in an account that exists). */
    async #beginFlow(kind) {
        if (!this.#current) {
            if (this.#busy) return;
            const draft = this.#read();
            if (!this.#checked(draft)) return;
            this.#setBusy(true);
            try {
                await this.#create(draft, (account) => `Created ${account.displayName}; now ${kind === 'pairing' ? 'pair it' : 'sign in'}`);
            } catch (error) {
                duplicateId(error);
                this.#showProblem(error, { retry: false });
                return;
            } finally {
                this.#setBusy(false);
            }
        }
        this.#method.begin(kind);
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
        render(this.querySelector('.account-editor__accounts'), accountPicker(this.accounts, this.#current));
        this.#status.show(fresh);
        this.querySelector('account-credential').account = fresh;
        this.#method.showStored(fresh);
        this.#oauthUse.show(fresh);
        announce(category === 'insufficient_scope'
            ? `Signed in ${fresh.displayName}, but a permission is missing` : `Connected ${fresh.displayName}`);
        this.#changed(fresh);
        if (!tested && category !== 'insufficient_scope') this.#status.test();
        else this.#models.load();
    }

    // MARK: Saving

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
            authMethod: this.#method.chosen,
            baseUrl: text('baseUrl') || null,
            headers: this.#advanced.headers(),
            maxConcurrent: number('maxConcurrent'),
            timeoutSeconds: number('timeoutSeconds'),
            defaultModel: this.#models.manual || text('defaultModel') || null,
            credential: this.querySelector('account-credential').read(),
        };
    }

    /** Clears the problems shown; for a new account, checks its name first and says what is wrong. */
    #checked(draft) {
        this.#showProblem(null);
        const local = this.#current ? [] : checkNewAccount(this.provider, this.accounts, draft.name);
        if (!local.length) return true;
        this.#showProblem({ title: 'Not connected yet', detail: 'Fix the marked fields and try again.', errors: local, status: 422 });
        return false;
    }

    /** Saves what the form holds; on failure everything typed stays where it is (Try again saves it again). */
    async #save() {
        if (this.#busy) return;
        if (!this.#current && this.#method.flowShown) {
            this.#beginFlow(flowKind(this.#method.chosen));
            return;
        }
        const draft = this.#read();
        if (!this.#checked(draft)) return;
        this.#setBusy(true);
        try {
            if (this.#current) await this.#update(draft);
            else await this.#create(draft);
        } catch (error) {
            if (!this.#current) duplicateId(error);
            this.#showProblem(error, { retry: true });
        } finally {
            this.#setBusy(false);
        }
    }

    async #create(draft, message = (account) => `Connected ${account.displayName}`) {
        const account = await api.createAccount(createInput(this.provider, draft));
        this.#accepted(account, message(account));
    }

    /** PATCH the changed fields (with the account's ETag), then PUT the credential if one was typed. */
    async #update(draft) {
        let account = this.#current;
        const patch = accountPatch(account, draft);
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
                if (Object.keys(patch).length) this.#changed(this.#current);
                throw error;
            }
        }
        const what = draft.credential ? `Saved ${account.displayName}; the new ${secretNouns[draft.credential.kind]} is stored` : `Saved ${account.displayName}`;
        this.#accepted(account, what);
    }

    /** After a 412: read the account again and show it, keeping what the user changed. */
    async #changedElsewhere() {
        const before = this.#current;
        const draft = this.#read();
        const fresh = await api.account(before.id);
        const overlay = {
            credentialInputs: this.querySelector('account-credential').values(),
            advancedOpen: this.#advanced.open,
            ...changedSettings(before, draft),
        };
        this.#replace(fresh);
        this.#renderAll(overlay);
        this.querySelector('[data-op="save"]')?.focus();
        this.#changed(fresh);
    }

    #accepted(account, message) {
        this.#replace(account);
        const advancedOpen = this.#advanced.open;
        this.#renderAll(advancedOpen ? { advancedOpen } : null);
        this.querySelector('[data-op="save"]')?.focus();
        announce(message);
        this.#changed(account);
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
        if (!await confirmDisconnect(this.provider, account, impact)) return;
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
        this.#show(this.accounts.find((a) => a.id === impact.takeover?.id) ?? this.accounts[0]);
        this.focusHeading();
    }

    // MARK: Problems

    /** The messages box and controls of the field at `pointer`, or null when no field has it. */
    #field(pointer) {
        const keys = segments(pointer);
        if (keys[0] === 'headers' && keys.length === 2) return this.#advanced.headerField(keys[1]);
        const box = this.querySelector(`[data-messages="${CSS.escape(pointer)}"]`);
        if (!box) return null;
        const controls = keys[0] === 'credential' && keys.length === 2
            ? [...this.querySelectorAll(`[data-cred="${CSS.escape(keys[1])}"]`)]
            : pointer === '/defaultModel' && this.#models.manual ? [this.querySelector('[data-field="manualModel"]')]
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

    /** A refused reveal, copy, impact read or delete: in the banner (nothing to retry by itself). */
    #requestProblem(error) {
        this.#showProblem({ title: error.title, detail: error.detail, status: error.status, errors: [] });
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
            this.#show(null);
            this.querySelector('[data-field="displayName"]')?.focus();
            break;
        case 'add-header':
            this.#advanced.addHeader();
            break;
        case 'remove-header':
            this.#advanced.removeHeader(button);
            break;
        case 'models-retry':
            this.#models.load();
            break;
        case 'models-refresh':
            this.#models.refresh(button);
            break;
        case 'test':
            this.#status.test();
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
            this.#show(this.accounts.find((a) => a.id === target.value) ?? null);
            this.querySelector('[data-op="pick"]')?.focus();
        } else if (target.matches('[data-field="authMethod"]') && target.checked) {
            this.#method.show(target.value);
        } else if (target.matches('[data-op="allow-direct"]')) {
            this.#allowDirect(target);
        }
    }
}

customElements.define('account-editor', AccountEditor);
