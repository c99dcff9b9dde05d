// Form fields for settings keys, labelled from the server's UI hints. Every control names its key with
// data-pointer (and how to read it with data-kind); every field has a messages box (data-messages-for)
// where the section puts the server's errors and warnings for that key.

import { html, render, withCode } from './html.js';
import { ancestry, sameValue, segments } from './pointer.js';

/**
 * A switch is a native checkbox with role="switch". Its aria-checked always says what `checked` says: the native
 * state is what browsers expose, and the attribute is there for checkers that require it (axe-core 3.1).
 */
export function syncSwitch(element) {
    if (element?.getAttribute('role') === 'switch') element.setAttribute('aria-checked', String(element.checked));
}

document.addEventListener('change', (event) => syncSwitch(event.target), true);

export function fieldId(pointer) {
    return `f${pointer.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

/** The box that shows the server's errors and warnings for `pointer`. */
export function messages(pointer) {
    return html`<div class="field__messages" id="${fieldId(pointer)}-messages" data-messages-for="${pointer}"></div>`;
}

function help(hint, id) {
    return hint.help ? html`<p class="field__help" id="${id}-help">${hint.help}</p>` : '';
}

function describedBy(hint, id, extra = []) {
    return [hint.help ? `${id}-help` : null, ...extra, `${id}-messages`].filter(Boolean).join(' ');
}

function unit(hint) {
    return hint.unit ? html`<span class="field__unit">${hint.unit}</span>` : '';
}

/** A line under the control saying what applies while the key is not set (filled in by the card). */
function inheritNote(pointer) {
    return html`<p class="field__inherit" id="${fieldId(pointer)}-inherit" data-inherit-for="${pointer}"></p>`;
}

/** A labelled field: label, help, the control `render(hint, id)` makes, then `after` and the messages box. A second
 * control for a key (`messagesBox: false`) shows neither help nor messages: it points at its first control's. */
function labelledField(hints, pointer, render, { label, after = '', messagesBox = true } = {}) {
    const hint = hints[pointer] ?? {};
    const id = fieldId(pointer);
    return html`
        <div class="field">
            <label for="${id}">${label ?? hint.label}</label>
            ${messagesBox ? help(hint, id) : ''}
            ${render(hint, id)}
            ${after}
            ${messagesBox ? messages(pointer) : ''}
        </div>`;
}

export function selectField(hints, pointer, { inherit = false, label } = {}) {
    return labelledField(hints, pointer, (hint, id) => html`
        <select id="${id}" data-pointer="${pointer}" data-kind="select" aria-describedby="${describedBy(hint, id)}">
            ${inherit ? html`<option value="" data-inherit>${hint.inheritLabel}</option>` : ''}
            ${(hint.options ?? []).map((o) => html`<option value="${o.value}">${o.label}</option>`)}
        </select>`, { label });
}

/** A text input; `model: true` offers the model ids of the document and says what is inherited when empty. */
export function textField(hints, pointer, { model = false, type = 'text', placeholder = '', inherit = model } = {}) {
    return labelledField(hints, pointer, (hint, id) => html`
        <input id="${id}" type="${type}" data-pointer="${pointer}" data-kind="text"
               autocomplete="off" spellcheck="false" placeholder="${placeholder}"
               ${model ? html`list="model-ids"` : ''}
               aria-describedby="${describedBy(hint, id, inherit ? [`${id}-inherit`] : [])}">`,
    { after: inherit ? inheritNote(pointer) : '' });
}

export function textareaField(hints, pointer) {
    return labelledField(hints, pointer, (hint, id) => html`
        <textarea id="${id}" rows="4" data-pointer="${pointer}" data-kind="textarea"
                  aria-describedby="${describedBy(hint, id)}"></textarea>`);
}

export function numberField(hints, pointer, { min, max, step = 1, label, messagesBox = true } = {}) {
    return labelledField(hints, pointer, (hint, id) => html`
        <span class="field__with-unit">
            <input id="${id}" type="number" inputmode="numeric" data-pointer="${pointer}" data-kind="number"
                   ${min === undefined ? '' : html`min="${min}"`} ${max === undefined ? '' : html`max="${max}"`}
                   step="${step}" aria-describedby="${describedBy(hint, id)}">
            ${unit(hint)}
        </span>`, { label, messagesBox });
}

/** A switch for a key whose on and off values come from the hint's `toggle` (the only mapping). */
export function toggleField(hints, pointer, { label } = {}) {
    const hint = hints[pointer] ?? {};
    const id = fieldId(pointer);
    return html`
        <div class="field field--switch">
            <input id="${id}" type="checkbox" role="switch" aria-checked="false" data-pointer="${pointer}" data-kind="toggle"
                   aria-describedby="${describedBy(hint, id)}">
            <label for="${id}">${label ?? hint.label}</label>
            ${help(hint, id)}
            ${messages(pointer)}
        </div>`;
}

/** A radio group from the hint's options, each with its description. */
export function radioGroup(hints, pointer) {
    const hint = hints[pointer] ?? {};
    const id = fieldId(pointer);
    return html`
        <fieldset class="field choices" aria-describedby="${describedBy(hint, id)}">
            <legend>${hint.label}</legend>
            ${help(hint, id)}
            ${(hint.options ?? []).map((o, i) => html`
                <label class="choice">
                    <input type="radio" name="${id}" value="${o.value}" data-pointer="${pointer}" data-kind="radio"
                           ${o.description ? html`aria-describedby="${id}-${i}-description"` : ''}>
                    <span class="choice__text">
                        <span class="choice__label">${o.label}</span>
                        ${o.description ? html`<span class="choice__description" id="${id}-${i}-description">${o.description}</span>` : ''}
                    </span>
                </label>`)}
            ${messages(pointer)}
        </fieldset>`;
}

/** Reads a control as the document value it stands for; an empty field is `null` (the default returns). */
export function readControl(element, hints) {
    const pointer = element.dataset.pointer;
    switch (element.dataset.kind) {
    case 'toggle': {
        const toggle = hints[pointer]?.toggle ?? { on: true, off: false };
        return element.checked ? toggle.on : toggle.off;
    }
    case 'radio':
        return element.dataset.type === 'number' ? Number(element.value) : element.value;
    case 'number':
    case 'range':
        return element.value === '' ? null : Number(element.value);
    case 'textarea':
        return element.value === '' ? null : element.value;
    default: {
        const text = element.value.trim();
        return text === '' ? null : text;
    }
    }
}

/** Shows a document value in a control (left alone when it already shows that value). */
export function writeControl(element, value, hints) {
    const pointer = element.dataset.pointer;
    switch (element.dataset.kind) {
    case 'toggle': {
        const toggle = hints[pointer]?.toggle ?? { on: true, off: false };
        element.checked = value !== undefined && value !== null && !sameValue(value, toggle.off);
        syncSwitch(element);
        return;
    }
    case 'radio':
        element.checked = sameValue(readControl(element, hints), value);
        return;
    default:
        if (sameValue(readControl(element, hints), value ?? null)) return;
        element.value = value === undefined || value === null ? '' : String(value);
    }
}

/**
 * Shows the problems of an RFC 9457 answer (`errors: [{pointer, code, message}]`; a warning has `kind: 'warning'`)
 * at their fields: each in the messages box of its pointer, or of the nearest enclosing pointer that has one, as
 * `<p class="field__error" data-code>`; an error marks the field's controls `aria-invalid`. `field(pointer)` finds
 * a field: `{box, controls}`, or null. The boxes that match `boxes` and the controls that match `invalid` under
 * `root` are cleared first. With `path`, a message placed at an enclosing field starts with the rest of its
 * pointer (`private_key`). Answers the issues no field took, the boxes that show some, and the first control marked.
 */
export function placeProblems(root, issues, { boxes, invalid, field, path = false }) {
    for (const box of root.querySelectorAll(boxes)) box.replaceChildren();
    for (const control of root.querySelectorAll(invalid)) control.removeAttribute('aria-invalid');
    const placed = new Map();
    const unplaced = [];
    let first = null;
    for (const issue of issues) {
        let target = null;
        let at = '';
        for (at of ancestry(issue.pointer ?? '')) {
            target = field(at);
            if (target) break;
        }
        if (!target) {
            unplaced.push(issue);
            continue;
        }
        const kind = issue.kind ?? 'error';
        const below = path ? segments(issue.pointer).slice(segments(at).length).join('/') : '';
        if (!placed.has(target.box)) placed.set(target.box, []);
        placed.get(target.box).push({ ...issue, kind, below });
        if (kind !== 'error') continue;
        for (const control of target.controls) control.setAttribute('aria-invalid', 'true');
        first ??= target.controls[0] ?? null;
    }
    for (const [box, list] of placed) {
        render(box, html`${list.map((i) => html`
            <p class="field__${i.kind}" data-code="${i.code ?? ''}">${i.below ? html`<code>${i.below}</code> ` : ''}${withCode(i.message)}</p>`)}`);
    }
    return { unplaced, boxes: [...placed.keys()], first };
}
