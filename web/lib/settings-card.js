// What every settings card shares: it renders its controls once from the hints, then shows each new view of
// the document in them, except the keys the user has changed and not yet saved (those keep what was typed).
// Edits go up as `settings-change` events (detail: {pointer, value}); the section saves them.

import { html, render } from './html.js';
import { readControl, writeControl } from './fields.js';
import { schemaAt, valueAt } from './pointer.js';

// Typed values save as they are typed (the section debounces); choices save when made.
const typed = new Set(['text', 'number', 'range', 'textarea']);

export class SettingsCard extends HTMLElement {
    hints = {};
    config = {};
    effective = {};
    schema = {};
    issues = [];
    #rendered = false;

    constructor() {
        super();
        this.addEventListener('input', (event) => this.#onEdit(event));
        this.addEventListener('change', (event) => this.#onEdit(event));
    }

    /** `{hints, schema, config, effective, issues, dirty}`: `dirty` holds the pointers whose controls keep the user's input. */
    set view({ hints, schema, config, effective, issues = [], dirty = new Set() }) {
        this.hints = hints;
        this.issues = issues;
        this.schema = schema;
        this.config = config;
        this.effective = effective;
        if (!this.#rendered) {
            render(this, this.template());
            this.#rendered = true;
            this.makePickers(this);
            this.rendered();
        }
        for (const element of this.querySelectorAll('[data-pointer]')) {
            if (!dirty.has(element.dataset.pointer)) writeControl(element, this.value(element.dataset.pointer), hints);
        }
        for (const picker of this.querySelectorAll('model-picker[data-for]')) {
            if (!dirty.has(picker.pointer)) picker.value = this.value(picker.pointer) ?? null;
        }
        this.synced(dirty);
    }

    /** Replaces each picker slot under `root` with a <model-picker>. */
    makePickers(root) {
        for (const slot of root.querySelectorAll('[data-picker-slot]')) {
            const picker = document.createElement('model-picker');
            const pointer = slot.dataset.pickerSlot;
            const hint = this.hints[pointer] ?? {};
            picker.pointer = pointer;
            picker.dataset.for = pointer;
            picker.label = slot.dataset.label || hint.label || 'Model';
            picker.help = hint.help ?? '';
            picker.images = slot.hasAttribute('data-images');
            picker.inherit = slot.hasAttribute('data-inherit');
            picker.inheritLabel = slot.dataset.inheritLabel || (hint.inheritLabel ? `Not set: ${hint.inheritLabel}` : 'Not set');
            slot.replaceWith(picker);
        }
    }

    /** The document value at `pointer`. */
    value(pointer) {
        return valueAt(this.config, pointer);
    }

    /** `{min, max}` of the key at `pointer`, from the schema. */
    bounds(pointer) {
        const { minimum: min, maximum: max } = schemaAt(this.schema, pointer);
        return { min, max };
    }

    /** Sends an edit up to the section. */
    edited(pointer, value) {
        this.dispatchEvent(new CustomEvent('settings-change', { bubbles: true, detail: { pointer, value } }));
    }

    /** Sets the note under an inheriting control (empty when the key is set). */
    inherits(pointer, text) {
        const note = this.querySelector(`[data-inherit-for="${CSS.escape(pointer)}"]`);
        if (note) note.textContent = text;
    }

    // Overridden by the cards.
    template() { throw new Error('a settings card renders a template'); }
    rendered() {}
    synced() {}
    changed() {}

    #onEdit(event) {
        const element = event.target.closest?.('[data-pointer]');
        if (!element || !this.contains(element) || element.closest('[data-own-events]')) return;
        if ((event.type === 'input') !== typed.has(element.dataset.kind)) return;
        if (element.type === 'radio' && !element.checked) return;
        const value = readControl(element, this.hints);
        this.edited(element.dataset.pointer, value);
        this.changed(element.dataset.pointer, value);
    }
}

/** Pi (recommended) → Pi: an option's label without its parenthesised note. */
export function shortLabel(hint, value) {
    const option = hint?.options?.find((o) => o.value === value);
    return option ? option.label.replace(/\s*\(.*\)\s*$/, '') : value;
}

/** Where a card puts a <model-picker> for `pointer` (made when the card first renders). */
export function pickerSlot(pointer, { images = false, inherit = true, label = '', inheritLabel = '' } = {}) {
    return html`<div data-picker-slot="${pointer}" data-label="${label}" data-inherit-label="${inheritLabel}"
                     ${images ? html`data-images` : ''} ${inherit ? html`data-inherit` : ''}></div>`;
}
