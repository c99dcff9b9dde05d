import { html } from '../../lib/html.js';
import { radioGroup } from '../../lib/fields.js';
import { SettingsCard } from '../../lib/settings-card.js';

const runtime = '/agents/defaults/runtime';

/** Default Agent Runtime: the engine every agent uses unless it picks its own. */
export class RuntimeCard extends SettingsCard {
    template() {
        const hint = this.hints[runtime] ?? {};
        return html`
            <section class="card settings-card" aria-labelledby="runtime-card-title">
                <h3 id="runtime-card-title">Default Agent Runtime</h3>
                ${hint.help ? html`<p class="muted">${hint.help}</p>` : ''}
                ${radioGroup({ ...this.hints, [runtime]: { ...hint, help: undefined } }, runtime)}
            </section>`;
    }
}

customElements.define('runtime-card', RuntimeCard);
