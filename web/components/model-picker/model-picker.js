import { catalogData, modelFacts, sourceLabels, takesImages } from '../../lib/catalog-data.js';
import { expertMode, manualProblem } from '../../lib/expert-mode.js';
import { fieldId, messages } from '../../lib/fields.js';
import { html, render } from '../../lib/html.js';

/** `provider/model` → the pointer of its entry under agents.defaults.models (`/` escaped as `~1`). */
export function modelEntryPointer(reference, base = '/agents/defaults/models') {
    return `${base}/${reference.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/**
 * A model chosen from the catalog: the provider first (connected ones first, the rest marked "not connected"
 * with a Connect link), then one of its models, each option with its context window, max output, price and
 * source. In Expert Mode an id can be typed (saved with `manual: true`). `images` offers only models that take
 * images. Set `pointer`, `label`, `help`, `images`, `inherit` (an empty choice) before it connects; `value`
 * any time. With a `pointer`, a choice fires `settings-change` (a manual or discovered-only id first sets its
 * `manual` entry); without one (`standalone`), it fires `model-picked` (detail: {reference, manual}).
 */
export class ModelPicker extends HTMLElement {
    pointer = '';
    label = 'Model';
    help = '';
    images = false;
    inherit = false;
    inheritLabel = 'Not set';
    #value = null;
    #data = null;
    #provider = '';

    constructor() {
        super();
        this.addEventListener('change', (event) => this.#onChange(event));
        this.addEventListener('click', (event) => this.#onClick(event));
        this.addEventListener('keydown', (event) => {
            if (event.key === 'Enter' && event.target.matches('[data-manual-input]')) {
                event.preventDefault();
                this.#useManual();
            }
        });
        this.onExpert = () => this.#showExpert();
        this.onCatalog = () => this.#load();
    }

    get value() { return this.#value; }

    set value(reference) {
        // The same value again (a refresh after another key saved) leaves a provider the user is choosing alone.
        if ((reference ?? null) === this.#value && this.querySelector('[data-picker="model"] option')) return;
        this.#value = reference ?? null;
        if (this.#value) this.#provider = this.#value.split('/')[0];
        else if (!this.standalone) this.#provider = '';
        this.#fill();
    }

    get standalone() { return !this.pointer; }

    #id(part) {
        return `${this.pointer ? fieldId(this.pointer) : this.dataset.id ?? 'picker'}-${part}`;
    }

    connectedCallback() {
        document.addEventListener('expert-mode', this.onExpert);
        document.addEventListener('catalog-changed', this.onCatalog);
        if (this.firstElementChild) return;
        const describedBy = [this.help ? this.#id('help') : null, this.#id('facts'), this.pointer ? `${fieldId(this.pointer)}-messages` : null]
            .filter(Boolean).join(' ');
        render(this, html`
            <fieldset class="field model-picker" data-own-events>
                <legend>${this.label}</legend>
                ${this.help ? html`<p class="field__help" id="${this.#id('help')}">${this.help}</p>` : ''}
                <div class="model-picker__row">
                    <div class="model-picker__part">
                        <label for="${this.#id('provider')}">Provider</label>
                        <select id="${this.#id('provider')}" data-picker="provider" aria-describedby="${describedBy}">
                            <option value="">Loading…</option>
                        </select>
                    </div>
                    <div class="model-picker__part model-picker__part--model">
                        <label for="${this.#id('model')}">Model</label>
                        <select id="${this.#id('model')}" data-picker="model" aria-describedby="${describedBy}"
                                ${this.pointer ? html`data-item-pointer="${this.pointer}"` : ''}></select>
                    </div>
                </div>
                <p class="model-picker__facts field__note" id="${this.#id('facts')}"></p>
                <p class="model-picker__connect" data-connect hidden></p>
                <div class="model-picker__manual" data-manual hidden>
                    <label for="${this.#id('manual')}">Manual model id <span class="badge">Expert Mode</span></label>
                    <span class="model-picker__manual-row">
                        <input id="${this.#id('manual')}" type="text" data-manual-input autocomplete="off" spellcheck="false"
                               placeholder="provider/model" aria-describedby="${this.#id('manual-problem')}">
                        <button type="button" class="button button--small" data-action="use-manual">Use this id</button>
                    </span>
                    <p class="field__error" id="${this.#id('manual-problem')}" data-manual-problem hidden></p>
                </div>
                ${this.pointer ? html`<p class="field__inherit" id="${fieldId(this.pointer)}-inherit" data-inherit-for="${this.pointer}"></p>` : ''}
                ${this.pointer ? messages(this.pointer) : ''}
            </fieldset>`);
        this.#showExpert();
        this.#load();
    }

    disconnectedCallback() {
        document.removeEventListener('expert-mode', this.onExpert);
        document.removeEventListener('catalog-changed', this.onCatalog);
    }

    async #load() {
        try {
            this.#data = await catalogData();
        } catch (error) {
            this.#data = null;
            const facts = this.querySelector('.model-picker__facts');
            if (facts) facts.textContent = `The catalog could not be loaded (${error.title}). Reload the page to try again.`;
            return;
        }
        this.#fill();
    }

    #models(providerId) {
        const models = this.#data?.modelsOf(providerId) ?? [];
        return this.images ? models.filter(takesImages) : models;
    }

    #fill() {
        const providerSelect = this.querySelector('[data-picker="provider"]');
        if (!providerSelect || !this.#data) return;
        const data = this.#data;
        const providers = data.orderedProviders().filter((p) => this.#models(p.id).length > 0 || p.id === this.#provider);
        const connected = providers.filter((p) => data.connected(p.id));
        const others = providers.filter((p) => !data.connected(p.id));
        const known = providers.some((p) => p.id === this.#provider);
        render(providerSelect, html`
            <option value="">${this.inherit ? 'Not set' : 'Choose a provider…'}</option>
            ${this.#provider && !known ? html`<option value="${this.#provider}">${this.#provider} (not in the catalog)</option>` : ''}
            ${connected.length ? html`<optgroup label="Connected">
                ${connected.map((p) => html`<option value="${p.id}">${p.name}</option>`)}
            </optgroup>` : ''}
            ${others.length ? html`<optgroup label="Not connected">
                ${others.map((p) => html`<option value="${p.id}">${p.name} (not connected)</option>`)}
            </optgroup>` : ''}`);
        providerSelect.value = this.#provider;
        this.#fillModels();
    }

    #fillModels() {
        const select = this.querySelector('[data-picker="model"]');
        const models = this.#provider ? this.#models(this.#provider) : [];
        const current = this.#value && this.#value.split('/')[0] === this.#provider ? this.#value : null;
        const listed = models.some((m) => m.reference === current);
        render(select, html`
            <option value="">${this.#provider ? 'Choose a model…' : '—'}</option>
            ${current && !listed ? html`<option value="${current}">${current.slice(this.#provider.length + 1)} — manual id</option>` : ''}
            ${models.map((m) => html`<option value="${m.reference}">${m.name} — ${modelFacts(m)}</option>`)}`);
        select.value = current ?? '';
        select.disabled = !this.#provider;
        this.#describe();
    }

    #describe() {
        const facts = this.querySelector('.model-picker__facts');
        const connect = this.querySelector('[data-connect]');
        const data = this.#data;
        const model = this.#value ? data?.byReference.get(this.#value) : null;
        if (model) {
            const reasons = model.capabilities?.reasoningEffort?.length ? ` · reasoning: ${model.capabilities.reasoningEffort.join(', ')}` : '';
            facts.textContent = `${model.reference}: ${modelFacts(model)}${reasons}${takesImages(model) ? ' · takes images' : ''}`;
        } else if (this.#value) {
            facts.textContent = `${this.#value}: ${sourceLabels.manual} id, not in the catalog`;
        } else {
            facts.textContent = '';
        }
        const provider = data?.providers.find((p) => p.id === this.#provider);
        if (provider && !data.connected(provider.id)) {
            render(connect, html`<span class="badge badge--warn">Not connected</span> ${provider.name} has no connected account yet.
                <a href="/settings?section=model-provider&amp;open=${encodeURIComponent(provider.id)}" data-connect-provider="${provider.id}">Connect ${provider.name}</a>`);
            connect.hidden = false;
        } else {
            connect.replaceChildren();
            connect.hidden = true;
        }
    }

    #showExpert() {
        const box = this.querySelector('[data-manual]');
        if (box) box.hidden = !expertMode();
    }

    #choose(reference, manual) {
        this.#value = reference;
        this.#describe();
        if (this.standalone) {
            this.dispatchEvent(new CustomEvent('model-picked', { bubbles: true, detail: { reference, manual } }));
            return;
        }
        if (reference && manual) this.#emit(`${modelEntryPointer(reference)}/manual`, true);
        this.#emit(this.pointer, reference);
    }

    #emit(pointer, value) {
        this.dispatchEvent(new CustomEvent('settings-change', { bubbles: true, detail: { pointer, value } }));
    }

    /** A model the catalog lacks (discovered only, or typed) needs `manual: true` for the server to take it. */
    #needsManual(reference) {
        const model = this.#data?.byReference.get(reference);
        return !model || model.source === 'discovered';
    }

    #onChange(event) {
        const picker = event.target.dataset?.picker;
        if (picker === 'provider') {
            this.#provider = event.target.value;
            this.#fillModels();
            if (this.standalone && this.#value) {
                // A standalone picker's choice goes with its provider.
                this.#value = null;
                this.#describe();
                this.dispatchEvent(new CustomEvent('model-picked', { bubbles: true, detail: { reference: null, manual: false } }));
            }
            if (!this.#provider && this.inherit && !this.standalone) this.#choose(null, false);
        } else if (picker === 'model') {
            const reference = event.target.value || null;
            if (!reference) return;
            this.#choose(reference, this.#needsManual(reference));
        }
    }

    #onClick(event) {
        if (event.target.closest('[data-action="use-manual"]')) {
            this.#useManual();
            return;
        }
        const link = event.target.closest('a[data-connect-provider]');
        if (link && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
            event.preventDefault();
            this.dispatchEvent(new CustomEvent('open-provider', { bubbles: true, detail: { provider: link.dataset.connectProvider } }));
        }
    }

    #useManual() {
        const input = this.querySelector('[data-manual-input]');
        const problem = this.querySelector('[data-manual-problem]');
        const text = input.value.trim();
        const refused = manualProblem(text);
        problem.textContent = refused ?? '';
        problem.hidden = !refused;
        if (refused) {
            input.setAttribute('aria-invalid', 'true');
            input.focus();
            return;
        }
        input.removeAttribute('aria-invalid');
        input.value = '';
        this.#provider = text.split('/')[0];
        this.#value = text;
        this.#fill();
        this.#choose(text, this.#needsManual(text));
    }

    /** Clears the choice (a standalone picker after its model was added). */
    reset() {
        this.#value = null;
        this.#fillModels();
    }
}

customElements.define('model-picker', ModelPicker);
