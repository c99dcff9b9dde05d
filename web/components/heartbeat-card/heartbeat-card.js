import { html } from '../../lib/html.js';
import { messages, selectField, textField, toggleField } from '../../lib/fields.js';
import { SettingsCard, pickerSlot } from '../../lib/settings-card.js';
import '../model-picker/model-picker.js';

const card = '/agents/defaults/heartbeat';
const every = '/agents/defaults/heartbeat/every';
const hours = '/agents/defaults/heartbeat/activeHours';
const model = '/agents/defaults/heartbeat/model';
const escalate = '/agents/defaults/heartbeat/escalateToMain';

/** Heartbeat: how often the background check-ins run, when, and on which model. */
export class HeartbeatCard extends SettingsCard {
    template() {
        const h = this.hints;
        return html`
            <section class="card settings-card" aria-labelledby="heartbeat-title">
                <h3 id="heartbeat-title">${h[card]?.label ?? 'Heartbeat'}</h3>
                ${h[card]?.help ? html`<p class="muted">${h[card].help}</p>` : ''}
                ${selectField(h, every)}
                <fieldset class="group" aria-describedby="heartbeat-hours-help">
                    <legend>${h[hours]?.label ?? 'Active hours'}</legend>
                    <p class="field__help" id="heartbeat-hours-help">${h[hours]?.help ?? ''}</p>
                    <p class="field__inherit" data-inherit-for="${hours}"></p>
                    <div class="field-row">
                        ${textField(h, `${hours}/start`, { type: 'time' })}
                        ${textField(h, `${hours}/end`, { type: 'time' })}
                    </div>
                    ${textField(h, `${hours}/timezone`, { inherit: true, placeholder: 'Europe/Berlin' })}
                    ${messages(hours)}
                </fieldset>
                ${pickerSlot(model)}
                <details class="disclosure">
                    <summary>Experimental</summary>
                    ${toggleField(h, escalate)}
                </details>
            </section>`;
    }

    synced() {
        const window = this.value(hours) ?? {};
        const label = this.hints[hours]?.inheritLabel ?? 'Around the clock';
        this.inherits(hours, window.start || window.end ? '' : `Not set: ${label}.`);
        const zone = this.hints[`${hours}/timezone`]?.inheritLabel ?? "The server's time zone";
        this.inherits(`${hours}/timezone`, window.timezone ? '' : `Not set: ${zone} applies.`);
        const hb = this.effective.heartbeat ?? {};
        const inherited = this.hints[model]?.inheritLabel ?? 'The default text model';
        this.inherits(model, this.value(model) !== undefined ? ''
            : `Not set: ${inherited}${hb.model ? ` (${hb.model})` : ''} applies.`);
    }
}

customElements.define('heartbeat-card', HeartbeatCard);
