import { html } from '../../lib/html.js';
import { numberField, selectField, textareaField, textField } from '../../lib/fields.js';
import { SettingsCard, pickerSlot, shortLabel } from '../../lib/settings-card.js';
import '../model-picker/model-picker.js';

const card = '/agents/main';
const runtime = '/agents/main/runtime';
const model = '/agents/main/model';
const mainRuntime = '/agents/defaults/mainRuntime';
const ccsdkProvider = '/agents/defaults/mainCcsdkProvider';
const sdk = '/agents/main/sdk';
const sdkModel = '/agents/main/sdk/model';
const thinkingBudget = '/agents/main/sdk/thinkingBudget';
const instructions = '/agents/main/instructions';

/** System Brain: the runtime and model for system tasks, each inheriting until it is set. */
export class SystemBrainCard extends SettingsCard {
    template() {
        const h = this.hints;
        return html`
            <section class="card settings-card" aria-labelledby="system-brain-title">
                <h3 id="system-brain-title">${h[card]?.label ?? 'System Brain'}</h3>
                ${h[card]?.help ? html`<p class="muted">${h[card].help}</p>` : ''}
                ${selectField(h, runtime, { inherit: true })}
                ${pickerSlot(model)}
                <details class="disclosure">
                    <summary>Advanced</summary>
                    ${selectField(h, mainRuntime, { inherit: true })}
                    ${textField(h, ccsdkProvider, { inherit: true, placeholder: 'anthropic' })}
                    <fieldset class="group">
                        <legend>${h[sdk]?.label ?? 'Claude Code SDK'}</legend>
                        ${pickerSlot(sdkModel)}
                        ${numberField(h, thinkingBudget, this.bounds(thinkingBudget))}
                    </fieldset>
                    ${textareaField(h, instructions)}
                </details>
            </section>`;
    }

    synced() {
        const defaults = this.value('/agents/defaults') ?? {};
        const sb = this.effective.systemBrain ?? {};
        const inheritedRuntime = sb.runtimeFrom === runtime ? defaults.mainRuntime ?? defaults.runtime : sb.runtime;
        this.#inheritOption(runtime, shortLabel(this.hints[runtime], inheritedRuntime));
        this.#inheritOption(mainRuntime, shortLabel(this.hints[mainRuntime], defaults.runtime));
        this.#note(model, sb.modelFrom === model ? undefined : sb.model);
        this.#note(sdkModel, sb.sdkModel ?? sb.model);
        this.#note(ccsdkProvider, sb.ccsdkProvider);
    }

    #inheritOption(pointer, shown) {
        const option = this.querySelector(`select[data-pointer="${pointer}"] option[data-inherit]`);
        if (option) option.textContent = `${this.hints[pointer]?.inheritLabel ?? 'Inherit'} (${shown})`;
    }

    #note(pointer, shown) {
        const set = this.value(pointer) !== undefined;
        const label = this.hints[pointer]?.inheritLabel ?? 'Inherited';
        this.inherits(pointer, set ? '' : `Not set: ${label}${shown ? ` (${shown})` : ''} applies.`);
    }
}

customElements.define('system-brain-card', SystemBrainCard);
