import { api } from '../../api.js';
import { announce } from '../../lib/announce.js';
// fields.js keeps a switch's aria-checked in step with its state on every change (a document-wide listener).
import '../../lib/fields.js';
import { html, render, withCode } from '../../lib/html.js';

function summary(values) {
    const entries = Object.entries(values ?? {});
    return entries.length ? entries.map(([k, v]) => `${k} ${v}`).join(', ') : 'CLI defaults';
}

/** argv as a shell would need it typed, for reading (the runtime gets the list, never a shell line). */
function shellLine(argv) {
    return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function rangeText(p) {
    if (p.minimum !== undefined && p.maximum !== undefined) return `${p.minimum} to ${p.maximum}`;
    if (p.minimum !== undefined) return `at least ${p.minimum}`;
    if (p.maximum !== undefined) return `at most ${p.maximum}`;
    return '';
}

/**
 * Model selections: a CLI model with typed parameter values (enum → choices, boolean → switch, number → a field
 * with its range, string → text) and the accounts it balances across; Save & Test stores it and shows the command
 * a runtime would run. Set `data` to `{tools, models}` (models by CLI name, as `api.cliModels` answers).
 */
export class CLISelections extends HTMLElement {
    #tools = [];
    #models = {};
    #selections = [];
    #editing = null;
    #open = false;

    set data({ tools, models }) {
        this.#tools = tools;
        this.#models = models;
        if (!this.firstElementChild) {
            this.addEventListener('click', (event) => this.#onClick(event));
            this.addEventListener('submit', (event) => this.#onSubmit(event));
            this.addEventListener('change', (event) => {
                if (event.target.matches('[data-sel="model"]')) this.#renderModelParts(event.target.value, {});
            });
        }
        this.#load();
    }

    async #load() {
        try {
            this.#selections = (await api.cliSelections()).selections;
        } catch (error) {
            render(this, html`<div class="card error" role="alert"><p class="error__title">The selections could not be loaded: ${error.title}</p></div>`);
            return;
        }
        this.#render();
    }

    #references() {
        const groups = [];
        for (const tool of this.#tools) {
            const models = this.#models[tool.name]?.models ?? [];
            if (models.length) groups.push({ tool, models });
        }
        return groups;
    }

    #model(reference) {
        const name = reference.split('/')[0];
        return (this.#models[name]?.models ?? []).find((m) => m.reference === reference) ?? null;
    }

    #render() {
        const rows = this.#selections;
        render(this, html`
            <section class="card cli-selections" aria-labelledby="cli-selections-title">
                <h3 id="cli-selections-title">Model selections</h3>
                <p class="muted">A CLI model with its settings and the accounts it balances across. A runtime asks for one by name
                    (<code>POST /api/route {"selection": …}</code>) and gets the command to run.</p>
                ${rows.length ? html`
                    <div class="table-wrap" tabindex="0" role="region" aria-labelledby="cli-selections-title">
                        <table class="data-table">
                            <thead><tr><th scope="col">Name</th><th scope="col">Model</th><th scope="col">Settings</th>
                                <th scope="col">Accounts</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
                            <tbody>${rows.map((s) => html`
                                <tr data-selection="${s.name}">
                                    <th scope="row" class="cli-selections__name"><code>${s.name}</code></th>
                                    <td><code>${s.model}</code></td>
                                    <td>${summary(s.parameterValues)}</td>
                                    <td>${s.accounts.length ? s.accounts.join(', ') : html`<span class="muted">all of ${s.tool}</span>`}</td>
                                    <td class="cli-selections__actions">
                                        <button type="button" class="button button--small" data-op="edit-selection" data-name="${s.name}">Edit<span class="visually-hidden"> ${s.name}</span></button>
                                        <button type="button" class="button button--small button--danger" data-op="delete-selection" data-name="${s.name}">Delete<span class="visually-hidden"> ${s.name}</span></button>
                                    </td>
                                </tr>`)}</tbody>
                        </table>
                    </div>` : html`<p class="empty-state">No selections yet.</p>`}
                <div data-sel-form-slot>
                    ${this.#open ? '' : html`<p><button type="button" class="button" data-op="new-selection"
                        ${this.#references().length ? '' : 'disabled'}>New selection</button>
                        ${this.#references().length ? '' : html`<span class="muted">Install a CLI (and Scan) to choose its models.</span>`}</p>`}
                </div>
            </section>`);
        if (this.#open) this.#renderForm();
    }

    #renderForm() {
        const s = this.#editing;
        const references = this.#references();
        const model = s?.model ?? references[0]?.models[0]?.reference ?? '';
        const slot = this.querySelector('[data-sel-form-slot]');
        render(slot, html`
            <form class="cli-selection-form" data-sel-form novalidate aria-labelledby="cli-sel-form-title">
                <h4 id="cli-sel-form-title">${s ? html`Edit <code>${s.name}</code>` : 'New selection'}</h4>
                <div class="field" data-field="/model">
                    <label for="cli-sel-model">Model</label>
                    <select id="cli-sel-model" data-sel="model">
                        ${references.map((g) => html`<optgroup label="${g.tool.displayName}">
                            ${g.models.map((m) => html`<option value="${m.reference}" ${m.reference === model ? 'selected' : ''}>${m.name} (${m.id})</option>`)}
                        </optgroup>`)}
                    </select>
                    <div class="field__messages" data-messages="/model"></div>
                </div>
                <div class="field" data-field="/name">
                    <label for="cli-sel-name">Name</label>
                    <input id="cli-sel-name" type="text" data-sel="name" value="${s?.name ?? ''}" ${s ? 'readonly' : ''}
                           placeholder="claude-sonnet-4~high" aria-describedby="cli-sel-name-help" autocomplete="off" spellcheck="false">
                    <p class="field__help muted" id="cli-sel-name-help">Letters, digits, <code>.</code>, <code>-</code> and <code>_</code>; a
                        <code>~facet</code> groups variants of one model (<code>codex-max~high</code>, <code>codex-max~low</code>).</p>
                    <div class="field__messages" data-messages="/name"></div>
                </div>
                <div data-sel-parts></div>
                <fieldset class="group" data-field="/promptMode">
                    <legend>The prompt goes</legend>
                    <div class="segmented">
                        <label class="segmented__option"><input type="radio" name="cli-sel-prompt" value="stdin" data-sel="prompt"
                            ${s?.promptMode === 'arg' ? '' : 'checked'}> On standard input</label>
                        <label class="segmented__option"><input type="radio" name="cli-sel-prompt" value="arg" data-sel="prompt"
                            ${s?.promptMode === 'arg' ? 'checked' : ''}> As an argument</label>
                    </div>
                    <div class="field__messages" data-messages="/promptMode"></div>
                </fieldset>
                <div class="error" role="alert" data-sel-problem hidden></div>
                <p class="cli-selection-form__actions">
                    <button type="submit" class="button button--primary">Save &amp; Test</button>
                    <button type="button" class="button" data-op="close-selection">${s ? 'Close' : 'Cancel'}</button>
                </p>
                <div data-sel-result role="status"></div>
            </form>`);
        this.#renderModelParts(model, s?.model === model ? s.parameterValues : {}, s?.accounts ?? []);
    }

    /** The parameters and accounts of `reference`'s CLI, with `values` and `accounts` filled in. */
    #renderModelParts(reference, values, accounts = []) {
        const model = this.#model(reference);
        const tool = this.#tools.find((t) => t.name === reference.split('/')[0]);
        const slot = this.querySelector('[data-sel-parts]');
        if (!slot) return;
        const params = model?.parameters ?? [];
        render(slot, html`
            ${params.length ? html`<fieldset class="group cli-params"><legend>Settings for ${model.name}</legend>
                ${params.map((p) => this.#control(p, values[p.name]))}</fieldset>` : html`<p class="muted">${model ? `${model.name} takes no settings.` : ''}</p>`}
            <fieldset class="group" data-field="/accounts">
                <legend>Load balance across</legend>
                ${tool?.accounts.length ? html`
                    <p class="field__help muted">None checked: every account of ${tool.displayName}.</p>
                    ${tool.accounts.map((a) => html`
                        <label class="cli-account-choice"><input type="checkbox" value="${a.id}" data-sel="account" ${accounts.includes(a.id) ? 'checked' : ''}>
                            ${a.displayName} <code>${a.id}</code> <span class="muted">· ${a.auth.status === 'signed_in' ? 'signed in' : a.auth.status === 'signed_out' ? 'not signed in' : 'sign-in unknown'}</span></label>`)}`
                    : html`<p class="muted">${tool ? `${tool.displayName} has no accounts yet: add one above.` : ''}</p>`}
                <div class="field__messages" data-messages="/accounts"></div>
            </fieldset>`);
    }

    #control(p, value) {
        const id = `cli-param-${p.name}`;
        const pointer = `/parameterValues/${p.name}`;
        const help = p.description ? html`<p class="field__help muted" id="${id}-help">${p.description}</p>` : '';
        const messages = html`<div class="field__messages" data-messages="${pointer}"></div>`;
        if (p.type === 'enum') {
            const current = value ?? '';
            return html`
                <fieldset class="group cli-param" data-field="${pointer}" data-param="${p.name}" data-type="enum" ${p.description ? html`aria-describedby="${id}-help"` : ''}>
                    <legend>${p.label}</legend>${help}
                    <div class="segmented">
                        <label class="segmented__option"><input type="radio" name="${id}" value="" ${current === '' ? 'checked' : ''}>
                            CLI default${p.default !== null && p.default !== undefined && p.default !== 'default' ? html` <span class="segmented__value">(${p.default})</span>` : ''}</label>
                        ${(p.options ?? []).map((o) => html`
                            <label class="segmented__option" ${o.description ? html`title="${o.description}"` : ''}><input type="radio" name="${id}" value="${o.value}"
                                ${current === o.value ? 'checked' : ''}> ${o.label}</label>`)}
                    </div>${messages}
                </fieldset>`;
        }
        if (p.type === 'boolean') {
            const on = value ?? p.default ?? false;
            return html`
                <div class="field field--switch cli-param" data-field="${pointer}" data-param="${p.name}" data-type="boolean" data-default="${String(p.default ?? false)}">
                    <input id="${id}" type="checkbox" role="switch" aria-checked="${on ? 'true' : 'false'}" ${on ? 'checked' : ''} ${p.description ? html`aria-describedby="${id}-help"` : ''}>
                    <label for="${id}">${p.label}</label>${help}${messages}
                </div>`;
        }
        const range = p.type === 'number' ? rangeText(p) : '';
        return html`
            <div class="field cli-param" data-field="${pointer}" data-param="${p.name}" data-type="${p.type}">
                <label for="${id}">${p.label}</label>
                <input id="${id}" type="${p.type === 'number' ? 'number' : 'text'}" value="${value ?? ''}" placeholder="CLI default"
                    ${p.type === 'number' && p.minimum !== undefined ? html`min="${p.minimum}"` : ''}
                    ${p.type === 'number' && p.maximum !== undefined ? html`max="${p.maximum}"` : ''}
                    ${p.type === 'number' ? html`step="${p.integer ? '1' : 'any'}" inputmode="${p.integer ? 'numeric' : 'decimal'}"` : ''}
                    ${p.type === 'string' && p.maxLength ? html`maxlength="${p.maxLength}"` : ''}
                    aria-describedby="${id}-help">
                <p class="field__help muted" id="${id}-help">${p.description ?? ''}${range ? ` (${range})` : ''}</p>${messages}
            </div>`;
    }

    #values() {
        const values = {};
        for (const part of this.querySelectorAll('[data-param]')) {
            const name = part.dataset.param;
            if (part.dataset.type === 'enum') {
                const checked = part.querySelector('input:checked')?.value ?? '';
                if (checked) values[name] = checked;
            } else if (part.dataset.type === 'boolean') {
                const on = part.querySelector('input').checked;
                if (String(on) !== part.dataset.default) values[name] = on;
            } else {
                const raw = part.querySelector('input').value.trim();
                if (raw === '') continue;
                if (part.dataset.type === 'number') {
                    const n = Number(raw);
                    values[name] = Number.isFinite(n) ? n : raw;
                } else {
                    values[name] = raw;
                }
            }
        }
        return values;
    }

    #showProblems(error) {
        for (const box of this.querySelectorAll('[data-messages]')) box.replaceChildren();
        for (const control of this.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
        const banner = this.querySelector('[data-sel-problem]');
        const unplaced = [];
        let first = null;
        for (const issue of error.errors ?? []) {
            const pointer = issue.pointer ?? '';
            const key = pointer.startsWith('/accounts') ? '/accounts' : pointer;
            const box = this.querySelector(`[data-messages="${CSS.escape(key)}"]`);
            if (!box) { unplaced.push(issue); continue; }
            const p = document.createElement('p');
            p.className = 'field__error';
            p.textContent = issue.message;
            box.append(p);
            const field = box.closest('[data-field]');
            for (const control of field.querySelectorAll('input, select')) control.setAttribute('aria-invalid', 'true');
            first ??= field.querySelector('input:not([type=radio]), select, input');
        }
        banner.hidden = false;
        const count = (error.errors ?? []).length;
        const title = count ? `${count === 1 ? '1 field needs' : `${count} fields need`} a fix; nothing was saved.` : error.title;
        render(banner, html`<p class="error__title">${title}</p>${error.detail ? html`<p>${withCode(error.detail)}</p>` : ''}
            ${unplaced.map((i) => html`<p>${i.pointer}: ${i.message}</p>`)}`);
        first?.focus();
    }

    async #onSubmit(event) {
        const form = event.target.closest('[data-sel-form]');
        if (!form) return;
        event.preventDefault();
        const input = {
            model: form.querySelector('[data-sel="model"]').value,
            parameterValues: this.#values(),
            accounts: [...form.querySelectorAll('[data-sel="account"]:checked')].map((c) => c.value),
            promptMode: form.querySelector('[data-sel="prompt"]:checked')?.value ?? 'stdin',
        };
        const name = form.querySelector('[data-sel="name"]').value.trim();
        if (!this.#editing) input.name = name;
        const result = form.querySelector('[data-sel-result]');
        result.textContent = 'Saving…';
        let saved;
        try {
            saved = await api.saveCLISelection(input, this.#editing?.name ?? null);
        } catch (error) {
            result.textContent = '';
            this.#showProblems(error);
            return;
        }
        for (const box of this.querySelectorAll('[data-messages]')) box.replaceChildren();
        for (const control of this.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
        form.querySelector('[data-sel-problem]').hidden = true;
        this.#editing = saved;
        const index = this.#selections.findIndex((s) => s.name === saved.name);
        if (index >= 0) this.#selections[index] = saved; else this.#selections.push(saved);
        announce(`Saved ${saved.name}`);
        // Test: the command a decision for it would carry, for its first account.
        let preview = null;
        let problem = null;
        try {
            preview = await api.previewCLISelection(saved.name);
        } catch (error) {
            problem = error;
        }
        this.#render();
        const fresh = this.querySelector('[data-sel-result]');
        render(fresh, preview ? html`
            <div class="notice notice--ok" data-sel-command>
                <p><span aria-hidden="true">✓ </span>Saved <code>${saved.name}</code>. A runtime routed to <code>${preview.account}</code> runs:</p>
                <pre tabindex="0" data-sel-argv>${shellLine(preview.command.argv)}</pre>
                <p class="muted">With ${Object.keys(preview.command.env).sort().join(', ')} set; the prompt
                    ${preview.command.stdinPrompt ? 'on standard input' : 'in place of {prompt}'}. No token leaves the CLI.</p>
            </div>` : html`
            <div class="notice" data-sel-command>
                <p>Saved <code>${saved.name}</code>, but it cannot run yet: ${problem?.detail || problem?.title || 'no account'}.</p>
            </div>`);
        announce(preview ? `Saved ${saved.name}; tested with ${preview.account}` : `Saved ${saved.name}; it cannot run yet`);
    }

    async #onClick(event) {
        const button = event.target.closest('button[data-op]');
        if (!button) return;
        const op = button.dataset.op;
        if (op === 'new-selection') {
            this.#editing = null;
            this.#open = true;
            this.#render();
            this.querySelector('[data-sel="model"]')?.focus();
        } else if (op === 'edit-selection') {
            this.#editing = this.#selections.find((s) => s.name === button.dataset.name) ?? null;
            this.#open = true;
            this.#render();
            this.querySelector('[data-sel="model"]')?.focus();
        } else if (op === 'close-selection') {
            this.#open = false;
            this.#editing = null;
            this.#render();
            this.querySelector('[data-op="new-selection"]')?.focus();
        } else if (op === 'delete-selection') {
            const name = button.dataset.name;
            if (!window.confirm(`Delete the selection ${name}? Runtimes that ask for it get 422.`)) return;
            try {
                await api.deleteCLISelection(name);
                this.#selections = this.#selections.filter((s) => s.name !== name);
                if (this.#editing?.name === name) { this.#editing = null; this.#open = false; }
                this.#render();
                announce(`Deleted ${name}`);
            } catch (error) {
                announce(`${name} was not deleted: ${error.title}`);
            }
        }
    }
}

customElements.define('cli-selections', CLISelections);
