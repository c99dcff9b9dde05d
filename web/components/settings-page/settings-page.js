import { html, render } from '../../lib/html.js';
import '../model-provider-section/model-provider-section.js';
import '../catalog-section/catalog-section.js';
import '../agents-section/agents-section.js';
import '../history-section/history-section.js';
import '../cli-section/cli-section.js';

/** The sections, in nav order: id (the `section` query value), label, and the element that shows it. */
export const sections = [
    { id: 'model-provider', label: 'Model & Provider', element: 'model-provider-section' },
    { id: 'catalog', label: 'Catalog', element: 'catalog-section' },
    { id: 'agents', label: 'Agents', element: 'agents-section' },
    { id: 'clis', label: 'Provider CLIs', element: 'cli-section' },
    { id: 'history', label: 'History & audit', element: 'history-section' },
];

export const defaultSection = sections[0].id;

export function sectionHref(id) {
    return `/settings?section=${encodeURIComponent(id)}`;
}

/** The settings layout: section nav and the current section. Fires `navigate` (detail: {section}) on nav clicks. */
export class SettingsPage extends HTMLElement {
    #section = defaultSection;

    constructor() {
        super();
        this.addEventListener('click', (event) => this.#onClick(event));
    }

    get section() { return this.#section; }

    set section(id) {
        this.#section = id || defaultSection;
        this.#render();
    }

    /** The label of the current section, or null when there is no such section. */
    get sectionLabel() {
        return sections.find((s) => s.id === this.#section)?.label ?? null;
    }

    connectedCallback() {
        this.#render();
    }

    /** Moves focus to the current section's heading (after navigation, so screen readers follow). */
    focusHeading() {
        this.querySelector('.settings__content h2')?.focus();
    }

    #render() {
        if (!this.isConnected) return;
        const current = sections.find((s) => s.id === this.#section);
        render(this, html`
            <div class="settings">
                <h1 class="settings__title">Settings</h1>
                <nav class="settings__nav" aria-label="Settings sections">
                    <ul>
                        ${sections.map((s) => html`
                            <li><a href="${sectionHref(s.id)}" data-section="${s.id}"
                                   ${s === current ? html`aria-current="page"` : ''}>${s.label}</a></li>`)}
                    </ul>
                </nav>
                <div class="settings__content">
                    ${current ? '' : html`
                        <section class="card empty-state" aria-labelledby="no-such-section">
                            <h2 id="no-such-section" class="section-title" tabindex="-1">No such section</h2>
                            <p>There is no settings section called “${this.#section}”.</p>
                            <p><a href="${sectionHref(defaultSection)}" data-section="${defaultSection}">Go to ${sections[0].label}</a></p>
                        </section>`}
                </div>
            </div>`);
        if (current) this.querySelector('.settings__content').append(document.createElement(current.element));
    }

    #onClick(event) {
        const link = event.target.closest('a[data-section]');
        if (!link || event.defaultPrevented || event.button !== 0) return;
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        this.dispatchEvent(new CustomEvent('navigate', { detail: { section: link.dataset.section }, bubbles: true }));
    }
}

customElements.define('settings-page', SettingsPage);
