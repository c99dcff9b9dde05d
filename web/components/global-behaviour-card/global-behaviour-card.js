import { html } from '../../lib/html.js';
import { fieldId, messages, numberField, selectField, toggleField } from '../../lib/fields.js';
import { SettingsCard } from '../../lib/settings-card.js';

const card = '/agents/defaults/params';
const streaming = '/agents/defaults/blockStreamingDefault';
const temperature = '/agents/defaults/params/temperature';
const maxTokens = '/agents/defaults/params/maxTokens';
const streamBreak = '/agents/defaults/blockStreamingBreak';
const chunk = '/agents/defaults/blockStreamingChunk';
const coalesce = '/agents/defaults/blockStreamingCoalesce';
const delay = '/agents/defaults/humanDelay';

/** Global Behaviour: streaming, Creativity and Response length with their guardrails, and the advanced knobs. */
export class GlobalBehaviourCard extends SettingsCard {
    template() {
        const h = this.hints;
        return html`
            <section class="card settings-card" aria-labelledby="global-behaviour-title">
                <h3 id="global-behaviour-title">${h[card]?.label ?? 'Global behaviour'}</h3>
                <p class="muted">Default behaviours inherited by all agents.</p>
                ${toggleField(h, streaming)}
                ${this.#creativity()}
                ${this.#responseLength()}
                <details class="disclosure">
                    <summary>Advanced</summary>
                    ${numberField(h, maxTokens, { ...this.bounds(maxTokens), label: `${h[maxTokens]?.label ?? 'Response length'} (exact)`, messagesBox: false })}
                    ${selectField(h, streamBreak)}
                    ${this.#group(chunk, html`
                        <div class="field-row">
                            ${numberField(h, `${chunk}/minChars`, this.bounds(`${chunk}/minChars`))}
                            ${numberField(h, `${chunk}/maxChars`, this.bounds(`${chunk}/maxChars`))}
                        </div>
                        ${selectField(h, `${chunk}/breakPreference`)}`)}
                    ${toggleField(h, `${coalesce}/idleMs`)}
                    ${this.#group(delay, html`
                        ${selectField(h, `${delay}/mode`)}
                        <div class="field-row" data-custom-delay>
                            ${numberField(h, `${delay}/minMs`, this.bounds(`${delay}/minMs`))}
                            ${numberField(h, `${delay}/maxMs`, this.bounds(`${delay}/maxMs`))}
                        </div>`)}
                </details>
            </section>`;
    }

    #group(pointer, body) {
        const hint = this.hints[pointer] ?? {};
        const id = fieldId(pointer);
        return html`
            <fieldset class="group" ${hint.help ? html`aria-describedby="${id}-help"` : ''}>
                <legend>${hint.label}</legend>
                ${hint.help ? html`<p class="field__help" id="${id}-help">${hint.help}</p>` : ''}
                ${body}
                ${messages(pointer)}
            </fieldset>`;
    }

    #creativity() {
        const hint = this.hints[temperature] ?? {};
        const id = fieldId(temperature);
        const { min = 0, max = 2 } = this.bounds(temperature);
        const presets = hint.presets ?? [];
        return html`
            <div class="field">
                <label for="${id}">${hint.label}</label>
                ${hint.help ? html`<p class="field__help" id="${id}-help">${hint.help}</p>` : ''}
                <div class="slider">
                    <input id="${id}" type="range" min="${min}" max="${max}" step="0.05" data-pointer="${temperature}"
                           data-kind="range" aria-describedby="${id}-help ${id}-guard ${id}-messages">
                    <output for="${id}" class="slider__value" aria-hidden="true"></output>
                </div>
                ${presets.length ? html`
                    <div class="presets" role="group" aria-label="${hint.label} presets">
                        ${presets.map((p) => html`<button type="button" class="button button--small" data-preset="${p.value}"
                            aria-pressed="false">${p.label} (${p.value})</button>`)}
                    </div>` : ''}
                <p class="field__warning" id="${id}-guard" data-guard hidden>${hint.warning ?? ''}</p>
                <p class="field__note" data-ignored hidden>The default text model ignores ${hint.label}.</p>
                ${messages(temperature)}
            </div>`;
    }

    #responseLength() {
        const hint = this.hints[maxTokens] ?? {};
        const id = fieldId(maxTokens);
        return html`
            <fieldset class="field choices choices--row" aria-describedby="${id}-help ${id}-cap ${id}-messages">
                <legend>${hint.label}</legend>
                ${hint.help ? html`<p class="field__help" id="${id}-help">${hint.help}</p>` : ''}
                <div class="segmented">
                    ${(hint.presets ?? []).map((p) => html`
                        <label class="segmented__option">
                            <input type="radio" name="${id}-preset" value="${p.value}" data-pointer="${maxTokens}"
                                   data-kind="radio" data-type="number">
                            <span>${p.label}</span>
                            <span class="segmented__value">${p.value}${hint.unit ? ` ${hint.unit}` : ''}</span>
                        </label>`)}
                </div>
                <p class="field__note" id="${id}-cap" data-cap></p>
                ${messages(maxTokens)}
            </fieldset>`;
    }

    rendered() {
        for (const button of this.querySelectorAll('[data-preset]')) {
            button.addEventListener('click', () => {
                const value = Number(button.dataset.preset);
                this.querySelector(`[data-pointer="${temperature}"]`).value = String(value);
                this.edited(temperature, value);
                this.changed(temperature, value);
            });
        }
    }

    synced() {
        this.#showCreativity(this.value(temperature));
        const params = this.effective.params ?? {};
        this.querySelector('[data-ignored]').hidden = params.temperatureApplies !== false;
        const cap = params.maxTokensCap;
        for (const radio of this.querySelectorAll(`input[type="radio"][data-pointer="${maxTokens}"]`)) {
            radio.disabled = cap !== undefined && Number(radio.value) > cap;
        }
        const exact = this.querySelector(`input[type="number"][data-pointer="${maxTokens}"]`);
        const { max } = this.bounds(maxTokens);
        exact.max = String(cap ?? max ?? '');
        const unit = this.hints[maxTokens]?.unit ?? 'tokens';
        this.querySelector('[data-cap]').textContent = cap === undefined
            ? `Now ${params.maxTokens ?? this.value(maxTokens)} ${unit}.`
            : `Now ${params.maxTokens ?? this.value(maxTokens)} ${unit}; at most ${cap} ${unit}, the maximum output of ${params.model ?? 'the default text model'}.`;
        this.#showDelay(this.value(`${delay}/mode`));
    }

    changed(pointer, value) {
        if (pointer === temperature) this.#showCreativity(value);
        if (pointer === `${delay}/mode`) this.#showDelay(value);
    }

    #showCreativity(value) {
        const hint = this.hints[temperature] ?? {};
        const output = this.querySelector('.slider__value');
        output.textContent = value === null || value === undefined ? '' : Number(value).toFixed(2).replace(/0$/, '');
        for (const button of this.querySelectorAll('[data-preset]')) {
            button.setAttribute('aria-pressed', String(Number(button.dataset.preset) === value));
        }
        const { min, max } = hint.recommended ?? {};
        const outside = typeof value === 'number' && ((min !== undefined && value < min) || (max !== undefined && value > max));
        // The server's own warning says the same once the value is saved.
        const saved = this.issues.some((i) => i.pointer === temperature && i.code === 'outside_recommended')
            && value === this.value(temperature);
        this.querySelector('[data-guard]').hidden = !outside || !hint.warning || saved;
    }

    #showDelay(mode) {
        this.querySelector('[data-custom-delay]').hidden = mode !== 'custom';
    }
}

customElements.define('global-behaviour-card', GlobalBehaviourCard);
