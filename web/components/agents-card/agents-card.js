import { announce } from '../../lib/announce.js';
import { catalogData, price } from '../../lib/catalog-data.js';
import { fieldId, messages, syncSwitch, writeControl } from '../../lib/fields.js';
import { html, render } from '../../lib/html.js';
import { SettingsCard, pickerSlot, shortLabel } from '../../lib/settings-card.js';
import { modelEntryPointer } from '../model-picker/model-picker.js';
import '../model-list/model-list.js';
import '../model-picker/model-picker.js';

const entries = '/agents/entries';
const agentPattern = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const volumeKey = 'switchboard.agentVolume';
const defaultVolume = { requests: 100, input: 2000, output: 500 };

const at = (id) => `${entries}/${id}`;

/** The expected volume the cost estimates use: the operator's, kept in this browser. */
export function volume() {
    try {
        return { ...defaultVolume, ...JSON.parse(window.localStorage.getItem(volumeKey) ?? '{}') };
    } catch {
        return { ...defaultVolume };
    }
}

function saveVolume(v) {
    try {
        window.localStorage.setItem(volumeKey, JSON.stringify(v));
    } catch {
        // Not kept: the estimate still uses it on this page.
    }
    document.dispatchEvent(new CustomEvent('agent-volume', { detail: v }));
}

/** "≈ $12.30 a month" from the catalog's prices, or why there is no estimate. */
export function monthlyCost(model, v = volume()) {
    if (!model) return { text: 'Choose a model to see an estimate.', amount: null };
    if (model.costPer1MIn === undefined || model.costPer1MOut === undefined) {
        return { text: `The catalog has no price for ${model.name}.`, amount: null };
    }
    const perRequest = (v.input * model.costPer1MIn + v.output * model.costPer1MOut) / 1_000_000;
    const amount = perRequest * v.requests * 30;
    const shown = amount === 0 ? '$0' : amount < 0.01 ? 'under $0.01' : `$${amount.toLocaleString('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 })}`;
    return {
        amount,
        text: `≈ ${shown} a month with ${model.name} (${price(model.costPer1MIn)} in, ${price(model.costPer1MOut)} out per 1M tokens) at ${v.requests.toLocaleString('en-US')} requests a day of ${v.input.toLocaleString('en-US')} input and ${v.output.toLocaleString('en-US')} output tokens.`,
    };
}

/**
 * New agent: an id, a model (connected providers' first) and the estimated monthly cost from catalog prices
 * and an expected volume the operator edits. Creating it saves `agents.entries.<id>`.
 */
export class NewAgentCard extends SettingsCard {
    #picked = null;

    template() {
        const v = volume();
        return html`
            <section class="card settings-card new-agent" aria-labelledby="new-agent-title" data-own-events>
                <h3 id="new-agent-title">New agent</h3>
                <div class="field">
                    <label for="new-agent-id">Agent id</label>
                    <p class="field__help" id="new-agent-id-help">Lower-case letters, digits, - and _, as runtimes name the agent (coder, support-bot).</p>
                    <input id="new-agent-id" type="text" autocomplete="off" spellcheck="false" placeholder="coder" data-new-agent-id
                           aria-describedby="new-agent-id-help new-agent-id-check ${fieldId(entries)}-messages">
                    <p class="field__error" id="new-agent-id-check" data-id-check hidden></p>
                    ${messages(entries)}
                </div>
                <div data-new-agent-picker></div>
                <fieldset class="group new-agent__volume" aria-describedby="new-agent-volume-help">
                    <legend>Expected volume</legend>
                    <p class="field__help" id="new-agent-volume-help">For the estimate only; kept in this browser.</p>
                    <div class="field-row">
                        ${this.#number('requests', 'Requests a day', v.requests)}
                        ${this.#number('input', 'Input tokens a request', v.input)}
                        ${this.#number('output', 'Output tokens a request', v.output)}
                    </div>
                </fieldset>
                <p class="new-agent__estimate" data-estimate aria-live="polite"></p>
                <p><button type="button" class="button button--primary" data-action="create-agent">Create agent</button></p>
            </section>`;
    }

    #number(key, label, value) {
        return html`
            <div class="field">
                <label for="new-agent-${key}">${label}</label>
                <input id="new-agent-${key}" type="number" min="0" step="1" inputmode="numeric" value="${value}" data-volume="${key}">
            </div>`;
    }

    rendered() {
        const picker = document.createElement('model-picker');
        picker.dataset.id = 'new-agent-model';
        picker.label = 'Model';
        picker.help = 'Providers with a connected account come first.';
        this.querySelector('[data-new-agent-picker]').replaceWith(picker);
        this.addEventListener('model-picked', (event) => {
            event.stopPropagation();
            this.#picked = event.detail;
            this.#estimate();
        });
        this.addEventListener('input', (event) => {
            if (event.target.matches('[data-volume]')) {
                const v = volume();
                const n = Number(event.target.value);
                if (Number.isFinite(n) && n >= 0) {
                    v[event.target.dataset.volume] = n;
                    saveVolume(v);
                }
                this.#estimate();
            } else if (event.target.matches('[data-new-agent-id]')) {
                this.#checkId();
            }
        });
        this.addEventListener('click', (event) => {
            if (event.target.closest('[data-action="create-agent"]')) this.#create();
        });
        this.#estimate();
    }

    async #estimate() {
        const box = this.querySelector('[data-estimate]');
        let model = null;
        if (this.#picked?.reference) {
            try {
                model = (await catalogData()).byReference.get(this.#picked.reference) ?? null;
            } catch {
                model = null;
            }
            if (!model) {
                box.textContent = `${this.#picked.reference} is not in the catalog, so there is no price to estimate from.`;
                return;
            }
        }
        box.textContent = monthlyCost(model).text;
    }

    #checkId() {
        const input = this.querySelector('[data-new-agent-id]');
        const id = input.value.trim();
        let problem = null;
        if (!id) problem = 'Give the agent an id.';
        else if (!agentPattern.test(id)) problem = 'Start with a lower-case letter or digit; then letters, digits, - or _ (at most 64).';
        else if (this.value(at(id)) !== undefined) problem = `There is an agent called ${id} already.`;
        const box = this.querySelector('[data-id-check]');
        box.textContent = problem ?? '';
        box.hidden = !problem;
        if (problem) input.setAttribute('aria-invalid', 'true');
        else input.removeAttribute('aria-invalid');
        return problem;
    }

    #create() {
        const input = this.querySelector('[data-new-agent-id]');
        if (this.#checkId()) {
            input.focus();
            return;
        }
        const id = input.value.trim();
        const reference = this.#picked?.reference ?? this.querySelector('model-picker').value;
        const entry = reference ? { model: { primary: reference } } : {};
        if (reference && this.#picked?.manual) this.edited(`${modelEntryPointer(reference)}/manual`, true);
        this.edited(at(id), entry);
        input.value = '';
        this.#picked = null;
        this.querySelector('model-picker').reset();
        this.#estimate();
        announce(`Agent ${id} created`);
        this.dispatchEvent(new CustomEvent('agent-created', { bubbles: true, detail: { id } }));
    }
}

/**
 * The agents of the settings document: for each, what it overrides and what it inherits (from the effective
 * values), its model, fallbacks, parameters and runtime, its estimated monthly cost, and Remove.
 */
export class AgentsCard extends SettingsCard {
    #ids = '';
    #focusAgent = null;

    constructor() {
        super();
        this.addEventListener('click', (event) => this.#onClick(event));
        this.addEventListener('change', (event) => this.#onOwnFallbacks(event));
        this.onCreated = (event) => { this.#focusAgent = event.detail.id; };
        this.onVolume = () => this.#estimates();
    }

    connectedCallback() {
        document.addEventListener('agent-created', this.onCreated);
        document.addEventListener('agent-volume', this.onVolume);
    }

    disconnectedCallback() {
        document.removeEventListener('agent-created', this.onCreated);
        document.removeEventListener('agent-volume', this.onVolume);
    }

    template() {
        return html`
            <section class="card settings-card agents" aria-labelledby="agents-list-title">
                <h3 id="agents-list-title" tabindex="-1">Agents</h3>
                <div class="agents__list"></div>
            </section>`;
    }

    synced(dirty) {
        const list = this.value(entries) ?? {};
        const ids = Object.keys(list).sort();
        if (ids.join('\n') !== this.#ids || !this.querySelector('.agent, .agents__empty')) {
            this.#ids = ids.join('\n');
            this.#renderAgents(ids);
            dirty = new Set();
        }
        for (const id of ids) this.#sync(id, dirty);
        this.#estimates();
        if (this.#focusAgent && ids.includes(this.#focusAgent)) {
            this.querySelector(`#${CSS.escape(`agent-${this.#focusAgent}-title`)}`)?.focus();
            this.#focusAgent = null;
        }
    }

    #renderAgents(ids) {
        const runtime = this.hints['/agents/defaults/runtime'] ?? {};
        render(this.querySelector('.agents__list'), html`${ids.length ? ids.map((id) => {
            const p = at(id);
            const fid = fieldId(p);
            return html`
                <article class="agent" data-agent="${id}" aria-labelledby="agent-${id}-title">
                    <div class="agent__header">
                        <h4 id="agent-${id}-title" tabindex="-1">${id}</h4>
                        <button type="button" class="button button--small" data-action="remove-agent" data-agent-id="${id}"
                                aria-describedby="agent-${id}-title">Remove agent</button>
                    </div>
                    <dl class="agent__summary">
                        <dt>Overrides</dt><dd data-overrides></dd>
                        <dt>Inherits</dt><dd data-inherits></dd>
                        <dt>Estimated cost</dt><dd data-agent-cost></dd>
                    </dl>
                    ${pickerSlot(`${p}/model/primary`, { label: 'Text model', inheritLabel: 'Not set: the default text model' })}
                    <div class="field field--switch" data-own-events>
                        <input id="${fid}-own-fallbacks" type="checkbox" role="switch" aria-checked="false" data-own-fallbacks="${id}"
                               aria-describedby="${fid}-own-fallbacks-help">
                        <label for="${fid}-own-fallbacks">Own fallbacks</label>
                        <p class="field__help" id="${fid}-own-fallbacks-help">On: this agent's list replaces the default fallbacks. Off: it uses the defaults' list.</p>
                    </div>
                    <div data-agent-list="${p}/model/fallbacks"></div>
                    ${pickerSlot(`${p}/imageModel/primary`, { label: 'Image model', images: true, inheritLabel: 'Not set: the default image model' })}
                    <div class="field-row">
                        ${this.#number(`${p}/params/temperature`, 'Creativity', { min: 0, max: 2, step: 0.05 })}
                        ${this.#number(`${p}/params/maxTokens`, 'Response length', { min: 1, max: 1000000, step: 1, unit: 'tokens' })}
                    </div>
                    <div class="field">
                        <label for="${fieldId(`${p}/runtime`)}">Runtime</label>
                        <select id="${fieldId(`${p}/runtime`)}" data-pointer="${p}/runtime" data-kind="select"
                                aria-describedby="${fieldId(`${p}/runtime`)}-inherit ${fieldId(`${p}/runtime`)}-messages">
                            <option value="" data-inherit>Use the default runtime</option>
                            ${(runtime.options ?? []).map((o) => html`<option value="${o.value}">${o.label}</option>`)}
                        </select>
                        <p class="field__inherit" id="${fieldId(`${p}/runtime`)}-inherit" data-inherit-for="${p}/runtime"></p>
                        ${messages(`${p}/runtime`)}
                    </div>
                    ${messages(`${p}/params`)}
                    ${messages(p)}
                </article>`;
        }) : html`<p class="muted agents__empty">No agents yet. Runtimes that name no agent use the defaults; create one above to give an agent its own model.</p>`}`);
        for (const article of this.querySelectorAll('.agent')) {
            this.makePickers(article);
            const slot = article.querySelector('[data-agent-list]');
            const list = document.createElement('model-list');
            list.pointer = slot.dataset.agentList;
            list.dataset.for = slot.dataset.agentList;
            list.label = 'Fallbacks';
            list.help = 'Used in order if this agent\'s model is unavailable.';
            slot.replaceWith(list);
        }
    }

    #number(pointer, label, { min, max, step, unit = '' }) {
        const id = fieldId(pointer);
        return html`
            <div class="field">
                <label for="${id}">${label}</label>
                <span class="field__with-unit">
                    <input id="${id}" type="number" inputmode="decimal" min="${min}" max="${max}" step="${step}"
                           data-pointer="${pointer}" data-kind="number" aria-describedby="${id}-inherit ${id}-messages">
                    ${unit ? html`<span class="field__unit">${unit}</span>` : ''}
                </span>
                <p class="field__inherit" id="${id}-inherit" data-inherit-for="${pointer}"></p>
                ${messages(pointer)}
            </div>`;
    }

    #sync(id, dirty) {
        const p = at(id);
        const article = this.querySelector(`.agent[data-agent="${CSS.escape(id)}"]`);
        if (!article) return;
        const entry = this.value(p) ?? {};
        const eff = this.effective.agents?.[id];
        for (const element of article.querySelectorAll('[data-pointer]')) {
            if (!dirty.has(element.dataset.pointer)) writeControl(element, this.value(element.dataset.pointer), this.hints);
        }
        for (const picker of article.querySelectorAll('model-picker[data-for]')) {
            if (!dirty.has(picker.pointer)) picker.value = this.value(picker.pointer) ?? null;
        }
        const list = article.querySelector('model-list');
        const own = Array.isArray(entry.model?.fallbacks);
        const toggle = article.querySelector('[data-own-fallbacks]');
        if (!dirty.has(list.pointer)) {
            toggle.checked = own;
            syncSwitch(toggle);
            list.items = own ? entry.model.fallbacks : [];
            list.hidden = !own;
        }
        const defaultRuntime = shortLabel(this.hints['/agents/defaults/runtime'], this.value('/agents/defaults/runtime'));
        const inheritOption = article.querySelector('option[data-inherit]');
        if (inheritOption) inheritOption.textContent = `Use the default runtime (${defaultRuntime})`;
        const note = (pointer, text) => {
            const box = article.querySelector(`[data-inherit-for="${CSS.escape(pointer)}"]`);
            if (box) box.textContent = this.value(pointer) === undefined ? text : '';
        };
        note(`${p}/model/primary`, `Not set: the default text model${eff?.model?.primary ? ` (${eff.model.primary.reference})` : ''} applies.`);
        note(`${p}/runtime`, `Not set: ${defaultRuntime} applies.`);
        note(`${p}/imageModel/primary`, `Not set: the default image model${eff?.imageModel?.primary ? ` (${eff.imageModel.primary.reference})` : ''} applies.`);
        const param = (name, label) => {
            const value = eff?.params?.values?.[name];
            const from = eff?.params?.from?.[name] ?? '';
            const source = from.startsWith('/agents/defaults/models/') ? 'the model\'s settings' : from.startsWith('/agents/defaults') ? 'the defaults' : '';
            note(`${p}/params/${name}`, value === undefined ? `Not set: ${label} is not sent.` : `Not set: ${value} from ${source || from} applies.`);
        };
        param('temperature', 'Creativity');
        param('maxTokens', 'Response length');
        const overrides = [];
        const inherits = [];
        (entry.model?.primary ? overrides : inherits).push(`text model${entry.model?.primary ? '' : eff?.model?.primary ? ` (${eff.model.primary.reference})` : ''}`);
        (own ? overrides : inherits).push(`fallbacks${own ? ` (${entry.model.fallbacks.length})` : ` (${eff?.model?.fallbacks?.length ?? 0} from the defaults)`}`);
        (entry.imageModel?.primary ? overrides : inherits).push(`image model${entry.imageModel?.primary || !eff?.imageModel?.primary ? '' : ` (${eff.imageModel.primary.reference})`}`);
        for (const [name, label] of [['temperature', 'Creativity'], ['maxTokens', 'Response length']]) {
            (entry.params?.[name] !== undefined ? overrides : inherits).push(label);
        }
        const extra = Object.keys(entry.params ?? {}).filter((k) => k !== 'temperature' && k !== 'maxTokens');
        if (extra.length) overrides.push(`parameters ${extra.join(', ')}`);
        (entry.runtime ? overrides : inherits).push(`runtime${entry.runtime ? '' : ` (${defaultRuntime})`}`);
        article.querySelector('[data-overrides]').textContent = overrides.join(', ') || 'nothing yet';
        article.querySelector('[data-inherits]').textContent = inherits.join(', ') || 'nothing';
    }

    async #estimates() {
        let data = null;
        try {
            data = await catalogData();
        } catch {
            return;
        }
        for (const article of this.querySelectorAll('.agent')) {
            const eff = this.effective.agents?.[article.dataset.agent];
            const reference = eff?.model?.primary?.reference;
            const model = reference ? data.byReference.get(reference) : null;
            article.querySelector('[data-agent-cost]').textContent = reference && !model
                ? `${reference} is not in the catalog: no price.` : monthlyCost(model).text;
        }
    }

    #onOwnFallbacks(event) {
        const toggle = event.target.closest?.('[data-own-fallbacks]');
        if (!toggle) return;
        const p = `${at(toggle.dataset.ownFallbacks)}/model/fallbacks`;
        const list = this.querySelector(`model-list[data-for="${CSS.escape(p)}"]`);
        list.hidden = !toggle.checked;
        list.items = [];
        this.edited(p, toggle.checked ? [] : null);
        announce(toggle.checked ? 'This agent now has its own fallbacks' : 'This agent now uses the default fallbacks');
    }

    #onClick(event) {
        const button = event.target.closest('[data-action="remove-agent"]');
        if (!button) return;
        const id = button.dataset.agentId;
        this.edited(at(id), null);
        announce(`Agent ${id} removed`);
        this.querySelector('#agents-list-title')?.focus();
    }
}

customElements.define('new-agent-card', NewAgentCard);
customElements.define('agents-card', AgentsCard);
