import { readState, writeState } from '../../lib/address-state.js';
import { announce } from '../../lib/announce.js';
import { catalogData, price, sourceLabels, takesImages, tokens } from '../../lib/catalog-data.js';
import { html, render, withCode } from '../../lib/html.js';

const capabilities = [
    { value: '', label: 'Any' },
    { value: 'reasoning', label: 'Reasons' },
    { value: 'images', label: 'Takes images' },
    { value: 'image-output', label: 'Makes images' },
    { value: 'temperature', label: 'Takes a temperature' },
];

const contexts = [
    { value: '', label: 'Any' },
    { value: '32000', label: '32K or more' },
    { value: '128000', label: '128K or more' },
    { value: '200000', label: '200K or more' },
    { value: '1000000', label: '1M or more' },
];

// The comparison table's columns: key, heading, the value sorted by, and how a cell shows it.
const columns = [
    { key: 'name', label: 'Model', value: (m) => m.name.toLowerCase(), cell: (m) => html`<span class="catalog-model__name">${m.name}</span> <code>${m.id}</code>` },
    { key: 'context', label: 'Context', value: (m) => m.contextWindow ?? -1, cell: (m) => tokens(m.contextWindow), numeric: true },
    { key: 'output', label: 'Max output', value: (m) => m.capabilities?.maxOutputTokens ?? -1, cell: (m) => tokens(m.capabilities?.maxOutputTokens), numeric: true },
    { key: 'in', label: 'Input $/1M', value: (m) => m.costPer1MIn ?? Infinity, cell: (m) => price(m.costPer1MIn), numeric: true },
    { key: 'out', label: 'Output $/1M', value: (m) => m.costPer1MOut ?? Infinity, cell: (m) => price(m.costPer1MOut), numeric: true },
    { key: 'cached', label: 'Cached input $/1M', value: (m) => m.costPer1MOutCached ?? Infinity, cell: (m) => price(m.costPer1MOutCached), numeric: true },
    { key: 'reasoning', label: 'Reasoning levels', value: (m) => (m.capabilities?.reasoningEffort?.length ?? 0) + (m.canReason ? 0.5 : 0),
        cell: (m) => (m.capabilities?.reasoningEffort?.length ? m.capabilities.reasoningEffort.join(', ') : m.canReason ? 'yes' : '—') },
    { key: 'attachments', label: 'Attachments', value: (m) => (takesImages(m) ? 1 : 0), cell: (m) => (takesImages(m) ? 'yes' : '—') },
    { key: 'source', label: 'Source', value: (m) => m.source, cell: (m) => sourceLabels[m.source] ?? m.source },
];

const params = ['q', 'cap', 'maxin', 'ctx', 'provider', 'sort', 'dir'];

/** The section's state lives in the address, so a reload (or a shared link) shows the same view. */
function currentState() {
    const state = readState(params);
    state.dir = state.dir === 'desc' ? 'desc' : 'asc';
    return state;
}

const keep = (state) => writeState(params, state, { dir: 'asc' });

function matches(model, state) {
    const q = state.q.trim().toLowerCase();
    if (q && !`${model.name} ${model.id} ${model.providerName}`.toLowerCase().includes(q)) return false;
    if (state.cap === 'reasoning' && !model.canReason && !model.capabilities?.reasoningEffort?.length) return false;
    if (state.cap === 'images' && !takesImages(model)) return false;
    if (state.cap === 'image-output' && !model.capabilities?.imageOutput) return false;
    if (state.cap === 'temperature' && !model.capabilities?.temperature) return false;
    if (state.maxin !== '' && !(model.costPer1MIn !== undefined && model.costPer1MIn <= Number(state.maxin))) return false;
    if (state.ctx && !((model.contextWindow ?? 0) >= Number(state.ctx))) return false;
    return true;
}

function range(values) {
    const known = values.filter((v) => v !== undefined && v !== null);
    if (!known.length) return '—';
    const low = Math.min(...known);
    const high = Math.max(...known);
    return low === high ? price(low) : `${price(low)}–${price(high)}`;
}

/**
 * Settings › Catalog: every provider with its model count and price ranges; search and filters by capability,
 * input price and context; a provider's models in a comparison table sortable by each column; "Add account".
 */
export class CatalogSection extends HTMLElement {
    #data = null;
    #state = currentState();

    constructor() {
        super();
        this.addEventListener('input', (event) => this.#onFilter(event));
        this.addEventListener('change', (event) => this.#onFilter(event));
        this.addEventListener('click', (event) => this.#onClick(event));
        this.addEventListener('submit', (event) => event.preventDefault());
    }

    connectedCallback() {
        if (this.firstElementChild) return;
        const s = this.#state;
        render(this, html`
            <section class="catalog" aria-labelledby="catalog-title">
                <h2 id="catalog-title" class="section-title" tabindex="-1">Catalog</h2>
                <p class="muted">Every provider Switchboard knows, with its models' facts and prices. Compare models, then connect an account.</p>
                <form class="card catalog__filters" role="search" aria-label="Filter the catalog">
                    <div class="field catalog__search">
                        <label for="catalog-q">Search</label>
                        <input id="catalog-q" type="search" name="q" value="${s.q}" placeholder="claude, gpt, llama…" autocomplete="off">
                    </div>
                    <div class="field">
                        <label for="catalog-cap">Capability</label>
                        <select id="catalog-cap" name="cap">${capabilities.map((c) => html`<option value="${c.value}" ${c.value === s.cap ? html`selected` : ''}>${c.label}</option>`)}</select>
                    </div>
                    <div class="field">
                        <label for="catalog-maxin">Max input $/1M</label>
                        <input id="catalog-maxin" type="number" name="maxin" min="0" step="any" inputmode="decimal" value="${s.maxin}"
                               placeholder="any" aria-describedby="catalog-maxin-help">
                        <span class="visually-hidden" id="catalog-maxin-help">US dollars per million input tokens</span>
                    </div>
                    <div class="field">
                        <label for="catalog-ctx">Context</label>
                        <select id="catalog-ctx" name="ctx">${contexts.map((c) => html`<option value="${c.value}" ${c.value === s.ctx ? html`selected` : ''}>${c.label}</option>`)}</select>
                    </div>
                    <p class="catalog__count muted" role="status" data-catalog-count></p>
                </form>
                <div class="catalog__body"><p class="loading">Loading the catalog…</p></div>
            </section>`);
        this.#load();
    }

    async #load() {
        try {
            this.#data = await catalogData();
        } catch (error) {
            render(this.querySelector('.catalog__body'), html`
                <div class="card error" role="alert">
                    <p class="error__title">The catalog could not be loaded: ${error.title}</p>
                    ${error.detail ? html`<p>${withCode(error.detail)}</p>` : ''}
                    <p><button type="button" class="button" data-op="catalog-retry">Try again</button></p>
                </div>`);
            return;
        }
        this.#show();
    }

    #show() {
        const data = this.#data;
        if (!data) return;
        const s = this.#state;
        const rows = data.orderedProviders().map((provider) => {
            const all = data.modelsOf(provider.id);
            const shown = all.filter((m) => matches(m, s));
            return { provider, all, shown };
        }).filter((r) => r.shown.length || (!s.q && !s.cap && s.maxin === '' && !s.ctx));
        const total = rows.reduce((n, r) => n + r.shown.length, 0);
        this.querySelector('[data-catalog-count]').textContent = `${total} model${total === 1 ? '' : 's'} from ${rows.length} provider${rows.length === 1 ? '' : 's'}`;
        const open = rows.find((r) => r.provider.id === s.provider);
        render(this.querySelector('.catalog__body'), html`
            ${rows.length ? html`
            <div class="card table-wrap" tabindex="0" role="region" aria-labelledby="catalog-providers-caption">
                <table class="data-table catalog-providers">
                    <caption id="catalog-providers-caption">Providers</caption>
                    <thead><tr>
                        <th scope="col">Provider</th><th scope="col">Models</th><th scope="col">Input $/1M</th>
                        <th scope="col">Output $/1M</th><th scope="col">Account</th><th scope="col"><span class="visually-hidden">Actions</span></th>
                    </tr></thead>
                    <tbody>
                        ${rows.map(({ provider, all, shown }) => html`
                            <tr data-catalog-provider="${provider.id}" ${open?.provider === provider ? html`aria-current="true"` : ''}>
                                <th scope="row">${provider.name} ${provider.source === 'custom' ? html`<span class="badge">Custom</span>` : ''}</th>
                                <td data-model-count data-label="Models">${shown.length === all.length ? all.length : `${shown.length} of ${all.length}`}</td>
                                <td data-label="Input $/1M">${range(shown.map((m) => m.costPer1MIn))}</td>
                                <td data-label="Output $/1M">${range(shown.map((m) => m.costPer1MOut))}</td>
                                <td data-label="Account">${data.connected(provider.id) ? html`<span class="route-pill route-pill--ok">Connected</span>` : html`<span class="muted">Not connected</span>`}</td>
                                <td><div class="catalog-providers__actions">
                                    <button type="button" class="button button--small" data-op="compare" data-provider="${provider.id}"
                                            aria-pressed="${open?.provider === provider ? 'true' : 'false'}">Compare models<span class="visually-hidden"> of ${provider.name}</span></button>
                                    <a class="button button--small" href="/settings?section=model-provider&amp;open=${encodeURIComponent(provider.id)}"
                                       data-add-account="${provider.id}">Add account<span class="visually-hidden"> for ${provider.name}</span></a>
                                </div></td>
                            </tr>`)}
                    </tbody>
                </table>
            </div>` : html`<p class="card empty-state">No model matches these filters.</p>`}
            ${open ? this.#table(open) : ''}`);
    }

    #table({ provider, shown }) {
        const s = this.#state;
        const column = columns.find((c) => c.key === s.sort) ?? columns[0];
        const factor = s.dir === 'desc' ? -1 : 1;
        const sorted = [...shown].sort((a, b) => {
            const x = column.value(a);
            const y = column.value(b);
            return (x < y ? -1 : x > y ? 1 : 0) * factor || a.name.localeCompare(b.name);
        });
        return html`
            <section class="card catalog-models" aria-labelledby="catalog-models-title">
                <div class="catalog-models__header">
                    <h3 id="catalog-models-title" tabindex="-1">${provider.name}: models compared</h3>
                    <a class="button button--small button--primary" href="/settings?section=model-provider&amp;open=${encodeURIComponent(provider.id)}">Add ${provider.name} account</a>
                </div>
                <div class="table-wrap" tabindex="0" role="region" aria-labelledby="catalog-models-title">
                    <table class="data-table catalog-compare">
                        <thead><tr>${columns.map((c) => html`
                            <th scope="col" ${c.numeric ? html`class="numeric"` : ''}
                                aria-sort="${c === column ? (s.dir === 'desc' ? 'descending' : 'ascending') : 'none'}">
                                <button type="button" class="sort-button" data-sort="${c.key}">${c.label}<span aria-hidden="true" class="sort-button__arrow">${c === column ? (s.dir === 'desc' ? ' ▼' : ' ▲') : ''}</span></button>
                            </th>`)}</tr></thead>
                        <tbody>${sorted.map((m) => html`
                            <tr data-catalog-model="${m.reference}">${columns.map((c, i) => (i === 0
                                ? html`<th scope="row">${c.cell(m)}</th>`
                                : html`<td ${c.numeric ? html`class="numeric"` : ''}>${c.cell(m)}</td>`))}</tr>`)}
                        </tbody>
                    </table>
                </div>
            </section>`;
    }

    #onFilter(event) {
        const name = event.target.name;
        if (!['q', 'cap', 'maxin', 'ctx'].includes(name)) return;
        if (event.type === 'change' && name === 'q') return;
        this.#state[name] = event.target.value;
        keep(this.#state);
        this.#show();
    }

    #onClick(event) {
        const button = event.target.closest('button');
        if (!button) return;
        if (button.dataset.op === 'catalog-retry') {
            render(this.querySelector('.catalog__body'), html`<p class="loading">Loading the catalog…</p>`);
            this.#load();
        } else if (button.dataset.op === 'compare') {
            const same = this.#state.provider === button.dataset.provider;
            this.#state.provider = same ? '' : button.dataset.provider;
            keep(this.#state);
            this.#show();
            if (!same) {
                this.querySelector('#catalog-models-title')?.focus();
                announce(`Comparing the models of ${this.#data.providers.find((p) => p.id === button.dataset.provider)?.name}`);
            } else {
                this.querySelector(`[data-op="compare"][data-provider="${CSS.escape(button.dataset.provider)}"]`)?.focus();
            }
        } else if (button.dataset.sort) {
            const key = button.dataset.sort;
            if ((this.#state.sort || 'name') === key) this.#state.dir = this.#state.dir === 'desc' ? 'asc' : 'desc';
            else { this.#state.sort = key; this.#state.dir = 'asc'; }
            keep(this.#state);
            this.#show();
            this.querySelector(`[data-sort="${key}"]`)?.focus();
            const label = columns.find((c) => c.key === key).label;
            announce(`Sorted by ${label}, ${this.#state.dir === 'desc' ? 'descending' : 'ascending'}`);
        }
    }
}

customElements.define('catalog-section', CatalogSection);
