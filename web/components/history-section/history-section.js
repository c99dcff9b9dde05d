import { api } from '../../api.js';
import { readState, writeState } from '../../lib/address-state.js';
import { announce } from '../../lib/announce.js';
import { html, render, withCode } from '../../lib/html.js';
import { segments, valueAt } from '../../lib/pointer.js';

const auditTypes = ['account.created', 'account.updated', 'account.imported', 'connection.disconnected', 'credential.set',
    'credential.replaced', 'credential.deleted', 'credential.revealed', 'credential.copied', 'credential.refreshed',
    'config.changed', 'session.signed_in', 'session.sign_in_failed', 'keys.rotated', 'oauth.signed_in', 'oauth.refused',
    'oauth.failed', 'oauth_client.set', 'oauth_client.removed', 'pairing.created', 'pairing.refreshed', 'pairing.burned',
    'pairing.completed', 'audit.reanchored'];

const periods = [
    { value: '', label: 'Any time' },
    { value: '1h', label: 'Last hour', ms: 3600e3 },
    { value: '24h', label: 'Last 24 hours', ms: 86400e3 },
    { value: '7d', label: 'Last 7 days', ms: 7 * 86400e3 },
    { value: '30d', label: 'Last 30 days', ms: 30 * 86400e3 },
    { value: 'custom', label: 'Between…' },
];

function when(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? iso : date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

function actorText(actor) {
    if (actor.startsWith('token:')) return `token ${actor.slice(6)}`;
    if (actor.startsWith('session:')) return `session ${actor.slice(8)}`;
    return actor;
}

function shown(value) {
    return value === undefined ? '(not set)' : JSON.stringify(value);
}

/** Every leaf that differs between two documents under the changed paths: `[{pointer, before, after}]`. */
export function diff(before, after, paths) {
    const out = [];
    const walk = (pointer, a, b) => {
        if (JSON.stringify(a) === JSON.stringify(b)) return;
        const objects = a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b);
        if (objects) {
            for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
                walk(`${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, a[key], b[key]);
            }
            return;
        }
        out.push({ pointer, before: a, after: b });
    };
    for (const path of paths.length ? paths : ['']) {
        walk(path, path ? valueAt(before, path) : before, path ? valueAt(after, path) : after);
    }
    return out;
}

const params = ['atype', 'period', 'since', 'until'];

/**
 * Settings › History & audit: config revisions (who, when, which paths) with a diff against the revision before
 * and Revert; the audit log filtered by type and time, paged, and whether its chain verifies.
 */
export class HistorySection extends HTMLElement {
    #revisions = [];
    #nextRevision = null;
    #events = [];
    #nextEvent = null;
    #state = readState(params);
    #current = null;

    constructor() {
        super();
        this.addEventListener('click', (event) => this.#onClick(event));
        this.addEventListener('change', (event) => this.#onFilter(event));
        this.addEventListener('submit', (event) => event.preventDefault());
    }

    connectedCallback() {
        if (this.firstElementChild) return;
        const s = this.#state;
        render(this, html`
            <section class="history" aria-labelledby="history-title">
                <h2 id="history-title" class="section-title" tabindex="-1">History &amp; audit</h2>
                <p class="muted">Every change to the settings, and everything the audit log recorded.</p>
                <section class="card" aria-labelledby="revisions-title">
                    <h3 id="revisions-title" tabindex="-1">Settings revisions</h3>
                    <p class="revision-status" role="status" data-revision-status></p>
                    <ol class="revisions" data-revisions><li class="loading">Loading revisions…</li></ol>
                    <p><button type="button" class="button button--small" data-op="more-revisions" hidden>Show older revisions</button></p>
                </section>
                <section class="card" aria-labelledby="audit-title">
                    <h3 id="audit-title">Audit log</h3>
                    <div class="audit-verify" data-verify role="status"><p class="loading">Checking the chain…</p></div>
                    <form class="audit-filters" aria-label="Filter the audit log">
                        <div class="field">
                            <label for="audit-type">Type</label>
                            <select id="audit-type" name="atype">
                                <option value="">Any type</option>
                                ${auditTypes.map((t) => html`<option value="${t}" ${t === s.atype ? html`selected` : ''}>${t}</option>`)}
                            </select>
                        </div>
                        <div class="field">
                            <label for="audit-period">Time</label>
                            <select id="audit-period" name="period">
                                ${periods.map((p) => html`<option value="${p.value}" ${p.value === s.period ? html`selected` : ''}>${p.label}</option>`)}
                            </select>
                        </div>
                        <div class="field" data-custom-time ${s.period === 'custom' ? '' : html`hidden`}>
                            <label for="audit-since">From</label>
                            <input id="audit-since" type="datetime-local" name="since" value="${s.since}">
                        </div>
                        <div class="field" data-custom-time ${s.period === 'custom' ? '' : html`hidden`}>
                            <label for="audit-until">Until</label>
                            <input id="audit-until" type="datetime-local" name="until" value="${s.until}">
                        </div>
                    </form>
                    <p class="muted" role="status" data-audit-count></p>
                    <div class="audit-problem" data-audit-problem></div>
                    <div class="table-wrap" tabindex="0" role="region" aria-label="Audit events">
                        <table class="data-table data-table--stack audit-table">
                            <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Type</th><th scope="col">Actor</th><th scope="col">Target</th><th scope="col">Detail</th></tr></thead>
                            <tbody data-events></tbody>
                        </table>
                    </div>
                    <p><button type="button" class="button button--small" data-op="more-events" hidden>Show older events</button></p>
                </section>
            </section>`);
        this.#loadRevisions();
        this.#loadEvents();
        this.#verify();
    }

    // MARK: Revisions

    async #loadRevisions(more = false) {
        const list = this.querySelector('[data-revisions]');
        try {
            const [page, current] = await Promise.all([
                api.configHistory({ limit: 20, before: more ? this.#nextRevision : undefined }),
                more ? Promise.resolve(this.#current) : api.config(),
            ]);
            this.#current = current;
            this.#revisions = more ? [...this.#revisions, ...page.revisions] : page.revisions;
            this.#nextRevision = page.nextBefore ?? null;
        } catch (error) {
            render(list, html`<li class="error" role="alert"><p class="error__title">The revisions could not be loaded: ${error.title}</p>
                <p><button type="button" class="button button--small" data-op="reload-revisions">Try again</button></p></li>`);
            return;
        }
        this.#renderRevisions();
    }

    #renderRevisions() {
        const list = this.querySelector('[data-revisions]');
        const currentRevision = this.#current?.revision;
        render(list, html`${this.#revisions.map((r) => html`
            <li class="revision" data-revision="${r.revision}">
                <div class="revision__head">
                    <p class="revision__title"><strong>Revision ${r.revision}</strong>${r.revision === currentRevision ? html` <span class="badge">Current</span>` : ''}
                        ${r.restoredFrom ? html` <span class="badge">Restored revision ${r.restoredFrom}</span>` : ''}</p>
                    <p class="revision__meta muted">${when(r.createdAt)} · ${actorText(r.actor)}</p>
                </div>
                <p class="revision__paths">${r.changedPaths.length ? html`Changed: ${r.changedPaths.map((p, i) => html`${i ? ', ' : ''}<code>${p}</code>`)}` : html`<span class="muted">No path changed (first revision)</span>`}</p>
                <p class="revision__actions">
                    ${r.revision > 1 ? html`<button type="button" class="button button--small" data-op="diff" data-revision="${r.revision}" aria-expanded="false"
                        aria-controls="diff-${r.revision}">Show diff<span class="visually-hidden"> of revision ${r.revision}</span></button>` : ''}
                    ${r.revision !== currentRevision ? html`<button type="button" class="button button--small" data-op="revert" data-revision="${r.revision}">Revert to revision ${r.revision}</button>` : ''}
                </p>
                <div class="revision__diff" id="diff-${r.revision}" hidden></div>
                <div class="revision__problem" data-revision-problem="${r.revision}"></div>
            </li>`)}`);
        this.querySelector('[data-op="more-revisions"]').hidden = !this.#nextRevision;
    }

    async #toggleDiff(button) {
        const revision = Number(button.dataset.revision);
        const box = this.querySelector(`#diff-${revision}`);
        if (!box.hidden) {
            box.hidden = true;
            button.setAttribute('aria-expanded', 'false');
            button.firstChild.textContent = 'Show diff';
            return;
        }
        box.hidden = false;
        button.setAttribute('aria-expanded', 'true');
        button.firstChild.textContent = 'Hide diff';
        render(box, html`<p class="loading">Loading the diff…</p>`);
        try {
            const [after, before] = await Promise.all([api.configRevision(revision), api.configRevision(revision - 1)]);
            const changes = diff(before.config, after.config, after.changedPaths ?? []);
            render(box, html`${changes.length ? html`
                <table class="data-table data-table--stack diff-table">
                    <caption class="visually-hidden">Changes in revision ${revision} against revision ${revision - 1}</caption>
                    <thead><tr><th scope="col">Setting</th><th scope="col">Before (revision ${revision - 1})</th><th scope="col">After</th></tr></thead>
                    <tbody>${changes.map((c) => html`<tr data-diff-pointer="${c.pointer}">
                        <th scope="row"><code>${segments(c.pointer).join('.')}</code></th>
                        <td class="diff-before" data-label="Before"><del><code>${shown(c.before)}</code></del></td>
                        <td class="diff-after" data-label="After"><ins><code>${shown(c.after)}</code></ins></td>
                    </tr>`)}</tbody>
                </table>` : html`<p class="muted">No value differs from revision ${revision - 1}.</p>`}`);
        } catch (error) {
            render(box, html`<p class="field__error" role="alert">The diff could not be loaded: ${error.title}</p>`);
        }
    }

    async #revert(button) {
        const revision = Number(button.dataset.revision);
        const status = this.querySelector('[data-revision-status]');
        const problem = this.querySelector(`[data-revision-problem="${revision}"]`);
        problem.replaceChildren();
        button.disabled = true;
        status.textContent = `Reverting to revision ${revision}…`;
        try {
            const current = this.#current ?? await api.config();
            let view;
            try {
                view = await api.revertConfig(revision, current.etag);
            } catch (error) {
                if (error.status !== 412) throw error;
                view = await api.revertConfig(revision, (await api.config()).etag);
            }
            status.textContent = `Revision ${revision} restored as revision ${view.revision}.`;
            announce(`Revision ${revision} restored as revision ${view.revision}`);
            await this.#loadRevisions();
            this.querySelector('#revisions-title')?.focus();
        } catch (error) {
            status.textContent = '';
            button.disabled = false;
            render(problem, html`<div class="error" role="alert"><p class="error__title">${error.title}</p>
                ${error.detail ? html`<p>${withCode(error.detail)}</p>` : ''}
                ${error.errors?.length ? html`<ul>${error.errors.map((e) => html`<li><code>${e.pointer}</code>: ${e.message}</li>`)}</ul>` : ''}</div>`);
        }
    }

    // MARK: Audit

    #range() {
        const s = this.#state;
        const period = periods.find((p) => p.value === s.period);
        if (period?.ms) return { since: new Date(Date.now() - period.ms).toISOString() };
        if (s.period === 'custom') {
            const iso = (local) => (local ? new Date(local).toISOString() : undefined);
            return { since: iso(s.since), until: iso(s.until) };
        }
        return {};
    }

    async #loadEvents(more = false) {
        const body = this.querySelector('[data-events]');
        const problem = this.querySelector('[data-audit-problem]');
        problem.replaceChildren();
        try {
            const page = await api.audit({ type: this.#state.atype, ...this.#range(), limit: 50, before: more ? this.#nextEvent : undefined });
            this.#events = more ? [...this.#events, ...page.events] : page.events;
            this.#nextEvent = page.nextBefore ?? null;
        } catch (error) {
            render(problem, html`<div class="error" role="alert"><p class="error__title">The audit log could not be loaded: ${error.title}</p>
                ${error.detail ? html`<p>${withCode(error.detail)}</p>` : ''}</div>`);
            return;
        }
        render(body, html`${this.#events.length ? this.#events.map((e) => html`
            <tr data-event="${e.seq}" data-type="${e.type}">
                <td class="numeric" data-label="#">${e.seq}</td>
                <td data-label="When">${when(e.at)}</td>
                <td data-label="Type"><code>${e.type}</code></td>
                <td data-label="Actor">${actorText(e.actor)}</td>
                <td data-label="Target">${e.target ?? '—'}</td>
                <td class="audit-detail" data-label="Detail">${e.detail && Object.keys(e.detail).length ? html`<code>${JSON.stringify(e.detail)}</code>` : '—'}</td>
            </tr>`) : html`<tr><td colspan="6" class="muted">No event matches these filters.</td></tr>`}`);
        const count = this.#events.length;
        this.querySelector('[data-audit-count]').textContent = `${count}${this.#nextEvent ? '+' : ''} event${count === 1 ? '' : 's'} shown`;
        this.querySelector('[data-op="more-events"]').hidden = !this.#nextEvent;
    }

    async #verify() {
        const box = this.querySelector('[data-verify]');
        try {
            const v = await api.auditVerify();
            render(box, v.ok ? html`
                <p class="notice notice--ok" data-chain="ok"><span aria-hidden="true">✓</span> The chain verifies: ${v.events} event${v.events === 1 ? '' : 's'}${v.legacyEvents ? ` (${v.legacyEvents} from before it was keyed)` : ''}, sealed with audit key${v.keysUsed.length === 1 ? '' : 's'} ${v.keysUsed.join(', ') || '—'}.</p>` : html`
                <div class="error" data-chain="broken"><p class="error__title">The audit chain does not verify</p><p>${v.problem}</p>
                <p>Run <code>switchboard audit verify</code> on the server and see the README's audit section.</p></div>`);
        } catch (error) {
            render(box, html`<p class="field__error" data-chain="unknown">Could not check the chain: ${error.title}</p>`);
        }
    }

    #onFilter(event) {
        const name = event.target.name;
        if (!params.includes(name)) return;
        this.#state[name] = event.target.value;
        for (const field of this.querySelectorAll('[data-custom-time]')) field.hidden = this.#state.period !== 'custom';
        writeState(params, this.#state);
        this.#loadEvents();
    }

    #onClick(event) {
        const button = event.target.closest('button[data-op]');
        if (!button) return;
        const op = button.dataset.op;
        if (op === 'diff') this.#toggleDiff(button);
        else if (op === 'revert') this.#revert(button);
        else if (op === 'more-revisions') this.#loadRevisions(true);
        else if (op === 'reload-revisions') this.#loadRevisions();
        else if (op === 'more-events') this.#loadEvents(true);
    }
}

customElements.define('history-section', HistorySection);
