import { html, render } from '../../lib/html.js';

/** Settings › Model & Provider. For now an empty state; providers, default models and behaviour come later. */
export class ModelProviderSection extends HTMLElement {
    connectedCallback() {
        if (this.firstElementChild) return;
        render(this, html`
            <section class="card empty-state" aria-labelledby="model-provider-title">
                <h2 id="model-provider-title" class="section-title" tabindex="-1">Model &amp; Provider</h2>
                <p>Model providers, the default models and how agents behave will be configured here.</p>
                <p class="muted">Nothing to set up yet.</p>
            </section>`);
    }
}

customElements.define('model-provider-section', ModelProviderSection);
