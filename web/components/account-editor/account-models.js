// The account editor's default model: the list to choose from (the saved account's, catalog and discovered, or
// the catalog's for a new account), Refresh models, and a model id typed by hand when no list could be had.

import { api } from '../../api.js';
import { announce } from '../../lib/announce.js';
import { html, render, withCode } from '../../lib/html.js';
import { relativeTimeTag } from './connection-test.js';

const sourceLabels = { catalog: 'In the catalog, not listed by the provider', discovered: 'Discovered from the provider' };

const fromCatalog = (models) => ({ models: (models ?? []).map((m) => ({ ...m, source: 'catalog' })), fetchedAt: null });

/**
 * The default-model field of one editor (`root`). `account()` is the account shown (null: a new one);
 * `reread(account)` reads it again after a refresh (a refresh is a connection test too). The lists outlive a
 * re-render of the form.
 */
export class AccountModels {
    #root;
    #account;
    #reread;
    // The catalog's models of the provider (a new account) and each saved account's list (GET …/models).
    #catalogModels = null;
    #accountModels = new Map();
    // A failed model refresh per account: {category, summary}, shown until a refresh succeeds.
    #refreshFailures = new Map();
    #problem = null;
    #busy = false;

    constructor(root, { account, reread }) {
        this.#root = root;
        this.#account = account;
        this.#reread = reread;
    }

    get #name() { return this.#root.provider.name; }

    #find(css) { return this.#root.querySelector(css); }

    /** The model chosen in the list (what is shown, not what is saved). */
    get selected() {
        return this.#find('[data-field="defaultModel"]')?.value ?? '';
    }

    /** A model id typed into the manual field (shown when the list could not be fetched), or ''. */
    get manual() {
        const box = this.#find('[data-models-manual]');
        return box && !box.hidden ? box.querySelector('input').value.trim() : '';
    }

    template(account) {
        return html`
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
                        instead of the choice above. Type it exactly as ${this.#name} names it.</p>
                    <input id="acct-manual-model" type="text" data-field="manualModel" autocomplete="off" spellcheck="false"
                           aria-describedby="acct-manual-model-help acct-default-model-messages">
                </div>
                <div class="field__messages" id="acct-default-model-messages" data-messages="/defaultModel"></div>
            </div>`;
    }

    /** A new form: shows the list with `selected` chosen and loads the current one. */
    start(selected) {
        this.#problem = null;
        this.show(selected);
        this.load();
    }

    /** The models list of what the editor shows: the saved account's (catalog and discovered), or the catalog's. */
    #list() {
        const account = this.#account();
        return account ? this.#accountModels.get(account.id) ?? null : this.#catalogModels;
    }

    /** Shows the list with `selected` chosen, when it was updated, and why it could not be had. */
    show(selected) {
        const select = this.#find('[data-field="defaultModel"]');
        if (!select) return;
        const account = this.#account();
        const list = this.#list();
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

        const updated = this.#find('[data-models-updated]');
        if (!account) updated.replaceChildren();
        else if (list?.fetchedAt) render(updated, html`Updated ${relativeTimeTag(list.fetchedAt)} from ${this.#name}.`);
        else if (list) render(updated, html`The list is the catalog’s; Refresh models asks ${this.#name} what this account can use.`);
        else updated.replaceChildren();

        const failure = account ? this.#refreshFailures.get(account.id) : null;
        const problem = this.#find('[data-models-problem]');
        // Rendering replaces the block: a Retry that had the focus (another load may land while it is shown)
        // keeps it, as the same button in the new block.
        const focusedOp = problem.contains(document.activeElement) ? document.activeElement.dataset?.op : null;
        if (failure) {
            render(problem, html`
                <div class="field__error account-models__problem" data-category="${failure.category ?? ''}">
                    <p id="acct-models-problem-text">The models could not be fetched from ${this.#name}: ${withCode(failure.summary)}</p>
                    <p><button type="button" class="button button--small" data-op="models-refresh"
                               aria-describedby="acct-models-problem-text">Retry</button>
                        <span class="muted">Or type the model id below.</span></p>
                </div>`);
        } else if (this.#problem) {
            render(problem, html`
                <div class="field__error account-models__problem">
                    <p id="acct-models-problem-text">The models of ${this.#name} could not be loaded: ${this.#problem.title}.</p>
                    <p><button type="button" class="button button--small" data-op="models-retry"
                               aria-describedby="acct-models-problem-text">Retry</button>
                        <span class="muted">Or type the model id below.</span></p>
                </div>`);
        } else {
            problem.replaceChildren();
        }
        if (focusedOp) {
            (problem.querySelector(`[data-op="${focusedOp}"]`) ?? this.#find('[data-field="defaultModel"]'))?.focus();
        }
        // Without a list to choose from, a model id can be typed; a typed one stays until it is cleared.
        const manual = this.#find('[data-models-manual]');
        manual.hidden = !(failure || this.#problem) && !manual.querySelector('input').value.trim();
    }

    /** The current list: the saved account's from GET …/models, a new account's from the catalog. */
    async load() {
        const account = this.#account();
        // Still the account shown (a re-read after a test replaces the object, not the account)?
        const shown = () => this.#root.isConnected && (this.#account()?.id ?? null) === (account?.id ?? null);
        if (!account && this.#catalogModels) return;
        try {
            if (account) {
                const list = await api.accountModels(account.id);
                this.#accountModels.set(account.id, list);
            } else {
                const { models } = await api.catalogProvider(this.#root.provider.id);
                this.#catalogModels = fromCatalog(models);
            }
            if (shown()) this.#problem = null;
        } catch (error) {
            if (!shown()) return;
            this.#problem = error;
            // The catalog's list is better than none.
            if (account && !this.#accountModels.has(account.id)) {
                try {
                    const { models } = await api.catalogProvider(this.#root.provider.id);
                    this.#accountModels.set(account.id, fromCatalog(models));
                } catch {
                    // The problem above is shown already.
                }
            }
        }
        if (shown()) this.show(this.selected);
    }

    /** Asks the provider for its models now; when that fails, says why next to Retry and offers a typed id. */
    async refresh(button) {
        const account = this.#account();
        if (!account || this.#busy) return;
        // Which button was pressed decides where the focus goes after (the pressed one is disabled meanwhile).
        const retrying = button.closest('[data-models-problem]') != null;
        const refreshing = !retrying;
        this.#setBusy(true);
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
        }
        if (failure) this.#refreshFailures.set(account.id, failure);
        else this.#refreshFailures.delete(account.id);
        // A refresh is a connection test too: the account's status follows. The buttons stay busy until the
        // outcome is shown, so that a second press cannot overtake the first one's result.
        try {
            if (list) await this.#reread(account);
        } finally {
            this.#setBusy(false);
        }
        if (!this.#root.isConnected || this.#account()?.id !== account.id) return;
        this.#problem = null;
        this.show(this.selected);
        // A disabled button loses the focus: give it back.
        if (refreshing && (document.activeElement === document.body || document.activeElement === null)) {
            this.#find('.account-models__row [data-op="models-refresh"]')?.focus();
        }
        if (failure) {
            announce(`The models could not be fetched: ${failure.summary}`);
            if (retrying) this.#find('[data-models-problem] [data-op="models-refresh"]')?.focus();
        } else {
            const count = list?.models?.filter((m) => m.source !== 'catalog').length ?? 0;
            announce(`${this.#name} offers ${count} ${count === 1 ? 'model' : 'models'}; the list is updated`);
            if (retrying) this.#find('[data-field="defaultModel"]')?.focus();
        }
    }

    #setBusy(busy) {
        this.#busy = busy;
        for (const button of this.#root.querySelectorAll('[data-op="models-refresh"]')) {
            button.disabled = busy;
            if (!button.closest('[data-models-problem]')) button.textContent = busy ? 'Refreshing…' : 'Refresh models';
        }
        this.#find('.account-models')?.setAttribute('aria-busy', String(busy));
    }
}
