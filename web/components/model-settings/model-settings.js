import { announce } from '../../lib/announce.js';
import { catalogData, tokens } from '../../lib/catalog-data.js';
import { fieldId, messages, readControl, writeControl } from '../../lib/fields.js';
import { html, render } from '../../lib/html.js';
import { modelEntryPointer } from '../model-picker/model-picker.js';
import '../model-picker/model-picker.js';

const base = '/agents/defaults/models';
const aliasPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const known = new Set(['temperature', 'maxTokens']);

/**
 * Default Models › Advanced › Model settings: for each model in `agents.defaults.models`, its alias, Creativity,
 * Response length and other provider parameters (a JSON object), checked as they are typed and again by the
 * server when saved. "+ Add model settings" picks a model from the catalog; Remove deletes its entry.
 * Set `entries` (the document's `agents.defaults.models`), `dirty` and `hints` from the card.
 */
export class ModelSettings extends HTMLElement {
    hints = {};
    #entries = {};
    #keys = '';
    #picked = null;
    // Rows added on this page that hold nothing yet: an empty entry is not kept by the server, so the row stays
    // here until one of its fields is saved.
    #local = new Set();

    constructor() {
        super();
        this.addEventListener('input', (event) => this.#check(event.target));
        this.addEventListener('input', (event) => this.#onExtra(event));
        this.addEventListener('click', (event) => this.#onClick(event));
        this.addEventListener('model-picked', (event) => { event.stopPropagation(); this.#picked = event.detail; });
    }

    connectedCallback() {
        if (this.firstElementChild) return;
        const hint = this.hints[base] ?? {};
        render(this, html`
            <fieldset class="field model-settings" aria-describedby="model-settings-help ${fieldId(base)}-messages">
                <legend>${hint.label ?? 'Model settings'}</legend>
                <p class="field__help" id="model-settings-help">${hint.help ?? ''}</p>
                <div class="model-settings__rows"></div>
                <div class="model-settings__add" data-own-events>
                    <div data-add-picker></div>
                    <button type="button" class="button" data-action="add-model-settings">+ Add model settings</button>
                    <p class="field__error" data-add-problem hidden></p>
                </div>
                ${messages(base)}
            </fieldset>`);
        const picker = document.createElement('model-picker');
        picker.dataset.id = 'model-settings-add';
        picker.label = 'Model to configure';
        this.querySelector('[data-add-picker]').replaceWith(picker);
    }

    /** Shows the entries; rows are made again only when the set of models changes. */
    show(entries, dirty) {
        this.#entries = entries ?? {};
        for (const key of Object.keys(this.#entries)) this.#local.delete(key);
        const keys = this.#allKeys().join('\n');
        if (keys !== this.#keys || !this.querySelector('.model-settings__row') !== !keys) {
            this.#keys = keys;
            this.#renderRows();
        }
        for (const element of this.querySelectorAll('[data-pointer]')) {
            if (!dirty.has(element.dataset.pointer)) writeControl(element, this.#valueAt(element.dataset.pointer), this.hints);
        }
        for (const area of this.querySelectorAll('[data-extra-for]')) {
            if (document.activeElement === area || area.getAttribute('aria-invalid') === 'true') continue;
            const params = this.#entries[area.dataset.model]?.params ?? {};
            const extra = Object.fromEntries(Object.entries(params).filter(([k]) => !known.has(k)));
            area.value = Object.keys(extra).length ? JSON.stringify(extra, null, 2) : '';
        }
    }

    #allKeys() {
        return [...new Set([...Object.keys(this.#entries), ...this.#local])].sort();
    }

    #valueAt(pointer) {
        const rest = pointer.slice(base.length + 1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
        let node = this.#entries;
        for (const key of rest) node = node?.[key];
        return node;
    }

    async #renderRows() {
        const rows = this.querySelector('.model-settings__rows');
        const keys = this.#allKeys();
        let data = null;
        try {
            data = await catalogData();
        } catch {
            // Without the catalog the rows show no maximum.
        }
        render(rows, html`${keys.length ? keys.map((reference) => {
            const entry = modelEntryPointer(reference);
            const model = data?.byReference.get(reference);
            const max = model?.capabilities?.maxOutputTokens;
            const id = fieldId(entry);
            return html`
                <section class="model-settings__row" data-model="${reference}" aria-labelledby="${id}-title">
                    <h4 id="${id}-title" class="model-settings__title"><code>${reference}</code>
                        ${this.#entries[reference]?.manual ? html`<span class="badge">manual</span>` : ''}
                        ${model ? html`<span class="muted model-settings__facts">${model.name}${max ? ` · up to ${tokens(max)} out` : ''}</span>` : ''}</h4>
                    <div class="field-row">
                        ${this.#input(`${entry}/alias`, 'Alias', { type: 'text', placeholder: 'sonnet' })}
                        ${this.#input(`${entry}/params/temperature`, 'Creativity', { type: 'number', min: 0, max: 2, step: 0.05 })}
                        ${this.#input(`${entry}/params/maxTokens`, 'Response length', { type: 'number', min: 1, max: max ?? 1000000, step: 1, unit: 'tokens' })}
                    </div>
                    <div class="field">
                        <label for="${id}-extra">Other parameters (JSON object)</label>
                        <p class="field__help" id="${id}-extra-help">Passed to the provider as they are, for example {"top_p": 0.9}.</p>
                        <textarea id="${id}-extra" rows="2" data-extra-for data-model="${reference}" spellcheck="false"
                                  aria-describedby="${id}-extra-help ${id}-extra-check ${fieldId(`${entry}/params`)}-messages"></textarea>
                        <p class="field__error" id="${id}-extra-check" data-local-check hidden></p>
                        ${messages(`${entry}/params`)}
                    </div>
                    <p><button type="button" class="button button--small" data-action="remove-model-settings"
                               data-model="${reference}" aria-describedby="${id}-title">Remove</button></p>
                    ${messages(entry)}
                </section>`;
        }) : html`<p class="muted model-settings__empty">No model has settings of its own yet.</p>`}`);
        for (const element of rows.querySelectorAll('[data-pointer]')) writeControl(element, this.#valueAt(element.dataset.pointer), this.hints);
        this.show(this.#entries, new Set());
        this.dispatchEvent(new CustomEvent('model-settings-rendered', { bubbles: true }));
    }

    #input(pointer, label, { type, min, max, step, placeholder = '', unit = '' }) {
        const id = fieldId(pointer);
        return html`
            <div class="field">
                <label for="${id}">${label}</label>
                <span class="field__with-unit">
                    <input id="${id}" type="${type}" data-pointer="${pointer}" data-kind="${type === 'number' ? 'number' : 'text'}"
                           ${type === 'number' ? html`inputmode="decimal" min="${min}" max="${max}" step="${step}"` : html`autocomplete="off" spellcheck="false" placeholder="${placeholder}"`}
                           aria-describedby="${id}-check ${id}-messages">
                    ${unit ? html`<span class="field__unit">${unit}</span>` : ''}
                </span>
                <p class="field__error" id="${id}-check" data-local-check hidden></p>
                ${messages(pointer)}
            </div>`;
    }

    /** The checks a value can fail before the server sees it, shown under the field as it is typed. */
    #check(element) {
        if (!element.matches?.('[data-pointer]')) return;
        const value = readControl(element, this.hints);
        const pointer = element.dataset.pointer;
        let problem = null;
        if (pointer.endsWith('/alias') && value !== null) {
            if (!aliasPattern.test(value)) problem = 'An alias is 1–64 letters, digits, dots, dashes or underscores, starting with a letter or digit (no slash).';
            else {
                const mine = element.closest('[data-model]').dataset.model;
                const clash = Object.entries(this.#entries).find(([ref, e]) => ref !== mine && e?.alias?.toLowerCase() === value.toLowerCase());
                if (clash) problem = `${clash[0]} already has the alias ${value}.`;
            }
        } else if (element.type === 'number' && value !== null) {
            const min = Number(element.min);
            const max = Number(element.max);
            if (!Number.isFinite(value)) problem = 'Type a number.';
            else if (value < min || value > max) problem = `Must be from ${min} to ${max}.`;
            else if (pointer.endsWith('/maxTokens') && !Number.isInteger(value)) problem = 'Must be a whole number.';
        }
        this.#say(element, problem);
    }

    #say(element, problem) {
        const box = element.closest('.field').querySelector('[data-local-check]');
        box.textContent = problem ?? '';
        box.hidden = !problem;
        if (problem) element.setAttribute('aria-invalid', 'true');
        else element.removeAttribute('aria-invalid');
    }

    #onExtra(event) {
        const area = event.target;
        if (!area.matches?.('[data-extra-for]')) return;
        const reference = area.dataset.model;
        let extra = {};
        const text = area.value.trim();
        if (text) {
            try {
                extra = JSON.parse(text);
            } catch {
                this.#say(area, 'Not JSON yet: an object such as {"top_p": 0.9}.');
                return;
            }
            if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) {
                this.#say(area, 'Must be a JSON object such as {"top_p": 0.9}.');
                return;
            }
            const clash = Object.keys(extra).find((k) => known.has(k));
            if (clash) {
                this.#say(area, `${clash} has its own field above.`);
                return;
            }
        }
        this.#say(area, null);
        const entry = modelEntryPointer(reference);
        const saved = this.#entries[reference]?.params ?? {};
        for (const name of Object.keys(saved)) {
            if (!known.has(name) && !(name in extra)) this.#emit(`${entry}/params/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`, null);
        }
        for (const [name, value] of Object.entries(extra)) {
            this.#emit(`${entry}/params/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`, value);
        }
    }

    #emit(pointer, value) {
        this.dispatchEvent(new CustomEvent('settings-change', { bubbles: true, detail: { pointer, value } }));
    }

    #onClick(event) {
        const button = event.target.closest('button[data-action]');
        if (!button) return;
        if (button.dataset.action === 'add-model-settings') {
            const picker = this.querySelector('.model-settings__add model-picker');
            const problem = this.querySelector('[data-add-problem]');
            const reference = this.#picked?.reference ?? picker.value;
            if (!reference) {
                problem.textContent = 'Choose a provider and a model first.';
                problem.hidden = false;
                picker.querySelector('select:not(:disabled)')?.focus();
                return;
            }
            problem.hidden = true;
            if (this.#entries[reference] || this.#local.has(reference)) {
                this.querySelector(`[data-model="${CSS.escape(reference)}"] input`)?.focus();
                return;
            }
            if (this.#picked?.manual) this.#emit(`${modelEntryPointer(reference)}/manual`, true);
            this.#picked = null;
            picker.reset();
            this.#local.add(reference);
            this.#keys = '';
            this.show(this.#entries, new Set());
            this.addEventListener('model-settings-rendered', () => {
                this.querySelector(`[data-model="${CSS.escape(reference)}"] input`)?.focus();
            }, { once: true });
            announce(`Settings for ${reference} added`);
        } else if (button.dataset.action === 'remove-model-settings') {
            const reference = button.dataset.model;
            if (this.#entries[reference]) this.#emit(modelEntryPointer(reference), null);
            this.#local.delete(reference);
            const { [reference]: _, ...rest } = this.#entries;
            this.#entries = rest;
            this.#keys = '';
            this.show(this.#entries, new Set());
            this.addEventListener('model-settings-rendered', () => {
                this.querySelector('[data-action="add-model-settings"]')?.focus();
            }, { once: true });
            announce(`Settings for ${reference} removed`);
        }
    }
}

customElements.define('model-settings', ModelSettings);
