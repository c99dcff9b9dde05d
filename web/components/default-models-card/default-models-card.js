import { syncSwitch } from '../../lib/fields.js';
import { html } from '../../lib/html.js';
import { expertMode, setExpertMode } from '../../lib/expert-mode.js';
import { SettingsCard, pickerSlot } from '../../lib/settings-card.js';
import '../model-list/model-list.js';
import '../model-picker/model-picker.js';
import '../model-settings/model-settings.js';

const primary = '/agents/defaults/model/primary';
const fallbacks = '/agents/defaults/model/fallbacks';
const imagePrimary = '/agents/defaults/imageModel/primary';
const imageFallbacks = '/agents/defaults/imageModel/fallbacks';
const models = '/agents/defaults/models';

/**
 * Default Models: the text and image models agents use unless they choose, picked from the catalog, their
 * fallbacks in order, Expert Mode (model ids the catalog lacks) and, under Advanced, settings per model.
 */
export class DefaultModelsCard extends SettingsCard {
    template() {
        return html`
            <section class="card settings-card" aria-labelledby="default-models-title">
                <h3 id="default-models-title">Default Models</h3>
                <p class="muted">Models used when agents don't specify their own.</p>
                <div class="field field--switch" data-own-events>
                    <input id="expert-mode" type="checkbox" role="switch" aria-checked="false" data-expert-mode aria-describedby="expert-mode-help">
                    <label for="expert-mode">Expert Mode</label>
                    <p class="field__help" id="expert-mode-help">Lets you type a model id the catalog does not list; it is saved as a manual model. Kept in this browser.</p>
                </div>
                ${pickerSlot(primary, { inherit: false })}
                <div data-list="${fallbacks}"></div>
                ${pickerSlot(imagePrimary, { images: true, inherit: false })}
                <details class="disclosure">
                    <summary>Advanced</summary>
                    <div data-list="${imageFallbacks}" data-images></div>
                    <div data-model-settings></div>
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
            list.images = slot.hasAttribute('data-images');
            slot.replaceWith(list);
        }
        const settings = document.createElement('model-settings');
        settings.hints = this.hints;
        this.querySelector('[data-model-settings]').replaceWith(settings);
        const expert = this.querySelector('[data-expert-mode]');
        expert.checked = expertMode();
        syncSwitch(expert);
        expert.addEventListener('change', () => setExpertMode(expert.checked));
    }

    synced(dirty) {
        for (const list of this.querySelectorAll('model-list')) {
            if (!dirty.has(list.pointer)) list.items = this.value(list.pointer) ?? [];
        }
        const settings = this.querySelector('model-settings');
        settings?.show(this.value(models) ?? {}, dirty);
    }
}

customElements.define('default-models-card', DefaultModelsCard);
