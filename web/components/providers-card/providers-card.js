import { html, render } from '../../lib/html.js';

/** Providers & Auth: a placeholder until the accounts API exists. */
export class ProvidersCard extends HTMLElement {
    connectedCallback() {
        if (this.firstElementChild) return;
        render(this, html`
            <section class="card settings-card" aria-labelledby="providers-card-title">
                <h3 id="providers-card-title">Providers &amp; Auth</h3>
                <p class="muted">Provider connections arrive with the accounts API.</p>
            </section>`);
    }

    set view(_) {}
}

customElements.define('providers-card', ProvidersCard);
