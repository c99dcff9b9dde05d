import { html } from '../../lib/html.js';
import { textField } from '../../lib/fields.js';
import { SettingsCard } from '../../lib/settings-card.js';
import '../model-list/model-list.js';

const primary = '/agents/defaults/model/primary';
const fallbacks = '/agents/defaults/model/fallbacks';
const imagePrimary = '/agents/defaults/imageModel/primary';
const imageFallbacks = '/agents/defaults/imageModel/fallbacks';

/** Default Models: the text and image models agents use unless they choose, and their fallbacks in order. */
export class DefaultModelsCard extends SettingsCard {
    template() {
        const h = this.hints;
        return html`
            <section class="card settings-card" aria-labelledby="default-models-title">
                <h3 id="default-models-title">Default Models</h3>
                <p class="muted">Models used when agents don't specify their own.</p>
                ${textField(h, primary, { model: true, inherit: false, placeholder: 'provider/model' })}
                <div data-list="${fallbacks}"></div>
                ${textField(h, imagePrimary, { model: true, inherit: false, placeholder: 'provider/model' })}
                <details class="disclosure">
                    <summary>Advanced</summary>
                    <div data-list="${imageFallbacks}"></div>
                </details>
            </section>`;
    }

    rendered() {
        for (const slot of this.querySelectorAll('[data-list]')) {
            const list = document.createElement('model-list');
            const hint = this.hints[slot.dataset.list] ?? {};
            list.pointer = slot.dataset.list;
            list.dataset.for = slot.dataset.list;
            list.label = hint.label ?? 'Fallbacks';
            list.help = hint.help ?? '';
            slot.replaceWith(list);
        }
    }

    synced(dirty) {
        for (const list of this.querySelectorAll('model-list')) {
            if (!dirty.has(list.pointer)) list.items = this.value(list.pointer) ?? [];
        }
    }
}

customElements.define('default-models-card', DefaultModelsCard);
