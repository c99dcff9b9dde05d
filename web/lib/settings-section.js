import { api } from '../api.js';
import { announce } from './announce.js';
import { placeProblems } from './fields.js';
import { html, render, withCode } from './html.js';
import { ancestry, mergePatch, within } from './pointer.js';

const saveDelay = 500;

const statusText = {
    idle: '',
    saving: 'Saving…',
    saved: 'All changes saved',
    failed: 'Failed to save',
    conflict: 'The settings were changed elsewhere',
    undoing: 'Undoing…',
    undone: 'Change undone',
    discarded: 'Unsaved changes discarded',
    reloaded: 'Showing the current settings',
};

const parent = (pointer) => pointer.slice(0, pointer.lastIndexOf('/'));

/**
 * A settings section that edits the settings document (Model & Provider, Agents): loads the document and its
 * hints, gives each card the current view, and saves the cards' edits: debounced merge patches with the current
 * ETag, one rebase on 412, field errors on 422 (the input is kept), Retry, and Undo through a revert to the
 * revision before the save. A subclass names its `sectionId`, `title`, `intro` and `cards` (element names).
 */
export class SettingsSection extends HTMLElement {
    sectionId = 'settings';
    heading = 'Settings';
    intro = '';
    cards = [];

    #hints = {};
    #schema = {};
    #view = null;
    #pending = new Map();
    #failed = new Map();
    #inflight = null;
    #errors = [];
    #warnings = [];
    #problem = null;
    #undoRevision = null;
    #timer = 0;
    #busy = false;
    #state = 'idle';

    /** True when an issue at `issue` belongs to the edit at `change`: the key, inside it, or beside it in a group
     * (Active hours' start and end are checked together). */
    #related(issue, change) {
        if (within(issue, change) || within(change, issue)) return true;
        return parent(issue) === parent(change) && this.#hints[parent(change)]?.control === 'group';
    }

    connectedCallback() {
        if (this.firstElementChild) return;
        render(this, html`
            <section class="model-provider" aria-labelledby="${this.sectionId}-title">
                <div class="model-provider__header">
                    <div>
                        <h2 id="${this.sectionId}-title" class="section-title" tabindex="-1">${this.heading}</h2>
                        <p class="muted">${this.intro}</p>
                    </div>
                    <div class="save-bar">
                        <p class="save-status" role="status" data-state="idle"></p>
                        <button type="button" class="button button--small" data-action="retry" hidden>Retry</button>
                        <button type="button" class="button button--small" data-action="undo" hidden>Undo</button>
                        <button type="button" class="button button--small" data-action="reload" hidden>Reload</button>
                    </div>
                </div>
                <div class="save-banner error" role="alert"></div>
                <div class="cards"><p class="loading">Loading settings…</p></div>
            </section>`);
        this.addEventListener('settings-change', (event) => this.#edit(event.detail));
        this.addEventListener('click', (event) => {
            const action = event.target.closest('button[data-action]')?.dataset.action;
            if (action === 'retry') this.#retry();
            else if (action === 'undo') this.#undo();
            else if (action === 'reload' || action === 'load') this.#reload();
        });
        this.#reload();
    }

    // MARK: Loading

    async #reload() {
        clearTimeout(this.#timer);
        this.#busy = true;
        try {
            const [schema, view] = await Promise.all([
                this.#view ? { schema: this.#schema, hints: this.#hints } : api.configSchema(),
                api.config(),
            ]);
            const first = !this.#view;
            this.#hints = schema.hints ?? {};
            this.#schema = schema.schema ?? {};
            this.#pending.clear();
            this.#failed.clear();
            this.#errors = [];
            this.#problem = null;
            this.#accept(view);
            this.#warnings = view.warnings ?? [];
            if (first) {
                this.querySelector('.cards').replaceChildren(...this.cards.map((name) => document.createElement(name)));
            }
            this.#refresh();
            this.#setState(first ? 'idle' : 'reloaded');
        } catch (error) {
            if (this.#view) {
                this.#problem = error;
                this.#refresh();
                this.#setState('conflict');
            } else {
                render(this.querySelector('.cards'), html`
                    <div class="card error" role="alert">
                        <p class="error__title">${error.title}</p>
                        ${error.detail ? html`<p>${withCode(error.detail)}</p>` : ''}
                        <p><button type="button" class="button" data-action="load">Try again</button></p>
                    </div>`);
            }
        } finally {
            this.#busy = false;
        }
    }

    #accept(view) {
        this.#view = view;
        this.dataset.revision = String(view.revision);
    }

    // MARK: Saving

    #edit({ pointer, value }) {
        if (!this.#view) return;
        this.#pending.set(pointer, value);
        this.#failed.delete(pointer);
        this.#setState('saving');
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => this.#flush(), saveDelay);
    }

    #retry() {
        for (const [pointer, value] of this.#failed) if (!this.#pending.has(pointer)) this.#pending.set(pointer, value);
        this.#failed.clear();
        this.#setState('saving');
        this.#flush();
    }

    async #flush() {
        clearTimeout(this.#timer);
        this.#timer = 0;
        if (this.#inflight || this.#busy || this.#pending.size === 0) return;
        // Edits the server refused go again with the next one: the user may have fixed a sibling field.
        const changes = new Map([...this.#failed, ...this.#pending]);
        this.#failed.clear();
        this.#pending.clear();
        this.#inflight = changes;
        this.#setState('saving');
        try {
            const { view, before } = await this.#send(mergePatch(changes));
            this.#inflight = null;
            this.#accept(view);
            this.#undoRevision = before;
            const saved = [...changes.keys(), ...(view.changedPaths ?? [])];
            const touched = (issue) => saved.some((p) => this.#related(issue.pointer, p));
            this.#errors = this.#errors.filter((e) => !touched(e));
            this.#warnings = [...this.#warnings.filter((w) => !touched(w)), ...(view.warnings ?? [])];
            if (!this.#errors.length) this.#problem = null;
        } catch (error) {
            this.#inflight = null;
            this.#refused(changes, error);
        }
        this.#refresh();
        if (this.#pending.size && !this.#timer) {
            this.#flush();
        } else if (!this.#pending.size) {
            this.#setState(this.#problem?.conflict ? 'conflict' : this.#failed.size ? 'failed' : 'saved');
        }
    }

    /** PATCH against the current ETag; on 412 read the document again and apply the same patch to it once. */
    async #send(patch) {
        const before = this.#view.revision;
        try {
            return { view: await api.patchConfig(patch, this.#view.etag), before };
        } catch (error) {
            if (error.status !== 412) throw error;
        }
        const current = await api.config();
        this.#accept(current);
        this.#warnings = current.warnings ?? [];
        this.#refresh();
        try {
            return { view: await api.patchConfig(patch, current.etag), before: current.revision };
        } catch (error) {
            if (error.status === 412) error.conflict = true;
            throw error;
        }
    }

    #refused(changes, error) {
        this.#problem = error;
        if (error.status !== 422 || error.conflict) {
            for (const [pointer, value] of changes) if (!this.#pending.has(pointer)) this.#failed.set(pointer, value);
            return;
        }
        const issues = error.errors ?? [];
        const pointers = [...changes.keys()];
        const attributed = issues.every((i) => pointers.some((p) => this.#related(i.pointer, p)));
        for (const [pointer, value] of changes) {
            if (this.#pending.has(pointer)) continue;
            const bad = !attributed || issues.some((i) => this.#related(i.pointer, pointer));
            // Nothing was saved: the edits that were fine go again on their own.
            if (bad) this.#failed.set(pointer, value);
            else this.#pending.set(pointer, value);
        }
        this.#errors = [...this.#errors.filter((e) => !pointers.some((p) => this.#related(e.pointer, p))), ...issues];
    }

    // MARK: Undo

    async #undo() {
        clearTimeout(this.#timer);
        this.#timer = 0;
        if (this.#inflight || this.#busy) return;
        if (this.#failed.size || this.#pending.size) {
            // Undo of a failed save: drop the edits the server refused and show what is saved.
            this.#failed.clear();
            this.#pending.clear();
            this.#errors = [];
            this.#problem = null;
            this.#refresh();
            this.#setState('discarded');
            announce('Unsaved changes discarded');
            return;
        }
        if (this.#undoRevision === null) return;
        this.#busy = true;
        this.#setState('undoing');
        try {
            const view = await api.revertConfig(this.#undoRevision, this.#view.etag);
            this.#accept(view);
            this.#undoRevision = null;
            this.#errors = [];
            this.#warnings = view.warnings ?? [];
            this.#problem = null;
            this.#state = 'undone';
            announce('Change undone');
        } catch (error) {
            this.#problem = error;
            if (error.status === 412) error.conflict = true;
            this.#state = error.conflict ? 'conflict' : 'failed';
        } finally {
            this.#busy = false;
        }
        this.#refresh();
        this.#setState(this.#state);
        if (this.#pending.size) this.#flush();
    }

    // MARK: Showing

    #dirty() {
        return new Set([...this.#failed.keys(), ...(this.#inflight?.keys() ?? []), ...this.#pending.keys()]);
    }

    #refresh() {
        const view = {
            hints: this.#hints,
            schema: this.#schema,
            config: this.#view.config,
            effective: this.#view.effective ?? {},
            issues: [...this.#errors, ...this.#warnings],
            dirty: this.#dirty(),
        };
        for (const card of this.querySelector('.cards').children) {
            if ('view' in card) card.view = view;
        }
        this.#showIssues();
        this.#showBanner();
    }

    /** Each error and warning goes to the messages box of its key, or of the nearest enclosing key that has one. */
    #showIssues() {
        const at = (pointer) => CSS.escape(pointer);
        const issues = [...this.#errors.map((i) => ({ ...i, kind: 'error' })), ...this.#warnings.map((i) => ({ ...i, kind: 'warning' }))];
        placeProblems(this, issues, {
            boxes: '[data-messages-for]',
            // Only the settings document's controls: the Providers card marks its own fields.
            invalid: '[aria-invalid]:is([data-pointer], [data-item-pointer]):not(.model-list__add input)',
            field: (pointer) => {
                const box = this.querySelector(`[data-messages-for="${at(pointer)}"]`);
                return box && { box, controls: [...this.querySelectorAll(`[data-pointer="${at(pointer)}"], [data-item-pointer="${at(pointer)}"]`)] };
            },
        });
    }

    #labelFor(pointer) {
        const keys = pointer.split('/');
        const last = keys.at(-1);
        if (/^\d+$/.test(last)) return `${this.#labelFor(keys.slice(0, -1).join('/'))}, item ${Number(last) + 1}`;
        for (const p of ancestry(pointer)) if (this.#hints[p]?.label) return this.#hints[p].label;
        return pointer;
    }

    #showBanner() {
        const banner = this.querySelector('.save-banner');
        const problem = this.#problem;
        if (!problem) {
            banner.replaceChildren();
            return;
        }
        if (problem.conflict) {
            render(banner, html`
                <p class="error__title">The settings were changed elsewhere</p>
                <p>Someone else saved these settings while you were editing. Reload to see the current settings; your unsaved changes will be dropped.</p>`);
            return;
        }
        render(banner, html`
            <p class="error__title">${problem.title}</p>
            ${problem.detail ? html`<p>${withCode(problem.detail)}</p>` : ''}
            ${this.#errors.length ? html`<ul class="save-banner__list">
                ${this.#errors.map((e) => html`<li><strong>${this.#labelFor(e.pointer)}</strong>: ${e.message}</li>`)}
            </ul>` : ''}`);
    }

    #setState(state) {
        this.#state = state;
        const status = this.querySelector('.save-status');
        status.dataset.state = state;
        status.textContent = statusText[state] ?? '';
        const show = (action, visible) => { this.querySelector(`[data-action="${action}"]`).hidden = !visible; };
        show('retry', state === 'failed' && this.#failed.size > 0);
        show('undo', (state === 'saved' || state === 'failed') && (this.#undoRevision !== null || this.#failed.size > 0));
        show('reload', state === 'conflict');
    }
}

