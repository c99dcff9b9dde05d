import { api } from '../../api.js';
import { announce } from '../../lib/announce.js';
import { placeProblems } from '../../lib/fields.js';
import { html, render, withCode } from '../../lib/html.js';

const kinds = [
    { value: 'openai', label: 'OpenAI-compatible', description: 'Speaks OpenAI\'s chat completions (vLLM, LM Studio, LiteLLM, most hosted APIs).' },
    { value: 'anthropic', label: 'Anthropic-compatible', description: 'Speaks Anthropic\'s Messages API.' },
    { value: 'ollama', label: 'Ollama', description: 'A local or remote Ollama server; no key needed.' },
    { value: 'import', label: 'Import a Catwalk file', description: 'A provider file in Charmbracelet Catwalk\'s JSON format.' },
];

const idPattern = /^[a-z][A-Za-z0-9_-]{0,63}$/;

function slug(name) {
    const s = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').replace(/^[^a-z]+/, '');
    return s.slice(0, 64);
}

const emptyModel = () => ({ id: '', name: '', context: '', maxOutput: '', input: '', output: '', images: false, reasoning: false });

/**
 * "+ Add Provider": a custom provider (OpenAI-compatible, Anthropic-compatible or Ollama: a name, an endpoint,
 * models with their facts) or a Catwalk provider file, stored with PUT /api/catalog/custom/{id}. The server's
 * refusals show at their fields and the form keeps what was typed. Fires `provider-added` (detail: {provider})
 * and `editor-close`.
 */
export class AddProvider extends HTMLElement {
    #kind = 'openai';
    #models = [emptyModel()];
    #idTouched = false;
    #busy = false;

    constructor() {
        super();
        this.addEventListener('click', (event) => this.#onClick(event));
        this.addEventListener('change', (event) => this.#onChange(event));
        this.addEventListener('input', (event) => this.#onInput(event));
        this.addEventListener('submit', (event) => { event.preventDefault(); this.#save(); });
    }

    connectedCallback() {
        if (this.firstElementChild) return;
        render(this, html`
            <section class="add-provider" aria-labelledby="add-provider-title">
                <div class="account-editor__header">
                    <h4 id="add-provider-title" tabindex="-1">Add a provider</h4>
                    <button type="button" class="button button--small button--quiet" data-op="close-add">Close</button>
                </div>
                <form novalidate>
                    <fieldset class="field choices">
                        <legend>Kind</legend>
                        ${kinds.map((k, i) => html`
                            <label class="choice">
                                <input type="radio" name="add-provider-kind" value="${k.value}" ${i === 0 ? html`checked` : ''}
                                       aria-describedby="add-kind-${k.value}">
                                <span class="choice__text"><span class="choice__label">${k.label}</span>
                                <span class="choice__description" id="add-kind-${k.value}">${k.description}</span></span>
                            </label>`)}
                    </fieldset>
                    <div data-manual-part>
                        <div class="field-row">
                            ${this.#text('name', 'Name', '/name', { placeholder: 'My LLM server' })}
                            ${this.#text('id', 'Id', '/id', { placeholder: 'my-llm', help: 'Lower-case letters, digits, - and _; accounts are named id:name.' })}
                        </div>
                        ${this.#text('endpoint', 'Endpoint', '/api_endpoint', { placeholder: 'https://llm.example.com/v1', type: 'url', help: 'The API\'s base URL. Plain http only for hosts the server allows (--allow-insecure-host).' })}
                        <fieldset class="field add-provider__models" aria-describedby="add-models-help add-f-models-messages">
                            <legend>Models</legend>
                            <p class="field__help" id="add-models-help">Each model with its facts: they show in the pickers and the catalog. Prices are USD per million tokens.</p>
                            <div class="add-provider__model-rows"></div>
                            <button type="button" class="button button--small" data-op="add-model">+ Add model</button>
                            <div class="field__messages" id="add-f-models-messages" data-add-messages="/models"></div>
                        </fieldset>
                    </div>
                    <div data-import-part hidden>
                        <div class="field">
                            <label for="add-import-file">Catwalk provider file</label>
                            <p class="field__help" id="add-import-help">Choose a .json file, or paste its text below.</p>
                            <input id="add-import-file" type="file" accept=".json,application/json" aria-describedby="add-import-help">
                        </div>
                        <div class="field">
                            <label for="add-import-text">File contents</label>
                            <textarea id="add-import-text" rows="8" spellcheck="false" data-add-field="/file"
                                      aria-describedby="add-import-check add-f-root-messages"></textarea>
                            <p class="field__note" id="add-import-check" data-import-check></p>
                            <div class="field__messages" id="add-f-root-messages" data-add-messages="/file"></div>
                        </div>
                    </div>
                    <div class="add-provider__problem error" data-add-problem role="alert" tabindex="-1" hidden></div>
                    <p class="add-provider__actions">
                        <button type="submit" class="button button--primary" data-op="save-provider">Add provider</button>
                        <span class="muted" data-add-status role="status"></span>
                    </p>
                </form>
            </section>`);
        this.#renderModels();
    }

    focusHeading() {
        this.querySelector('#add-provider-title')?.focus();
    }

    #text(name, label, pointer, { placeholder = '', type = 'text', help = '' } = {}) {
        const id = `add-${name}`;
        return html`
            <div class="field">
                <label for="${id}">${label}</label>
                ${help ? html`<p class="field__help" id="${id}-help">${help}</p>` : ''}
                <input id="${id}" type="${type}" name="${name}" data-add-field="${pointer}" autocomplete="off" spellcheck="false"
                       placeholder="${placeholder}" aria-describedby="${help ? `${id}-help ` : ''}${id}-messages">
                <div class="field__messages" id="${id}-messages" data-add-messages="${pointer}"></div>
            </div>`;
    }

    #renderModels() {
        const rows = this.querySelector('.add-provider__model-rows');
        render(rows, html`${this.#models.map((m, i) => {
            const p = `/models/${i}`;
            const cell = (key, label, value, { type = 'text', pointer = `${p}/${key}`, placeholder = '' } = {}) => html`
                <div class="field add-model__cell">
                    <label for="add-model-${i}-${key}">${label}</label>
                    <input id="add-model-${i}-${key}" type="${type}" data-model-index="${i}" data-model-key="${key}"
                           data-add-field="${pointer}" value="${value}" placeholder="${placeholder}" autocomplete="off" spellcheck="false"
                           ${type === 'number' ? html`min="0" step="any" inputmode="decimal"` : ''}
                           aria-describedby="add-model-${i}-${key}-messages add-model-${i}-messages">
                    <div class="field__messages" id="add-model-${i}-${key}-messages" data-add-messages="${pointer}"></div>
                </div>`;
            return html`
                <fieldset class="add-model" data-model-row="${i}">
                    <legend>Model ${i + 1}</legend>
                    <div class="add-model__grid">
                        ${cell('id', 'Model id', m.id, { placeholder: 'llama3.2' })}
                        ${cell('name', 'Display name', m.name, { placeholder: 'Llama 3.2' })}
                        ${cell('context', 'Context window', m.context, { type: 'number', pointer: `${p}/context_window`, placeholder: '128000' })}
                        ${cell('maxOutput', 'Max output', m.maxOutput, { type: 'number', pointer: `${p}/default_max_tokens`, placeholder: '8192' })}
                        ${cell('input', 'Input $/1M', m.input, { type: 'number', pointer: `${p}/cost_per_1m_in`, placeholder: '0' })}
                        ${cell('output', 'Output $/1M', m.output, { type: 'number', pointer: `${p}/cost_per_1m_out`, placeholder: '0' })}
                    </div>
                    <div class="add-model__flags">
                        <label><input type="checkbox" data-model-index="${i}" data-model-key="images" ${m.images ? html`checked` : ''}> Takes images</label>
                        <label><input type="checkbox" data-model-index="${i}" data-model-key="reasoning" ${m.reasoning ? html`checked` : ''}> Reasons</label>
                        ${this.#models.length > 1 ? html`<button type="button" class="button button--small" data-op="remove-model" data-index="${i}">Remove model ${i + 1}</button>` : ''}
                    </div>
                    <div class="field__messages" id="add-model-${i}-messages" data-add-messages="${p}"></div>
                </fieldset>`;
        })}`);
    }

    #onChange(event) {
        const target = event.target;
        if (target.name === 'add-provider-kind') {
            this.#kind = target.value;
            this.querySelector('[data-manual-part]').hidden = this.#kind === 'import';
            this.querySelector('[data-import-part]').hidden = this.#kind !== 'import';
            const endpoint = this.querySelector('#add-endpoint');
            if (this.#kind === 'ollama' && !endpoint.value) endpoint.placeholder = 'http://127.0.0.1:11434/v1';
        } else if (target.matches('[data-model-key]') && target.type === 'checkbox') {
            this.#models[Number(target.dataset.modelIndex)][target.dataset.modelKey] = target.checked;
        } else if (target.id === 'add-import-file' && target.files?.[0]) {
            target.files[0].text().then((text) => {
                this.querySelector('#add-import-text').value = text;
                this.#checkImport();
            });
        }
    }

    #onInput(event) {
        const target = event.target;
        if (target.matches('[data-model-key]') && target.type !== 'checkbox') {
            this.#models[Number(target.dataset.modelIndex)][target.dataset.modelKey] = target.value;
        } else if (target.id === 'add-name' && !this.#idTouched) {
            this.querySelector('#add-id').value = slug(target.value);
        } else if (target.id === 'add-id') {
            this.#idTouched = target.value !== '';
        } else if (target.id === 'add-import-text') {
            this.#checkImport();
        }
    }

    /** Says what the pasted file holds, or why it is not a provider file yet. */
    #checkImport() {
        const note = this.querySelector('[data-import-check]');
        const parsed = this.#parseImport();
        note.textContent = parsed.problem ?? `${parsed.file.name} (${parsed.file.id}): ${parsed.file.models.length} models, ${parsed.file.type}.`;
        note.className = parsed.problem ? 'field__error' : 'field__note';
    }

    #parseImport() {
        const text = this.querySelector('#add-import-text').value.trim();
        if (!text) return { problem: 'Paste or choose a Catwalk provider file.' };
        let file;
        try {
            file = JSON.parse(text);
        } catch {
            return { problem: 'This is not JSON.' };
        }
        if (!file || typeof file !== 'object' || Array.isArray(file)) return { problem: 'A provider file is a JSON object.' };
        if (typeof file.id !== 'string' || !idPattern.test(file.id)) return { problem: 'The file needs an "id" such as "ollama".' };
        if (typeof file.name !== 'string' || !file.name) return { problem: 'The file needs a "name".' };
        if (!Array.isArray(file.models)) return { problem: 'The file needs a "models" list.' };
        return { file };
    }

    #body() {
        const value = (id) => this.querySelector(id).value.trim();
        const number = (text) => (text === '' ? undefined : Number(text));
        const id = value('#add-id');
        const models = this.#models.filter((m) => m.id.trim() || m.name.trim()).map((m) => {
            const model = { id: m.id.trim(), name: m.name.trim() || m.id.trim() };
            if (m.context !== '') model.context_window = number(m.context);
            if (m.maxOutput !== '') model.default_max_tokens = number(m.maxOutput);
            if (m.input !== '') model.cost_per_1m_in = number(m.input);
            if (m.output !== '') model.cost_per_1m_out = number(m.output);
            model.supports_attachments = m.images;
            model.can_reason = m.reasoning;
            return model;
        });
        const body = { id, name: value('#add-name'), type: this.#kind, models };
        const endpoint = value('#add-endpoint');
        if (endpoint) body.api_endpoint = endpoint;
        if (this.#kind === 'ollama') body.api_key = id;
        if (models[0]) body.default_large_model_id = models[0].id;
        return body;
    }

    /** What the form can tell before the server: the id's shape, a name, an endpoint, one model. */
    #localProblems(body) {
        const problems = [];
        if (!body.name) problems.push({ pointer: '/name', code: 'required', message: 'Give the provider a name.' });
        if (!idPattern.test(body.id)) problems.push({ pointer: '/id', code: 'invalid_format', message: 'Lower-case letter first, then letters, digits, - or _ (at most 64).' });
        if (!body.api_endpoint) problems.push({ pointer: '/api_endpoint', code: 'required', message: 'The API\'s base URL is needed.' });
        if (!body.models.length) problems.push({ pointer: '/models', code: 'required', message: 'Add at least one model.' });
        body.models.forEach((m, i) => {
            if (!m.id) problems.push({ pointer: `/models/${i}/id`, code: 'required', message: 'Each model needs its id.' });
        });
        return problems;
    }

    #show(problems, error = null) {
        // An imported file's problems all show at the file, each with its pointer into it.
        if (this.#kind === 'import') {
            problems = problems.map((p) => ({ ...p, pointer: '/file', message: p.pointer && p.pointer !== '/file' ? `\`${p.pointer}\` ${p.message}` : p.message }));
        }
        const result = placeProblems(this, problems, {
            boxes: '[data-add-messages]',
            invalid: '[aria-invalid][data-add-field]',
            path: true,
            field: (pointer) => {
                const box = this.querySelector(`[data-add-messages="${CSS.escape(pointer)}"]`);
                return box && { box, controls: [...this.querySelectorAll(`[data-add-field="${CSS.escape(pointer)}"]`)] };
            },
        });
        const banner = this.querySelector('[data-add-problem]');
        if (error || result.unplaced.length) {
            render(banner, html`
                <p class="error__title">${error?.title ?? 'The provider was not added'}</p>
                ${error?.detail ? html`<p>${withCode(error.detail)}</p>` : ''}
                ${result.unplaced.length ? html`<ul>${result.unplaced.map((p) => html`<li>${p.pointer ? html`<code>${p.pointer}</code>: ` : ''}${withCode(p.message)}</li>`)}</ul>` : ''}`);
            banner.hidden = false;
        } else {
            banner.hidden = true;
            banner.replaceChildren();
        }
        return result.first;
    }

    async #save() {
        if (this.#busy) return;
        let body;
        if (this.#kind === 'import') {
            const parsed = this.#parseImport();
            if (parsed.problem) {
                this.#show([{ pointer: '/file', code: 'invalid', message: parsed.problem }])?.focus();
                return;
            }
            body = parsed.file;
        } else {
            body = this.#body();
            const problems = this.#localProblems(body);
            if (problems.length) {
                this.#show(problems)?.focus();
                return;
            }
        }
        this.#busy = true;
        const status = this.querySelector('[data-add-status]');
        status.textContent = 'Adding…';
        try {
            const provider = await api.putCustomProvider(body.id, body);
            this.#show([]);
            status.textContent = '';
            announce(`${provider.name} added to the catalog`);
            this.dispatchEvent(new CustomEvent('provider-added', { bubbles: true, detail: { provider } }));
        } catch (error) {
            status.textContent = '';
            // A pointer into the file; the manual form's models are the non-empty rows, in order.
            const first = this.#show(error.errors ?? [], error);
            (first ?? this.querySelector('[data-add-problem]'))?.focus?.();
        } finally {
            this.#busy = false;
        }
    }

    #onClick(event) {
        const button = event.target.closest('button[data-op]');
        if (!button) return;
        if (button.dataset.op === 'add-model') {
            this.#models.push(emptyModel());
            this.#renderModels();
            this.querySelector(`#add-model-${this.#models.length - 1}-id`)?.focus();
            announce(`Model ${this.#models.length} added`);
        } else if (button.dataset.op === 'remove-model') {
            const index = Number(button.dataset.index);
            this.#models.splice(index, 1);
            this.#renderModels();
            this.querySelector(`#add-model-${Math.min(index, this.#models.length - 1)}-id`)?.focus();
            announce(`Model ${index + 1} removed`);
        } else if (button.dataset.op === 'close-add') {
            this.dispatchEvent(new CustomEvent('editor-close', { bubbles: true }));
        }
    }
}

customElements.define('add-provider', AddProvider);
